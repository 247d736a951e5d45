/* The protected profile package (PPP) of an order (issue 14: "protected once with profile protection
 * keys and bound per session"). SGP22.md §"Bound profile package": after ReplaceSessionKeys the 86
 * segments are protected with the PPKs, not the session keys, so the A3 part depends on the PPKs and
 * the personalised package only; osmo-smdpp reuses a precomputed one the same way.
 *
 * When: at the order's first getBoundProfilePackage (es9.c get_bpp), not at ConfirmOrder/DownloadOrder:
 *   - orders made by `rsp smdpp order` take their identity only at authenticateClient, so before that
 *     there is nothing to personalise;
 *   - orders that are never downloaded (cancelled, expired, wrong confirmation code) cost no
 *     personalisation, no AES and no storage;
 *   - it is committed in the same transaction as the session's BOUND step, before the BPP leaves: a
 *     crash before that commit made a PPP nobody saw, and the next try makes another.
 * Every later session of the order (a re-download after a failed or cut session, always by the same
 * eUICC: the order carries its EID from the first authenticateClient) reuses the same A3 and PPKs, so
 * the same identity, byte for byte.
 *
 * DIR/smdpp.db table smdpp_ppp(matching_id PK, iccid, ppk, a3, created): a3 is the A3 TLV's value
 * (the 86 segments, ciphered: not secret); ppk is sealed at rest like lib/smdp's ISD-P keys
 * (lib/smdp/isdp.c) under the same master key DIR/master.key (rsp_smdp_master_key: made 0600 at first
 * use):
 *   50 50 || IV (16) || AES-256-CBC(Kenc, IV, MCV || PPK-ENC || PPK-MAC) (48) || CMAC(Kmac, matchingId || 00 ||
 *   ICCID || 00 || 5050 || IV || CT) (16)
 * Kenc / Kmac from the master key by the CMAC counter KDF (labels "smdpp-ppk-enc" / "smdpp-ppk-mac"),
 * derived once per process; encrypt-then-MAC bound to the order and its identity, so a row copied to
 * another order does not open. Clear PPKs live in smdpp_ppp structs wiped after use; never logged.
 * The row goes when the order ends (installed, failed, cancelled, expired). */
#include <stdio.h>
#include <string.h>

#include "rsp/bsp.h"
#include "smdpp_int.h"

enum { SEAL_LEN = 2 + 16 + 48 + 16 };

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS smdpp_ppp(matching_id TEXT PRIMARY KEY, iccid TEXT NOT NULL, ppk BLOB NOT NULL,"
    " a3 BLOB NOT NULL, created INTEGER NOT NULL);";

rsp_err rsp_smdpp__ppp_open(rsp_smdpp *s, rsp_diag *diag)
{
    /* IF NOT EXISTS: a smdpp.db of an older daemon gains the table, nothing else changes */
    if (sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK)
        return rsp_diag_set(diag, RSP_ERR_DB, "%s/smdpp.db: %s", s->dir, sqlite3_errmsg(s->db));
    return RSP_OK;
}

void rsp_smdpp__ppp_wipe(smdpp_ppp *p)
{
    if (!p)
        return;
    rsp_wipe(p->ppk, sizeof(p->ppk));
    rsp_buf_free(&p->a3);
}

/* Kenc || Kmac of the seal, from the master key (made at the first binding of a new folder). */
static rsp_err seal_keys(rsp_smdpp *s)
{
    if (s->seal_ready)
        return RSP_OK;
    static const char enc[] = "smdpp-ppk-enc", mac[] = "smdpp-ppk-mac";
    uint8_t mk[32];
    size_t mk_len = 0;
    rsp_err e = rsp_smdp_master_key(s->dir, NULL, mk, &mk_len, NULL);
    if (!e)
        e = rsp_kdf_ctr_cmac(mk, mk_len, (const uint8_t *)enc, sizeof(enc) - 1, NULL, 0, s->seal, 32);
    if (!e)
        e = rsp_kdf_ctr_cmac(mk, mk_len, (const uint8_t *)mac, sizeof(mac) - 1, NULL, 0, s->seal + 32, 32);
    rsp_wipe(mk, sizeof(mk));
    if (e)
        rsp_wipe(s->seal, sizeof(s->seal));
    s->seal_ready = e == RSP_OK;
    return e;
}

static rsp_err seal_tag(rsp_smdpp *s, const rsp_smdpp_order *o, const uint8_t *hdr_iv_ct, uint8_t tag[16])
{
    static const uint8_t zero = 0;
    rsp_bytes parts[5] = {{(const uint8_t *)o->matching_id, strlen(o->matching_id)},
                          {&zero, 1},
                          {(const uint8_t *)o->iccid, strlen(o->iccid)},
                          {&zero, 1},
                          {hdr_iv_ct, 2 + 16 + 48}};
    return rsp_aes_cmac_parts(s->seal + 32, 32, parts, 5, tag);
}

rsp_err rsp_smdpp__ppp_get(rsp_smdpp *s, const rsp_smdpp_order *o, smdpp_ppp *p, rsp_diag *diag)
{
    memset(p, 0, sizeof(*p));
    sqlite3_stmt *st =
        rsp_smdpp__stmt_ext(s, SMDPP_ST_PPP_GET, "SELECT iccid, ppk, a3 FROM smdpp_ppp WHERE matching_id = ?");
    if (!st)
        return RSP_ERR_DB;
    sqlite3_bind_text(st, 1, o->matching_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    rsp_err e = rc == SQLITE_ROW ? RSP_OK : rc == SQLITE_DONE ? RSP_ERR_NOT_FOUND : RSP_ERR_DB;
    const unsigned char *iccid = e ? NULL : sqlite3_column_text(st, 0);
    /* a PPP of another identity (an order whose identity changed) is not this order's: make anew */
    if (!e && (!iccid || strcmp((const char *)iccid, o->iccid) != 0))
        e = RSP_ERR_NOT_FOUND;
    if (!e && sqlite3_column_bytes(st, 1) != SEAL_LEN)
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "order %s: the sealed PPKs are %d bytes", o->matching_id,
                         sqlite3_column_bytes(st, 1));
    if (!e)
        e = seal_keys(s);
    uint8_t tag[16];
    const uint8_t *b = e ? NULL : sqlite3_column_blob(st, 1);
    if (!e && (b[0] != 0x50 || b[1] != 0x50))
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "order %s: the sealed PPKs have an unknown header", o->matching_id);
    if (!e)
        e = seal_tag(s, o, b, tag);
    if (!e && !rsp_ct_equal(tag, b + 2 + 16 + 48, 16))
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "order %s: sealed PPKs of another order or another master key",
                         o->matching_id);
    if (!e)
        e = rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, false, s->seal, 32, b + 2, b + 18, 48, p->ppk);
    int n = e ? 0 : sqlite3_column_bytes(st, 2);
    if (!e && n <= 0)
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "order %s: empty protected package", o->matching_id);
    if (!e)
        e = rsp_buf_set(&p->a3, sqlite3_column_blob(st, 2), (size_t)n);
    rsp_smdpp__stmt_done(st);
    if (e)
        rsp_smdpp__ppp_wipe(p);
    return e;
}

rsp_err rsp_smdpp__ppp_make(const uint8_t *package, size_t len, smdpp_ppp *p)
{
    memset(p, 0, sizeof(*p));
    rsp_bsp b;
    rsp_err e = rsp_random(p->ppk, sizeof(p->ppk));
    if (!e) {
        /* the card's state after ReplaceSessionKeys: these keys, this MCV, the counter back at 1 */
        rsp_bsp_init(&b, p->ppk + 16, p->ppk + 32, p->ppk);
        e = rsp_bsp_protect_all(&b, RSP_BSP_TAG_PPK, package, len, RSP_BSP_MAX_PLAIN_ENC, &p->a3);
        rsp_bsp_close(&b);
    }
    if (e)
        rsp_smdpp__ppp_wipe(p);
    return e;
}

rsp_err rsp_smdpp__ppp_put(rsp_smdpp *s, const rsp_smdpp_order *o, const smdpp_ppp *p)
{
    uint8_t b[SEAL_LEN] = {0x50, 0x50};
    rsp_err e = seal_keys(s);
    if (!e)
        e = rsp_random(b + 2, 16);
    if (!e)
        e = rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, s->seal, 32, b + 2, p->ppk, 48, b + 18);
    if (!e)
        e = seal_tag(s, o, b, b + 2 + 16 + 48);
    sqlite3_stmt *st = e ? NULL
                         : rsp_smdpp__stmt_ext(s, SMDPP_ST_PPP_PUT,
                                               "INSERT OR REPLACE INTO smdpp_ppp(matching_id, iccid, ppk, a3, created) "
                                               "VALUES(?,?,?,?,?)");
    if (!e && !st)
        e = RSP_ERR_DB;
    if (!e) {
        sqlite3_bind_text(st, 1, o->matching_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, o->iccid, -1, SQLITE_STATIC);
        sqlite3_bind_blob(st, 3, b, (int)sizeof(b), SQLITE_STATIC);
        sqlite3_bind_blob(st, 4, p->a3.data, (int)p->a3.len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, rsp_smdpp__now(s));
        e = sqlite3_step(st) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
        rsp_smdpp__stmt_done(st);
    }
    return e;
}

rsp_err rsp_smdpp__ppp_drop(rsp_smdpp *s, const char *matching_id)
{
    sqlite3_stmt *st = rsp_smdpp__stmt_ext(s, SMDPP_ST_PPP_DROP, "DELETE FROM smdpp_ppp WHERE matching_id = ?");
    if (!st)
        return RSP_ERR_DB;
    sqlite3_bind_text(st, 1, matching_id, -1, SQLITE_STATIC);
    rsp_err e = sqlite3_step(st) == SQLITE_DONE ? RSP_OK : RSP_ERR_DB;
    rsp_smdpp__stmt_done(st);
    return e;
}

/* An order's identity that will never reach a card of this order again (the order ended without an
 * installation): retired from whichever of allocated / downloaded it is in (downloaded: it went out in
 * a BPP and may sit in part on the card, so never back to the pool). Not there (already retired, or
 * never taken): nothing to do. */
void rsp_smdpp__identity_retire(rsp_smdpp *s, const char *iccid, int64_t now)
{
    if (iccid && iccid[0] && rsp_smdp_mark(s->inv, iccid, RSP_SMDP_ALLOCATED, RSP_SMDP_DELETED, now) != RSP_OK)
        (void)rsp_smdp_mark(s->inv, iccid, RSP_SMDP_DOWNLOADED, RSP_SMDP_DELETED, now);
}

rsp_err rsp_smdpp__order_end(rsp_smdpp *s, rsp_smdpp_order *o, int st, const smdpp_session *ss, bool to_pool,
                             int64_t now)
{
    o->state = st;
    o->tid[0] = '\0';
    o->updated = now;
    if (rsp_smdpp__begin(s) || rsp_smdpp__order_put(s, o) || (ss && rsp_smdpp__sess_put(s, ss)) ||
        rsp_smdpp__ppp_drop(s, o->matching_id) || rsp_smdpp__commit(s)) {
        rsp_smdpp__rollback(s);
        return RSP_ERR_DB;
    }
    if (!to_pool || !o->iccid[0] || rsp_smdp_mark(s->inv, o->iccid, RSP_SMDP_ALLOCATED, RSP_SMDP_AVAILABLE, now) != RSP_OK)
        rsp_smdpp__identity_retire(s, o->iccid, now);
    rsp_smdpp__smds_sync(s, o);
    return RSP_OK;
}
