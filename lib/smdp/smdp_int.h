/* Internals shared by the files of lib/smdp. */
#ifndef RSP_SMDP_INT_H
#define RSP_SMDP_INT_H

#include "rsp/smdp.h"
#include "rsp/svc_client.h"

#define RSP_SMDP_PATH_MAX 1024

struct rsp_smdp_inv {
    rsp_store *s;
    char dir[RSP_SMDP_PATH_MAX - 128];  /* room left for packages/<op>/<type>.der */
};

/* Operator / profile type names usable as path components. */
bool rsp_smdp__name_ok(const char *s);
/* Reads a whole file into out (reset first). RSP_ERR_NOT_FOUND when missing. */
rsp_err rsp_smdp__read_file(const char *path, rsp_buf *out);
/* The size of the regular file at path, without reading it (a package's presence and size: ES2 and
 * admission; the take reads it). RSP_ERR_NOT_FOUND when absent, RSP_ERR_IO when not a regular file. */
rsp_err rsp_smdp__file_size(const char *path, size_t *len);
/* fsync of the folder that holds path: a new name in it (rename, link) survives a power cut. */
rsp_err rsp_smdp__fsync_dir_of(const char *path);

/* Writes a whole file durably (temp, fsync, rename, fsync of its folder). */
rsp_err rsp_smdp__write_atomic(const char *path, const void *p, size_t len);

/* iccid to `to` from whichever state it is in, read first (compare-and-set, retried): card_only, from
 * installed / enabled / disabled (rsp_smdp_mark_card); else from any state but available (a failed
 * download's cleanup). Already there: RSP_OK; not allowed: RSP_ERR_STATE. (inv_state.c) */
rsp_err rsp_smdp__mark_from_any(rsp_smdp_inv *inv, const char *iccid, rsp_smdp_state to, bool card_only, int64_t now);

/* rsp_smdp_take for download d: the allocation and d's cursor at create-isdp (its ICCID, isdp=1)
 * committed as one transaction, then the package personalised; d gets the ICCID. (download.c) */
rsp_err rsp_smdp__take_dl(rsp_smdp_inv *inv, rsp_smdp_dl *d, int64_t now, rsp_smdp_taken *out, rsp_diag *diag);
/* One journal file of an older SM-DP ("key=value" lines: step, op, type, eid, iccid, enable, isdp,
 * outcome, status) as download id; RSP_ERR_FORMAT when it is not one (d zeroed). Outside input: fuzzed
 * (fuzz/fuzz_smdp_journal.c). */
rsp_err rsp_smdp__dl_parse_old(const char *id, const uint8_t *p, size_t len, rsp_smdp_dl *d);
/* The value of "key=" on a line of text (after a newline) into out (n bytes), "" when absent. */
void rsp_smdp__kv_field(const char *text, const char *key, char *out, size_t n);
/* Moves the journal files of an older SM-DP (<dir>/downloads/<id>.dl) into the store, once. */
rsp_err rsp_smdp__dl_import(rsp_smdp_inv *inv, rsp_diag *diag);

/* The first certificate of an ECASD's key sets (plain list or njiwa entries), or NULL. */
const rsp_buf *rsp_smdp__ecasd_cert(const rsp_es_security_domain *sd);

/* The lib/svc binding of an ES3 dialect: njiwa is SOAP only, gsma goes as JSON. (es3_dialect.c) */
rsp_svc_binding rsp_smdp__es3_binding(rsp_es_dialect d);
/* When dir is set: writes req (the request bytes as sent) to <dir>/<fcid>-<fn>.xml|.json; a write
 * failure is logged, not returned (a debug aid never fails a call). */
void rsp_smdp__es3_dump(const char *dir, const char *fcid, const char *fn, rsp_es_dialect d, const rsp_buf *req);

#endif
