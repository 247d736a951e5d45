/* `rsp scp03 session`: replays the host side of one SCP03 session from its inputs and prints the
 * session keys, the cryptogram check, EXTERNAL AUTHENTICATE and every APDU wrapped, in order. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "rsp/ids.h"
#include "rsp/scp03.h"

#define SESSION_USAGE                                                                                   \
    "usage: rsp scp03 session --enc KEY --mac KEY [--dek KEY] [--kvn KVN] --host-challenge HEX\n"      \
    "         --init-update-response HEX --security-level SL [--aid AID] [--json] [APDU...]"

typedef struct session_args {
    const char *enc, *mac, *dek, *hc, *iur, *sl, *aid, *kvn;
} session_args;

/* Loads a hex string or file; reports which option was malformed. */
static int load(const char *opt, const char *arg, rsp_buf *out)
{
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_buf_reset(out); /* the loader appends */
    rsp_err e = rsp_cli_load_bytes(arg, out, &d);
    if (e) {
        char what[128];
        snprintf(what, sizeof(what), "scp03 session: %s", opt);
        rsp_cli_fail(what, e, &d);
        return RSP_EXIT_USAGE;
    }
    return RSP_EXIT_OK;
}

static int parse_hex_byte(const char *opt, const char *s, uint8_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 16);
    if (!*s || *end || v > 0xFF)
        return rsp_cli_usage_error("scp03 session: %s '%s' is not one hex byte", opt, s);
    *out = (uint8_t)v;
    return RSP_EXIT_OK;
}

static void out_hex(json_t *o, const char *key, const char *label, const uint8_t *p, size_t len, bool json)
{
    if (json) {
        json_object_set_new(o, key, rsp_cli_json_hex(p, len));
        return;
    }
    char *h = rsp_hex_dup(p, len);
    printf("%-24s %s\n", label, h ? h : "?");
    free(h);
}

static int session(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    session_args a = {0};
    const char **apdus = calloc((size_t)argc + 1, sizeof(*apdus));
    size_t n_apdus = 0;
    struct { const char *name; const char **dst; } opts[] = {
        {"--enc", &a.enc}, {"--mac", &a.mac}, {"--dek", &a.dek}, {"--host-challenge", &a.hc},
        {"--init-update-response", &a.iur}, {"--security-level", &a.sl}, {"--aid", &a.aid}, {"--kvn", &a.kvn},
    };
    int rc = RSP_EXIT_OK;
    for (int i = 1; i < argc && rc == RSP_EXIT_OK; i++) {
        size_t k;
        for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
            if (!strcmp(argv[i], opts[k].name))
                break;
        if (k < sizeof(opts) / sizeof(opts[0])) {
            if (i + 1 >= argc)
                rc = rsp_cli_usage_error("scp03 session: %s needs a value", argv[i]);
            else
                *opts[k].dst = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            rc = rsp_cli_usage_error("scp03 session: unknown option %s\n%s", argv[i], SESSION_USAGE);
        } else {
            apdus[n_apdus++] = argv[i];
        }
    }
    if (rc == RSP_EXIT_OK && (!a.enc || !a.mac || !a.hc || !a.iur || !a.sl))
        rc = rsp_cli_usage_error("scp03 session: --enc, --mac, --host-challenge, --init-update-response and "
                                 "--security-level are required\n%s", SESSION_USAGE);
    rsp_buf enc = RSP_BUF_INIT, mac = RSP_BUF_INIT, dek = RSP_BUF_INIT, hc = RSP_BUF_INIT, iur = RSP_BUF_INIT,
            apdu = RSP_BUF_INIT, out = RSP_BUF_INIT;
    rsp_scp03_keys keys;
    rsp_scp03_session s;
    memset(&keys, 0, sizeof(keys));
    memset(&s, 0, sizeof(s));
    uint8_t sl = 0, kvn = 0;
    rsp_aid aid;
    json_t *o = json ? json_object() : NULL;
    if (rc == RSP_EXIT_OK)
        rc = load("--enc", a.enc, &enc);
    if (rc == RSP_EXIT_OK)
        rc = load("--mac", a.mac, &mac);
    if (rc == RSP_EXIT_OK && a.dek)
        rc = load("--dek", a.dek, &dek);
    if (rc == RSP_EXIT_OK)
        rc = load("--host-challenge", a.hc, &hc);
    if (rc == RSP_EXIT_OK)
        rc = load("--init-update-response", a.iur, &iur);
    if (rc == RSP_EXIT_OK)
        rc = parse_hex_byte("--security-level", a.sl, &sl);
    if (rc == RSP_EXIT_OK && a.kvn)
        rc = parse_hex_byte("--kvn", a.kvn, &kvn);
    if (rc == RSP_EXIT_OK && !rsp_scp03_sl_valid(sl))
        rc = rsp_cli_usage_error("scp03 session: security level %02X is not one of 01 03 11 13 31 33", sl);
    if (rc == RSP_EXIT_OK && (enc.len != mac.len || (enc.len != 16 && enc.len != 24 && enc.len != 32) ||
                              (a.dek && dek.len != enc.len)))
        rc = rsp_cli_usage_error("scp03 session: keys must be 16, 24 or 32 bytes and all the same size "
                                 "(enc %zu, mac %zu, dek %zu)", enc.len, mac.len, dek.len);
    if (rc == RSP_EXIT_OK && hc.len != 8)
        rc = rsp_cli_usage_error("scp03 session: --host-challenge is %zu bytes, expected 8", hc.len);
    if (rc == RSP_EXIT_OK && a.aid && rsp_aid_parse(a.aid, &aid) != RSP_OK)
        rc = rsp_cli_usage_error("scp03 session: --aid '%s' is not a 5 to 16 byte AID", a.aid);
    if (rc != RSP_EXIT_OK)
        goto done;
    rsp_scp03_keys_set(&keys, kvn, enc.data, mac.data, a.dek ? dek.data : NULL, enc.len);
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_scp03_host_begin(&s, &keys, hc.data, iur.data, iur.len, &d);
    if (e && e != RSP_ERR_VERIFY) {
        rc = rsp_cli_fail("scp03 session: --init-update-response", e, &d);
        goto done;
    }
    out_hex(o, "s_enc", "s_enc", s.s_enc, s.keylen, json);
    out_hex(o, "s_mac", "s_mac", s.s_mac, s.keylen, json);
    out_hex(o, "s_rmac", "s_rmac", s.s_rmac, s.keylen, json);
    out_hex(o, "card_challenge", "card challenge", s.card_challenge, 8, json);
    if (a.aid && (s.i_param & RSP_SCP03_I_PSEUDO_RANDOM)) {
        uint8_t cc[8];
        bool ok = rsp_scp03_card_challenge(keys.enc, keys.len, s.seq, aid.b, aid.len, cc) == RSP_OK &&
                  !memcmp(cc, s.card_challenge, 8);
        if (json)
            json_object_set_new(o, "card_challenge_valid", json_boolean(ok));
        else
            printf("%-24s %s\n", "card challenge (AID)", ok ? "valid" : "INVALID (not from this AID and seq)");
        if (!ok)
            rc = RSP_EXIT_FAIL;
    }
    if (json)
        json_object_set_new(o, "card_cryptogram_valid", json_boolean(s.card_cryptogram_ok));
    else
        printf("%-24s %s\n", "card cryptogram", s.card_cryptogram_ok ? "valid" : "INVALID");
    out_hex(o, "host_cryptogram", "host cryptogram", s.host_cryptogram, 8, json);
    if (!s.card_cryptogram_ok) {
        rc = RSP_EXIT_FAIL;
        goto done;
    }
    if ((e = rsp_scp03_host_ext_auth(&s, sl, &out)) != RSP_OK) {
        rc = rsp_cli_fail("scp03 session: external authenticate", e, NULL);
        goto done;
    }
    out_hex(o, "external_authenticate", "EXTERNAL AUTHENTICATE", out.data, out.len, json);
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n_apdus; i++) {
        char label[64];
        snprintf(label, sizeof(label), "APDU %zu", i + 1);
        if ((rc = load(label, apdus[i], &apdu)) != RSP_EXIT_OK)
            break;
        rsp_buf_reset(&out);
        rsp_diag_clear(&d);
        if ((e = rsp_scp03_host_wrap(&s, apdu.data, apdu.len, &out, &d)) != RSP_OK) {
            snprintf(label, sizeof(label), "scp03 session: APDU %zu", i + 1);
            rc = rsp_cli_fail(label, e, &d);
            break;
        }
        if (json) {
            json_array_append_new(arr, json_pack("{s:o, s:o}", "plain", rsp_cli_json_hex(apdu.data, apdu.len),
                                                 "wrapped", rsp_cli_json_hex(out.data, out.len)));
        } else {
            char *ph = rsp_hex_dup(apdu.data, apdu.len), *wh = rsp_hex_dup(out.data, out.len);
            printf("%-24s %s -> %s\n", label, ph ? ph : "?", wh ? wh : "?");
            free(ph);
            free(wh);
        }
    }
    if (json)
        json_object_set_new(o, "apdus", arr);
done:
    if (o && rc != RSP_EXIT_USAGE)
        rsp_cli_json_out(o);
    else if (o)
        json_decref(o);
    rsp_scp03_close(&s);
    rsp_wipe(&keys, sizeof(keys));
    rsp_buf_free_secret(&enc);
    rsp_buf_free_secret(&mac);
    rsp_buf_free_secret(&dek);
    rsp_buf_free(&hc);
    rsp_buf_free(&iur);
    rsp_buf_free(&apdu);
    rsp_buf_free(&out);
    free(apdus);
    return rc;
}

int rsp_cmd_scp03(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"session", session, "host side of one SCP03 session: keys, cryptograms, EXTERNAL AUTHENTICATE, wrapped APDUs"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp scp03", sub, argc, argv);
}
