/* `rsp eum verify`: what an SM-SR does with an EIS on ES1.RegisterEIS, by hand. Per file: the EID's
 * check digits, CERT.EUM up to the CI, the EumSignature, CERT.ECASD under the EUM, and (given the
 * SM-SR's key or the transport key) that every wrapped ISD-R key unwraps, and (given --keys) that it
 * equals the clear key of keys-out. Clear keys are compared, never printed. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "eum_eis.h"
#include "eum_int.h"
#include "rsp/ids.h"

typedef struct vctx {
    rsp_pki_role ci, eum, smsr;
    bool has_eum, has_smsr, has_tk;
    uint8_t tk[RSP_EUM_TK_LEN];
    rsp_buf keys; /* the keys-out file (clear keys: wiped on exit) */
    bool has_keys;
} vctx;

/* keys-out is our own one-line-per-card format; it is searched as text so that the clear keys stay in
 * one buffer that is wiped at the end (a JSON library would keep copies we cannot wipe). */
static const char *find_line(const rsp_buf *keys, const char *eid, size_t *len)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "{\"eid\":\"%s\"", eid);
    size_t pl = strlen(pat);
    for (size_t s = 0; s < keys->len;) {
        const char *l = (const char *)keys->data + s;
        const char *nl = memchr(l, '\n', keys->len - s);
        size_t n = nl ? (size_t)(nl - l) : keys->len - s;
        if (n >= pl && !memcmp(l, pat, pl)) {
            *len = n;
            return l;
        }
        s += n + 1;
    }
    return NULL;
}

/* Decodes the hex string value of "name" inside the object "obj" of a keys-out line. */
static bool line_key(const char *l, size_t n, const char *obj, const char *name, uint8_t *out, size_t len)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "\"%s\":{", obj);
    const char *end = l + n, *p = NULL;
    for (const char *q = l; q + strlen(pat) <= end && !p; q++)
        if (!memcmp(q, pat, strlen(pat)))
            p = q;
    snprintf(pat, sizeof(pat), "\"%s\":\"", name);
    for (const char *q = p; q && q + strlen(pat) + 2 * len < end; q++) {
        if (!memcmp(q, pat, strlen(pat))) {
            char hex[129];
            if (2 * len >= sizeof(hex) || q[strlen(pat) + 2 * len] != '"')
                return false;
            memcpy(hex, q + strlen(pat), 2 * len);
            hex[2 * len] = '\0';
            bool ok = rsp_hex_decode_fixed(hex, out, len, NULL) == RSP_OK;
            rsp_wipe(hex, sizeof(hex));
            return ok;
        }
    }
    return false;
}

/* Unwraps every key of the ISD-R; with keys-out, compares. Returns a short status text. */
static rsp_err check_keys(vctx *v, const rsp_es_eis *eis, const uint8_t eidb[16], const char **status,
                          rsp_diag *d)
{
    size_t ll = 0;
    const char *line = v->has_keys ? find_line(&v->keys, eis->signed_info->eid, &ll) : NULL;
    if (v->has_keys && !line)
        return rsp_diag_set(d, RSP_ERR_NOT_FOUND, "EID not in the keys-out file");
    const rsp_es_security_domain *r = eis->isd_r;
    size_t n = 0;
    for (size_t i = 0; r && i < r->key_sets.n; i++) {
        const rsp_es_key_set *ks = (const rsp_es_key_set *)r->key_sets.v + i;
        for (size_t k = 0; k < ks->keys.n; k++) {
            const rsp_es_key *key = (const rsp_es_key *)ks->keys.v + k;
            for (size_t c = 0; c < key->components.n; c++) {
                const rsp_es_key_component *kc = (const rsp_es_key_component *)key->components.v + c;
                uint8_t clear[64], want[64];
                size_t len = 0;
                rsp_err e = rsp_es_eis_unwrap_key(v->has_smsr ? v->smsr.key : NULL, v->has_tk ? v->tk : NULL, eidb,
                                               (uint8_t)ks->version, (uint8_t)key->key_identifier, kc->value.data,
                                               kc->value.len, clear, sizeof(clear), &len);
                if (e) {
                    rsp_wipe(clear, sizeof(clear));
                    return rsp_diag_set(d, e == RSP_ERR_VERIFY ? RSP_ERR_VERIFY : e,
                                        "key %d of key set %d does not unwrap", (int)key->key_identifier,
                                        (int)ks->version);
                }
                if (line) {
                    bool s80 = ks->version == RSP_EUM_SCP80_KVN;
                    const char *name = s80 ? (key->key_identifier == 1 ? "kic" : "kid") : "psk";
                    bool ok = len <= sizeof(want) && line_key(line, ll, s80 ? "scp80" : "scp81", name, want, len) &&
                              rsp_ct_equal(clear, want, len);
                    rsp_wipe(want, sizeof(want));
                    if (!ok) {
                        rsp_wipe(clear, sizeof(clear));
                        return rsp_diag_set(d, RSP_ERR_VERIFY, "key %d of key set %d differs from keys-out",
                                            (int)key->key_identifier, (int)ks->version);
                    }
                }
                rsp_wipe(clear, sizeof(clear));
                n++;
            }
        }
    }
    if (n != 3)
        return rsp_diag_set(d, RSP_ERR_FORMAT, "the ISD-R carries %zu keys, expected 3 (KIc, KID, PSK)", n);
    *status = line ? "match keys-out" : "unwrapped";
    return RSP_OK;
}

static rsp_err check_file(vctx *v, const char *path, json_t *res, rsp_diag *d)
{
    rsp_es_msg m;
    rsp_buf raw = RSP_BUF_INIT;
    rsp_err e = rsp_eum_eis_load_raw(path, &m, &raw, d);
    const rsp_es_eis *eis = e ? NULL : ((const rsp_es_eis_req *)m.body)->eis;
    const rsp_es_eum_signed_info *si = eis ? eis->signed_info : NULL;
    uint8_t eidb[16];
    rsp_eckey *kecasd_issuer = NULL;
    if (!e)
        json_object_set_new(res, "eid", json_string(si->eid));
    /* The chain is the SM-SR's own check (lib/es/eis_sign.c): EID, CERT.EUM -> CI, EumSignature,
     * CERT.ECASD -> EUM. */
    e = e ? e : rsp_es_eis_check_chain(eis, v->ci.key, v->has_eum ? &v->eum.gpcert_der : NULL, &kecasd_issuer, NULL, d);
    e = e ? e : rsp_eid_to_bytes(si->eid, eidb);
    /* The XML form may also carry an XML-DSig over EumSignedInfo (checked on the bytes as read). */
    bool dsig = !e && eis->eum_dsig;
    if (dsig && (e = rsp_es_eis_dsig_verify(raw.data, raw.len, kecasd_issuer, d)) != RSP_OK && !d->msg[0])
        rsp_diag_set(d, e, "the XML-DSig over EumSignedInfo does not verify with the EUM key");
    json_object_set_new(res, "dsig", json_boolean(dsig && !e));
    const char *kst = NULL;
    if (!e && (v->has_smsr || v->has_tk))
        e = check_keys(v, eis, eidb, &kst, d);
    json_object_set_new(res, "keys", kst ? json_string(kst) : json_null());
    rsp_ec_free(kecasd_issuer);
    rsp_es_msg_free(&m);
    rsp_buf_free(&raw);
    return e;
}

int rsp_eum_cmd_verify(int argc, char **argv)
{
    static const char usage[] = "usage: rsp eum verify --ci DIR [--eum DIR] [--smsr DIR | --transport-key FILE|HEX "
                                "[--keys KEYS-OUT]] [--json] EIS...\n"
                                "  exit 0 when every file verifies, 1 when a check fails, 2 for malformed input";
    if (rsp_cli_take_flag(&argc, argv, "--help")) {
        puts(usage);
        return RSP_EXIT_OK;
    }
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    const char *ci = NULL, *eum = NULL, *smsr = NULL, *tk = NULL, *keys = NULL;
    static const struct option opts[] = {{"ci", 1, 0, 'c'},   {"eum", 1, 0, 'e'},  {"smsr", 1, 0, 's'},
                                         {"transport-key", 1, 0, 't'}, {"keys", 1, 0, 'k'}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'c': ci = optarg; break;
        case 'e': eum = optarg; break;
        case 's': smsr = optarg; break;
        case 't': tk = optarg; break;
        case 'k': keys = optarg; break;
        default: return rsp_cli_usage_error("eum verify: unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (!ci || optind >= argc || (smsr && tk) || (keys && !smsr && !tk))
        return rsp_cli_usage_error("%s", usage);
    vctx v;
    memset(&v, 0, sizeof(v));
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_pki_load_ci(ci, &v.ci, &d);
    int rc = RSP_EXIT_OK;
    if (!e && eum && (e = rsp_pki_load_issued(eum, RSP_GPCERT_ROLE_EUM, &v.ci, &v.eum, &d)) == RSP_OK)
        v.has_eum = true;
    if (!e && smsr && (e = rsp_pki_load_issued(smsr, RSP_GPCERT_ROLE_SMSR, &v.ci, &v.smsr, &d)) == RSP_OK)
        v.has_smsr = true;
    if (!e && tk) {
        rsp_buf b = RSP_BUF_INIT;
        e = rsp_cli_load_bytes(tk, &b, &d);
        if (!e && b.len != sizeof(v.tk))
            e = rsp_diag_set(&d, RSP_ERR_LENGTH, "--transport-key must be 16 bytes");
        if (!e)
            memcpy(v.tk, b.data, sizeof(v.tk));
        v.has_tk = !e;
        rsp_buf_free_secret(&b);
    }
    if (!e && keys) {
        /* Sized first so that reading never reallocates (a realloc would leave an unwiped copy). */
        struct stat st;
        if (stat(keys, &st) == 0 && st.st_size > 0)
            rsp_buf_reserve(&v.keys, (size_t)st.st_size + 1);
        if ((e = rsp_cli_read_file(keys, &v.keys)) != RSP_OK)
            rsp_diag_set(&d, e, "cannot read %s", keys);
        v.has_keys = !e;
    }
    if (e) {
        rc = rsp_cli_fail("eum verify", e, &d);
    } else {
        json_t *all = json_array();
        for (int i = optind; i < argc; i++) {
            json_t *res = json_pack("{s:s}", "file", argv[i]);
            rsp_diag_clear(&d);
            rsp_err fe = check_file(&v, argv[i], res, &d);
            char msg[320];
            json_object_set_new(res, "ok", json_boolean(!fe));
            json_object_set_new(res, "error", fe ? json_string(rsp_diag_str(&d, fe, msg, sizeof(msg))) : json_null());
            if (fe) {
                int frc = fe == RSP_ERR_VERIFY || fe == RSP_ERR_CHECKSUM ? RSP_EXIT_FAIL : RSP_EXIT_USAGE;
                rc = rc > frc ? rc : frc;
            }
            if (!json) {
                const char *k = json_string_value(json_object_get(res, "keys"));
                if (fe)
                    fprintf(stderr, "rsp: eum verify: %s: %s\n", argv[i], rsp_diag_str(&d, fe, msg, sizeof(msg)));
                else
                    printf("%s: ok, EID %s: EUM signature%s, CERT.EUM -> CI, CERT.ECASD -> EUM%s%s\n", argv[i],
                           json_string_value(json_object_get(res, "eid")),
                           json_is_true(json_object_get(res, "dsig")) ? " and XML-DSig" : "", k ? ", keys " : "",
                           k ? k : "");
            }
            json_array_append_new(all, res);
        }
        if (json)
            rsp_cli_json_out(json_pack("{s:o, s:b}", "files", all, "ok", rc == RSP_EXIT_OK));
        else
            json_decref(all);
    }
    rsp_buf_free_secret(&v.keys);
    rsp_wipe(v.tk, sizeof(v.tk));
    rsp_pki_role_free(&v.ci);
    rsp_pki_role_free(&v.eum);
    rsp_pki_role_free(&v.smsr);
    return rc;
}
