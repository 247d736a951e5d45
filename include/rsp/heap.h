/* Heap settings of a long-running daemon process (lib/net/heap.c). */
#ifndef RSP_HEAP_H
#define RSP_HEAP_H

/* Keeps freed memory in the process instead of returning it to the kernel at every free of a large
 * block: glibc's default trims the heap top (brk) as soon as 128 KiB are free there, and maps blocks
 * over 128 KiB with mmap, so a daemon whose every request allocates and frees a few hundred KiB
 * (SQLite's pager and savepoint buffers, TLS records, a profile package) paid a brk/munmap per
 * commit, each a TLB shoot-down across every CPU running one of its threads (`rsp bench download`:
 * a third of the SM-SR's CPU). The cost: the heap stays at its high-water mark (bounded by the
 * daemon's own peak, tens of MiB). Call once at start, before threads exist; a no-op off glibc. */
void rsp_heap_tune_daemon(void);

#endif
