/* See include/rsp/heap.h: why a daemon keeps its freed heap. */
#include "rsp/heap.h"

#include <stdlib.h> /* defines __GLIBC__ (through features.h) on glibc */

#ifdef __GLIBC__
#include <malloc.h>
#endif

void rsp_heap_tune_daemon(void)
{
#ifdef __GLIBC__
    /* Fixed values also switch off glibc's dynamic threshold, which otherwise moves them back
     * after the first large free. 32 MiB is the largest mmap threshold glibc accepts on 64-bit. */
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_TOP_PAD, 4 * 1024 * 1024);
#endif
}
