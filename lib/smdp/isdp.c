/* The SM-DP's SCP03 session with an ISD-P it downloaded, after the download: the static keys of that
 * session are the ones ES8 key establishment made (K-ENC, K-MAC, K-DEK, KVN 30), kept sealed at rest
 * with the master delete token key it put; the commands of SGP02.md that need it (STORE DATA 3A07
 * connectivity parameters, PUT KEY of the token key KVN 70) and the master delete command the token
 * authorises (a plain DELETE to the ISD-R, carried like any ES3.SendData).
 *
 * At rest (the inventory row's isdp_keys, store v13; an older SM-DP's <dir>/isdp/<iccid>.key, temp +
 * fsync + rename, is still read): "4B 44" || IV (16) || AES-256-CBC(Kenc, IV,
 * clear) (80) || CMAC(Kmac, ICCID || 4B44 || IV || CT) (16), clear = 01 | KVN | key length | flags
 * (01 token) | K-ENC | K-MAC | K-DEK | token key (16 each) | zeros; Kenc / Kmac from the master key by
 * the CMAC counter KDF (labels "smdp-isdp-enc" / "smdp-isdp-mac"): encrypt-then-MAC, bound to the
 * ICCID, like the SM-SR's ISD-R keys (lib/smsr/keys.c). Clear keys live in caller structs wiped after
 * use; nothing here is logged. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rsp/store.h"
#include "smdp_int.h"

enum { CLEAR_LEN = 80, BLOB_LEN = 2 + 16 + CLEAR_LEN + 16, SL = 0x33 };

void rsp_smdp_isdp_keys_wipe(rsp_smdp_isdp_keys *k)
{
    if (k)
        rsp_wipe(k, sizeof *k);
}

static bool iccid_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] < '0' || s[i] > '9') && s[i] != 'F' && s[i] != 'f')
            return false;
    return n >= 18 && n <= 20;
}

rsp_err rsp_smdp_master_key(const char *dir, const char *path, uint8_t key[32], size_t *len, rsp_diag *diag)
{
    char p[RSP_SMDP_PATH_MAX];
    if (!key || !len || (!path && !dir))
        return RSP_ERR_INVAL;
    *len = 0;
    if (snprintf(p, sizeof p, "%s", path ? path : dir) >= (int)sizeof p - 16)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "master key path too long");
    if (!path)
        strcat(p, "/master.key");
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_smdp__read_file(p, &b);
    if (e == RSP_ERR_NOT_FOUND && !path) { /* first start: a fresh key only this user can read */
        uint8_t k[32];
        char hex[65];
        e = rsp_random(k, sizeof k);
        if (e == RSP_OK) {
            rsp_hex_encode(k, sizeof k, hex, sizeof hex);
            /* written whole under a name of its own, then linked into place: a reader never sees a
             * half-written key, a crash leaves no empty master.key, and of two processes starting at
             * once the second's link fails (EEXIST) and it reads the first's key */
            char tmp[RSP_SMDP_PATH_MAX + 24];
            snprintf(tmp, sizeof tmp, "%s.%ld.tmp", p, (long)getpid());
            int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
            bool ok = fd >= 0 && write(fd, hex, 64) == 64 && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
            ok = (fd < 0 || close(fd) == 0) && ok;
            ok = ok && (link(tmp, p) == 0 || errno == EEXIST);
            int saved = errno;
            (void)unlink(tmp);
            ok = ok && rsp_smdp__fsync_dir_of(p) == RSP_OK;
            e = ok ? rsp_smdp__read_file(p, &b)
                   : rsp_diag_set(diag, RSP_ERR_IO, "cannot write %s: %s", p, strerror(saved));
        }
        rsp_wipe(k, sizeof k);
        rsp_wipe(hex, sizeof hex);
    }
    if (e != RSP_OK) {
        rsp_buf_free_secret(&b);
        return e == RSP_ERR_NOT_FOUND ? rsp_diag_set(diag, e, "master key file %s not found", p) : e;
    }
    char text[80];
    size_t n = 0;
    for (size_t i = 0; i < b.len && n < sizeof text - 1; i++)
        if (b.data[i] != '\n' && b.data[i] != '\r' && b.data[i] != ' ')
            text[n++] = (char)b.data[i];
    text[n] = 0;
    rsp_buf_free_secret(&b);
    if ((n != 32 && n != 64) || rsp_hex_decode_fixed(text, key, n / 2, NULL) != RSP_OK)
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "master key %s: 32 or 64 hex digits expected", p);
    else
        *len = n / 2;
    rsp_wipe(text, sizeof text);
    return e;
}

static rsp_err derive(const uint8_t *mk, size_t mk_len, uint8_t kenc[32], uint8_t kmac[32])
{
    static const char enc[] = "smdp-isdp-enc", mac[] = "smdp-isdp-mac";
    if (!mk || (mk_len != 16 && mk_len != 32))
        return RSP_ERR_INVAL;
    rsp_err e = rsp_kdf_ctr_cmac(mk, mk_len, (const uint8_t *)enc, sizeof enc - 1, NULL, 0, kenc, 32);
    return e ? e : rsp_kdf_ctr_cmac(mk, mk_len, (const uint8_t *)mac, sizeof mac - 1, NULL, 0, kmac, 32);
}

static rsp_err tag_of(const uint8_t kmac[32], const char *iccid, const uint8_t *hdr_iv_ct, uint8_t out[16])
{
    rsp_bytes parts[2] = {{(const uint8_t *)iccid, strlen(iccid)}, {hdr_iv_ct, 2 + 16 + CLEAR_LEN}};
    return rsp_aes_cmac_parts(kmac, 32, parts, 2, out);
}

static rsp_err key_path(const char *dir, const char *iccid, char *p, size_t cap, bool make_dir)
{
    if (!dir || !iccid_ok(iccid))
        return RSP_ERR_INVAL;
    if (snprintf(p, cap, "%s/isdp", dir) >= (int)cap - 32)
        return RSP_ERR_LENGTH;
    if (make_dir && mkdir(p, 0700) != 0 && errno != EEXIST)
        return RSP_ERR_IO;
    snprintf(p + strlen(p), cap - strlen(p), "/%s.key", iccid);
    return RSP_OK;
}

_Static_assert(BLOB_LEN == RSP_SMDP_ISDP_SEALED_LEN, "the sealed layout's length");

rsp_err rsp_smdp_isdp_keys_seal(const uint8_t *mk, size_t mk_len, const char *iccid, const rsp_smdp_isdp_keys *k,
                                uint8_t b[RSP_SMDP_ISDP_SEALED_LEN])
{
    if (!k || k->keys.len != 16 || !iccid_ok(iccid) || !b)
        return RSP_ERR_INVAL;
    uint8_t clear[CLEAR_LEN] = {0x01, k->keys.kvn, 16, k->has_token ? 0x01 : 0x00};
    memcpy(clear + 4, k->keys.enc, 16);
    memcpy(clear + 20, k->keys.mac, 16);
    memcpy(clear + 36, k->keys.dek, 16);
    if (k->has_token)
        memcpy(clear + 52, k->token, 16);
    uint8_t kenc[32], kmac[32];
    b[0] = 0x4B;
    b[1] = 0x44;
    rsp_err e = derive(mk, mk_len, kenc, kmac);
    e = e ? e : rsp_random(b + 2, 16);
    e = e ? e : rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, kenc, 32, b + 2, clear, CLEAR_LEN, b + 18);
    e = e ? e : tag_of(kmac, iccid, b, b + 18 + CLEAR_LEN);
    rsp_wipe(clear, sizeof clear);
    rsp_wipe(kenc, sizeof kenc);
    rsp_wipe(kmac, sizeof kmac);
    return e;
}

rsp_err rsp_smdp_isdp_keys_save(const char *dir, const uint8_t *mk, size_t mk_len, const char *iccid,
                                const rsp_smdp_isdp_keys *k)
{
    char p[RSP_SMDP_PATH_MAX];
    uint8_t b[BLOB_LEN];
    rsp_err e = k && k->keys.len == 16 ? key_path(dir, iccid, p, sizeof p, true) : RSP_ERR_INVAL;
    e = e ? e : rsp_smdp_isdp_keys_seal(mk, mk_len, iccid, k, b);
    return e ? e : rsp_smdp__write_atomic(p, b, sizeof b);
}

/* The keys out of a sealed blob (what names where it came from, for diag). */
static rsp_err unseal(const uint8_t *mk, size_t mk_len, const char *iccid, const rsp_buf *b, const char *what,
                      rsp_smdp_isdp_keys *k, rsp_diag *diag)
{
    if (b->len != BLOB_LEN || b->data[0] != 0x4B || b->data[1] != 0x44)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s is not a sealed ISD-P key file", what);
    uint8_t kenc[32], kmac[32], tag[16], clear[CLEAR_LEN];
    rsp_err e = derive(mk, mk_len, kenc, kmac);
    e = e ? e : tag_of(kmac, iccid, b->data, tag);
    if (e == RSP_OK && !rsp_ct_equal(tag, b->data + 18 + CLEAR_LEN, 16))
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "ISD-P keys of %s: wrong master key or another ICCID's file", iccid);
    e = e ? e : rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, false, kenc, 32, b->data + 2, b->data + 18, CLEAR_LEN, clear);
    if (e == RSP_OK && (clear[0] != 0x01 || clear[2] != 16))
        e = rsp_diag_set(diag, RSP_ERR_FORMAT, "ISD-P keys of %s: unknown layout", iccid);
    if (e == RSP_OK) {
        e = rsp_scp03_keys_set(&k->keys, clear[1], clear + 4, clear + 20, clear + 36, 16);
        k->has_token = (clear[3] & 0x01) != 0;
        if (k->has_token)
            memcpy(k->token, clear + 52, 16);
    }
    if (e != RSP_OK)
        rsp_smdp_isdp_keys_wipe(k);
    rsp_wipe(clear, sizeof clear);
    rsp_wipe(kenc, sizeof kenc);
    rsp_wipe(kmac, sizeof kmac);
    return e;
}

rsp_err rsp_smdp_isdp_keys_load(const char *dir, const uint8_t *mk, size_t mk_len, const char *iccid,
                                rsp_smdp_isdp_keys *k, rsp_diag *diag)
{
    char p[RSP_SMDP_PATH_MAX];
    rsp_err e = k ? key_path(dir, iccid, p, sizeof p, false) : RSP_ERR_INVAL;
    if (e != RSP_OK)
        return e;
    memset(k, 0, sizeof *k);
    rsp_buf b = RSP_BUF_INIT;
    if ((e = rsp_smdp__read_file(p, &b)) != RSP_OK) {
        rsp_buf_free(&b);
        return e == RSP_ERR_NOT_FOUND ? rsp_diag_set(diag, e, "no ISD-P keys kept for ICCID %s", iccid) : e;
    }
    e = unseal(mk, mk_len, iccid, &b, p, k, diag);
    rsp_buf_free(&b);
    return e;
}

rsp_err rsp_smdp_isdp_keys_forget(const char *dir, const char *iccid)
{
    char p[RSP_SMDP_PATH_MAX];
    rsp_err e = key_path(dir, iccid, p, sizeof p, false);
    if (e != RSP_OK)
        return e;
    return unlink(p) == 0 || errno == ENOENT ? RSP_OK : RSP_ERR_IO;
}

/* ---- in the inventory (store v13): written with the "downloaded" mark by the download (download.c), or
 * here when rewritten (the token key could not be put); an older SM-DP's file is the fallback ---- */

rsp_err rsp_smdp_isdp_keys_put(rsp_smdp_inv *inv, const uint8_t *mk, size_t mk_len, const char *iccid,
                               const rsp_smdp_isdp_keys *k)
{
    uint8_t b[BLOB_LEN];
    rsp_err e = inv ? rsp_smdp_isdp_keys_seal(mk, mk_len, iccid, k, b) : RSP_ERR_INVAL;
    return e ? e : rsp_store_inv_keys_set(inv->s, iccid, b, sizeof b);
}

rsp_err rsp_smdp_isdp_keys_get(rsp_smdp_inv *inv, const uint8_t *mk, size_t mk_len, const char *iccid,
                               rsp_smdp_isdp_keys *k, rsp_diag *diag)
{
    if (!inv || !k || !iccid_ok(iccid))
        return RSP_ERR_INVAL;
    memset(k, 0, sizeof *k);
    rsp_buf b = RSP_BUF_INIT;
    rsp_err e = rsp_store_inv_keys_get(inv->s, iccid, &b);
    if (e == RSP_OK)
        e = unseal(mk, mk_len, iccid, &b, "the inventory's isdp_keys", k, diag);
    rsp_buf_free(&b);
    if (e == RSP_ERR_NOT_FOUND) /* none in the store: kept by an older SM-DP? */
        e = rsp_smdp_isdp_keys_load(inv->dir, mk, mk_len, iccid, k, diag);
    return e;
}

rsp_err rsp_smdp_isdp_keys_drop(rsp_smdp_inv *inv, const char *iccid)
{
    if (!inv)
        return RSP_ERR_INVAL;
    rsp_err e = rsp_store_inv_keys_set(inv->s, iccid, NULL, 0);
    rsp_err f = rsp_smdp_isdp_keys_forget(inv->dir, iccid);
    return e != RSP_OK && e != RSP_ERR_NOT_FOUND ? e : f;
}

/* ---- the commands ---- */

rsp_err rsp_smdp_ucp_apdu(const uint8_t *params, size_t len, rsp_buf *out)
{
    /* 80 E2 88 00 Lc | 3A07 L | <A0 ...>: one short C-APDU (SGP02.md "Card and SM-SR details") */
    if (!params || !out || len < 2 || len > 255 - 3 - 8 || params[0] != 0xA0)
        return RSP_ERR_INVAL;
    uint8_t h[8] = {0x80, 0xE2, 0x88, 0x00, (uint8_t)(len + 3), 0x3A, 0x07, (uint8_t)len};
    rsp_err e = rsp_buf_append(out, h, sizeof h);
    return e ? e : rsp_buf_append(out, params, len);
}

rsp_err rsp_smdp_put_token_apdu(const rsp_scp03_keys *k, const uint8_t token[16], rsp_buf *out, uint8_t kcv[3])
{
    /* 80 D8 00 01 18 | 70 88 11 10 <AES-CBC(K-DEK, zero IV, key)> 03 <KCV> (SGP02.md, [1S W]) */
    if (!k || !token || !out || !kcv || k->len != 16)
        return RSP_ERR_INVAL;
    uint8_t a[5 + 24] = {0x80, 0xD8, 0x00, 0x01, 24, RSP_SMDP_TOKEN_KVN, 0x88, 0x11, 0x10};
    rsp_err e = rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, k->dek, 16, NULL, token, 16, a + 9);
    e = e ? e : rsp_scp03_kcv(token, 16, kcv);
    if (e == RSP_OK) {
        a[25] = 0x03;
        memcpy(a + 26, kcv, 3);
        e = rsp_buf_append(out, a, sizeof a);
    }
    rsp_wipe(a, sizeof a);
    return e;
}

rsp_err rsp_smdp_master_delete_apdu(const uint8_t token[16], const uint8_t *aid, size_t aid_len, const char *sin,
                                    const char *provider, uint8_t token_id, rsp_buf *out)
{
    /* 80 E4 00 40 Lc | 4F AID | B6{42 SIN, 45 SDIN, 5F20 provider, 93 token id} | 9E token,
     * token = AES-CMAC(token key, P1 P2 Lc' 4F.. B6..) (SGP02.md). SDIN = the ISD-P's AID. */
    size_t sl = sin ? strlen(sin) : 0, pl = provider ? strlen(provider) : 0;
    if (!token || !aid || aid_len < 5 || aid_len > 16 || !out || sl > 32 || pl > 32)
        return RSP_ERR_INVAL;
    uint8_t d[255];
    size_t n = 0;
    d[n++] = 0x4F, d[n++] = (uint8_t)aid_len;
    memcpy(d + n, aid, aid_len), n += aid_len;
    size_t b6 = 2 + sl + 2 + aid_len + 3 + pl + 3;
    d[n++] = 0xB6, d[n++] = (uint8_t)b6;
    d[n++] = 0x42, d[n++] = (uint8_t)sl;
    memcpy(d + n, sin ? sin : "", sl), n += sl;
    d[n++] = 0x45, d[n++] = (uint8_t)aid_len;
    memcpy(d + n, aid, aid_len), n += aid_len;
    d[n++] = 0x5F, d[n++] = 0x20, d[n++] = (uint8_t)pl;
    memcpy(d + n, provider ? provider : "", pl), n += pl;
    d[n++] = 0x93, d[n++] = 0x01, d[n++] = token_id;
    uint8_t hdr[3] = {0x00, 0x40, (uint8_t)n}, mac[16];
    rsp_bytes parts[2] = {{hdr, 3}, {d, n}};
    rsp_err e = rsp_aes_cmac_parts(token, 16, parts, 2, mac);
    if (e == RSP_OK) {
        d[n++] = 0x9E, d[n++] = 16;
        memcpy(d + n, mac, 16), n += 16;
        uint8_t h[5] = {0x80, 0xE4, 0x00, 0x40, (uint8_t)n};
        e = rsp_buf_append(out, h, 5);
        e = e ? e : rsp_buf_append(out, d, n);
    }
    rsp_wipe(mac, sizeof mac);
    return e;
}

/* ---- the session ---- */

/* One wrapped command through es3->conn; plain answer data into resp. */
static rsp_err session_cmd(const rsp_smdp_es3 *es3, const char *eid, const char *iccid, rsp_scp03_session *s,
                           const uint8_t *apdu, size_t len, rsp_buf *resp, rsp_diag *diag)
{
    rsp_buf w = RSP_BUF_INIT, r = RSP_BUF_INIT;
    rsp_err e = rsp_scp03_host_wrap(s, apdu, len, &w, diag);
    e = e ? e : es3->conn(es3->arg, eid, iccid, w.data, w.len, &r, diag);
    /* the SM-SR answers Executed only on 9000 and passes the data: the R-MAC covers data || 9000 */
    static const uint8_t ok[2] = {0x90, 0x00};
    e = e ? e : rsp_buf_append(&r, ok, 2);
    rsp_buf plain = RSP_BUF_INIT;
    e = e ? e : rsp_scp03_host_unwrap(s, r.data, r.len, &plain, diag);
    if (e == RSP_OK && (plain.len < 2 || plain.data[plain.len - 2] != 0x90))
        e = rsp_diag_set(diag, RSP_ERR_PROTOCOL, "ISD-P answered SW %02X%02X", plain.len >= 2 ? plain.data[plain.len - 2] : 0,
                         plain.len >= 2 ? plain.data[plain.len - 1] : 0);
    if (e == RSP_OK && resp) {
        rsp_buf_reset(resp);
        e = rsp_buf_append(resp, plain.data, plain.len - 2);
    }
    rsp_buf_free_secret(&plain);
    rsp_buf_free(&w);
    rsp_buf_free(&r);
    return e;
}

rsp_err rsp_smdp_isdp_session(const rsp_smdp_es3 *es3, const char *eid, const char *iccid, const rsp_scp03_keys *k,
                              const rsp_bytes *cmds, size_t n, rsp_buf *resp, rsp_diag *diag)
{
    if (!es3 || !es3->send_data || !es3->conn || !eid || !iccid || !k || (!cmds && n))
        return RSP_ERR_INVAL;
    uint8_t hc[8];
    rsp_buf a = RSP_BUF_INIT, r = RSP_BUF_INIT;
    rsp_scp03_session s;
    memset(&s, 0, sizeof s);
    rsp_err e = rsp_random(hc, sizeof hc);
    e = e ? e : rsp_scp03_host_init_update(k->kvn, hc, &a);
    e = e ? e : es3->send_data(es3->arg, eid, iccid, a.data, a.len, &r, diag);
    if (e == RSP_OK && (e = rsp_scp03_host_begin(&s, k, hc, r.data, r.len, diag)) != RSP_OK && e == RSP_ERR_VERIFY)
        rsp_diag_set(diag, e, "ISD-P of %s: card cryptogram wrong (not the keys of its download)", iccid);
    rsp_buf_reset(&a);
    rsp_buf_reset(&r);
    e = e ? e : rsp_scp03_host_ext_auth(&s, SL, &a);
    e = e ? e : es3->conn(es3->arg, eid, iccid, a.data, a.len, &r, diag);
    for (size_t i = 0; e == RSP_OK && i < n; i++)
        e = session_cmd(es3, eid, iccid, &s, cmds[i].p, cmds[i].len, resp, diag);
    rsp_scp03_close(&s);
    rsp_buf_free(&a);
    rsp_buf_free(&r);
    return e;
}
