/* libpq is opened when a PostgreSQL store is opened, not linked. Linked, every rsp process loaded it and the
 * sixteen libraries it pulls in (Kerberos, LDAP, GnuTLS, ...) at each start: ~15 ms of CPU per process in the
 * release build and ~25 ms under ASan, where make test starts thousands of short rsp processes. A machine
 * that keeps its stores in SQLite then needs no libpq at all; the Debian package still depends on libpq5
 * (scripts/mkdeb). The function table lives in the backend's handle: no global state. */
#include <dlfcn.h>
#include <string.h>

#include "pq_load.h"

/* libpq's soname since PostgreSQL 8.0 (its ABI is kept stable under that name). */
#define RSP_PQ_SONAME "libpq.so.5"

rsp_err rsp_pq_load(rsp_pq *pq, rsp_diag *diag)
{
    memset(pq, 0, sizeof(*pq));
    /* NODELETE: the close below only drops the reference; libpq and the libraries it pulls in (GSSAPI,
     * LDAP, TLS) stay mapped, so a process that opens stores one after another does not reload them,
     * and none is unloaded with its atexit handlers or threads still about */
    pq->dl = dlopen(RSP_PQ_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!pq->dl) {
        const char *why = dlerror();
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED,
                            "store: the PostgreSQL backend needs %s (Debian: libpq5), which cannot be loaded: %s",
                            RSP_PQ_SONAME, why ? why : "not found");
    }
    /* dlsym hands back an object pointer; POSIX guarantees it converts to the function's pointer, and the
     * copy keeps ISO C's object/function pointer rule out of the way. */
#define RSP_PQ_SYM(f)                                                                                         \
    {                                                                                                         \
        void *sym = dlsym(pq->dl, #f);                                                                        \
        _Static_assert(sizeof(sym) == sizeof(pq->f), "function and object pointers differ in size");          \
        if (!sym) {                                                                                           \
            rsp_pq_unload(pq);                                                                                \
            return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "store: %s has no %s (libpq too old?)",            \
                                RSP_PQ_SONAME, #f);                                                           \
        }                                                                                                     \
        memcpy(&pq->f, &sym, sizeof(sym));                                                                    \
    }
    RSP_PQ_FUNCS(RSP_PQ_SYM)
#undef RSP_PQ_SYM
    return RSP_OK;
}

void rsp_pq_unload(rsp_pq *pq)
{
    if (pq->dl)
        dlclose(pq->dl);
    memset(pq, 0, sizeof(*pq));
}
