/* `rsp op ota`: ES6, the Operator's OTA to the MNO-SD of its own enabled profile (SGP.02; the SM-SR is
 * not in the path). One request (read or update a file, read or update a record, the applet status)
 * as a remote APDU script, secured by SCP80 under the profile's OTA keys (from its package's
 * securityDomain element, or given), sent by SMPP to rsp smsc as SMS-PP to the card's MSISDN; the PoR
 * comes back to --from, is opened (rsp_scp80_por_open), checked and decoded. The counter of each
 * (EID, KVN) is kept in --state DIR and advanced durably before the packet leaves, so a packet is
 * never sent twice under one counter. docs/modules/es6.md. */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "op_int.h"
#include "rsp/es6.h"
#include "rsp/hostport.h"
#include "rsp/ids.h"
#include "rsp/log.h"
#include "rsp/saip.h"
#include "rsp/saip_sd.h"
#include "rsp/sms.h"
#include "rsp/smpp.h"

static const char USAGE[] =
    "usage: rsp op ota --eid EID --msisdn DIGITS --smsc HOST:PORT --state DIR\n"
    "                  (--keys-from PACKAGE.der | --kic HEX --kid HEX [--aes]) [--kvn N] [--tar HEX]\n"
    "                  (--read FID[/FID..] | --update FID[/FID..]=HEX | --read-record FID[/FID..]:N |\n"
    "                   --update-record FID[/FID..]:N=HEX | --applet-status)\n"
    "                  [--from DIGITS] [--spi HEX] [--timeout SECONDS] [--json]\n"
    "\n"
    "ES6: one request to the MNO-SD of the card's enabled profile over SCP80 by SMS (SMPP to rsp smsc,\n"
    "bound as --from, default 447700900001, which is where the PoR comes back).\n"
    "  --keys-from: the profile's package; its securityDomain element gives the key set --kvn (default\n"
    "    its first) and whether it is 3DES or AES. --kic/--kid: the keys themselves (3DES, or --aes).\n"
    "  --tar: the RFM instance (default B00140, USIM RFM, for a path starting at 7FF0; else B00120, UICC\n"
    "    RFM); --applet-status goes to the MNO-SD's own TAR B20100 (TS.48; docs/ENCODINGS.md \"ES6\").\n"
    "  --spi: default 1639 (CC, ciphered, counter must be higher; PoR with CC, ciphered, by SMS-SUBMIT).\n"
    "  --state DIR: the counter of each EID and KVN (EID.kvnN.cntr), advanced before every packet.\n"
    "Output: the PoR status, the last R-APDU (SW and data; EF.IMSI decoded), or the applications.\n"
    "Exit: 0 accepted and executed (SW 9000/62xx/63xx), 1 refused by the card (PoR status or SW),\n"
    "  2 usage, 3 no answer within --timeout (the packet may or may not have been executed).\n";

typedef struct ota_args {
    const char *eid, *msisdn, *smsc, *state, *keys_from, *kic, *kid, *tar, *from, *spi, *timeout;
    bool aes, json;
    int kvn;
    rsp_es6_cmd cmd;
    rsp_buf data;
    const char *what; /* the action flag, for the output */
} ota_args;

/* "PATH", "PATH=HEX", "PATH:N", "PATH:N=HEX" into the command. */
static int parse_action(ota_args *a, const char *v, rsp_es6_op op)
{
    char buf[128];
    if (strlen(v) >= sizeof(buf))
        return rsp_cli_usage_error("op ota: '%s' is too long", v);
    snprintf(buf, sizeof(buf), "%s", v);
    char *eq = strchr(buf, '='), *colon = strchr(buf, ':');
    bool upd = op == RSP_ES6_UPDATE || op == RSP_ES6_UPDATE_RECORD;
    bool rec = op == RSP_ES6_READ_RECORD || op == RSP_ES6_UPDATE_RECORD;
    if (upd != (eq != NULL) || rec != (colon != NULL) || (eq && colon && colon > eq))
        return rsp_cli_usage_error("op ota: %s wants %s, not '%s'", a->what,
                                   rec ? (upd ? "FID[/FID..]:N=HEX" : "FID[/FID..]:N") : (upd ? "FID[/FID..]=HEX" : "FID[/FID..]"), v);
    if (eq) {
        *eq = 0;
        if (rsp_hex_decode(eq + 1, &a->data, NULL) != RSP_OK || a->data.len == 0 || a->data.len > 255)
            return rsp_cli_usage_error("op ota: the data to write must be 1..255 bytes of hex");
        a->cmd.data = a->data.data;
        a->cmd.data_len = a->data.len;
    }
    if (colon) {
        *colon = 0;
        char *end = NULL;
        long n = strtol(colon + 1, &end, 10);
        if (!colon[1] || *end || n < 1 || n > 254)
            return rsp_cli_usage_error("op ota: the record number must be 1..254");
        a->cmd.record = (uint8_t)n;
    }
    if (rsp_es6_path_parse(buf, a->cmd.path, &a->cmd.path_len) != RSP_OK)
        return rsp_cli_usage_error("op ota: '%s' is not a path of 4-digit hex FIDs (7FF0/6F07)", buf);
    a->cmd.op = op;
    return -1;
}

static int parse(int argc, char **argv, ota_args *a)
{
    memset(a, 0, sizeof(*a));
    a->from = "447700900001";
    a->kvn = -1;
    int actions = 0;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        struct { const char *name; const char **dst; } vals[] = {
            {"--eid", &a->eid},     {"--msisdn", &a->msisdn}, {"--smsc", &a->smsc},   {"--state", &a->state},
            {"--keys-from", &a->keys_from}, {"--kic", &a->kic}, {"--kid", &a->kid},   {"--tar", &a->tar},
            {"--from", &a->from},   {"--spi", &a->spi},       {"--timeout", &a->timeout},
        };
        static const struct { const char *name; rsp_es6_op op; } acts[] = {
            {"--read", RSP_ES6_READ}, {"--update", RSP_ES6_UPDATE}, {"--read-record", RSP_ES6_READ_RECORD},
            {"--update-record", RSP_ES6_UPDATE_RECORD},
        };
        bool done = false;
        if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            fputs(USAGE, stdout);
            return RSP_EXIT_OK;
        } else if (!strcmp(s, "--json")) {
            a->json = done = true;
        } else if (!strcmp(s, "--aes")) {
            a->aes = done = true;
        } else if (!strcmp(s, "--applet-status")) {
            a->cmd.op = RSP_ES6_APPLET_STATUS, a->what = s, actions++, done = true;
        } else if (!strcmp(s, "--kvn")) {
            char *end = NULL;
            long n = v ? strtol(v, &end, 16) : -1;
            if (!v || !*v || *end || n < 1 || n > 15)
                return rsp_cli_usage_error("op ota: --kvn wants 1..F");
            a->kvn = (int)n, i++, done = true;
        }
        for (size_t k = 0; !done && k < sizeof(vals) / sizeof(vals[0]); k++)
            if (!strcmp(s, vals[k].name)) {
                if (!v)
                    return rsp_cli_usage_error("op ota: %s needs a value", s);
                *vals[k].dst = v, i++, done = true;
            }
        for (size_t k = 0; !done && k < sizeof(acts) / sizeof(acts[0]); k++)
            if (!strcmp(s, acts[k].name)) {
                if (!v)
                    return rsp_cli_usage_error("op ota: %s needs a value", s);
                a->what = s;
                int rc = parse_action(a, v, acts[k].op);
                if (rc >= 0)
                    return rc;
                i++, actions++, done = true;
            }
        if (!done)
            return rsp_cli_usage_error("op ota: unexpected '%s' (rsp op ota --help)", s);
    }
    if (!a->eid || !a->msisdn || !a->smsc || !a->state)
        return rsp_cli_usage_error("op ota: --eid, --msisdn, --smsc and --state are required");
    if (rsp_eid_check(a->eid, NULL) != RSP_OK)
        return rsp_cli_usage_error("op ota: --eid '%s' is not an EID", a->eid);
    if (actions != 1)
        return rsp_cli_usage_error("op ota: one of --read, --update, --read-record, --update-record, --applet-status");
    if (!a->keys_from == !(a->kic && a->kid) || (a->keys_from && (a->kic || a->kid || a->aes)))
        return rsp_cli_usage_error("op ota: --keys-from PACKAGE, or --kic and --kid");
    return -1;
}

/* ---- the keys and the counter ---- */

static rsp_err load_keys(ota_args *a, rsp_saip_sd_keys *ks, rsp_diag *d)
{
    memset(ks, 0, sizeof(*ks));
    if (a->keys_from) {
        rsp_buf pkg = RSP_BUF_INIT;
        rsp_saip_package p;
        rsp_err e = rsp_cli_read_file(a->keys_from, &pkg);
        if (e)
            return rsp_diag_set(d, e, "cannot read %s", a->keys_from);
        e = rsp_saip_parse(pkg.data, pkg.len, RSP_SAIP_ALLOW_UNKNOWN, &p, d);
        if (!e) {
            e = rsp_saip_sd_keys_get(&p, a->kvn > 0 ? (uint8_t)a->kvn : 0, ks, d);
            rsp_saip_package_free(&p);
        }
        rsp_buf_free_secret(&pkg);
        return e;
    }
    rsp_buf kic = RSP_BUF_INIT, kid = RSP_BUF_INIT;
    rsp_err e = RSP_OK;
    if (rsp_hex_decode(a->kic, &kic, NULL) || rsp_hex_decode(a->kid, &kid, NULL) || kic.len > 32 || kid.len > 32 ||
        !(kic.len == 16 || kic.len == 24 || kic.len == 32) || !(kid.len == 16 || kid.len == 24 || kid.len == 32))
        e = rsp_diag_set(d, RSP_ERR_INVAL, "--kic and --kid are 16, 24 or 32 bytes of hex"); /* keys not echoed */
    if (!e) {
        memcpy(ks->kic, kic.data, kic.len), ks->kic_len = kic.len;
        memcpy(ks->kid, kid.data, kid.len), ks->kid_len = kid.len;
        ks->kvn = a->kvn > 0 ? (uint8_t)a->kvn : 1;
        ks->type = a->aes ? RSP_SAIP_KEYTYPE_AES : RSP_SAIP_KEYTYPE_DES;
    }
    rsp_buf_free_secret(&kic);
    rsp_buf_free_secret(&kid);
    return e;
}

/* KIc/KID byte: the KVN in the high nibble, the algorithm in the low one (OTA.md). */
static uint8_t alg_byte(const rsp_saip_sd_keys *ks, size_t len)
{
    uint8_t alg = ks->type == RSP_SAIP_KEYTYPE_AES ? 0x02 : len == 24 ? 0x09 : 0x05;
    return (uint8_t)(ks->kvn << 4 | alg);
}

/* Takes the next counter: reads the last one used, writes last + 1 (temp, fsync, rename) and only
 * then lets the packet be built with it. */
static rsp_err next_counter(const ota_args *a, uint8_t kvn, uint64_t *out, rsp_diag *d)
{
    char path[1024], txt[32];
    if (rsp_cli_mkdirs(a->state) != RSP_OK)
        return rsp_diag_set(d, RSP_ERR_IO, "cannot create %s", a->state);
    snprintf(path, sizeof(path), "%s/%s.kvn%X.cntr", a->state, a->eid, kvn);
    rsp_buf b = RSP_BUF_INIT;
    uint64_t last = 0;
    rsp_err e = rsp_cli_read_file(path, &b);
    if (e == RSP_OK) {
        char *end = NULL;
        char s[32] = "";
        memcpy(s, b.data, b.len < sizeof(s) - 1 ? b.len : sizeof(s) - 1);
        errno = 0;
        last = strtoull(s, &end, 10);
        if (end == s || (*end && *end != '\n') || errno || last >= 0xFFFFFFFFFFull)
            e = rsp_diag_set(d, RSP_ERR_FORMAT, "%s does not hold a counter", path);
    } else {
        e = RSP_OK; /* first packet to this card under this KVN */
    }
    rsp_buf_free(&b);
    if (e)
        return e;
    *out = last + 1;
    int n = snprintf(txt, sizeof(txt), "%llu\n", (unsigned long long)*out);
    if (rsp_cli_write_file(path, txt, (size_t)n, 0600) != RSP_OK)
        return rsp_diag_set(d, RSP_ERR_IO, "cannot write %s", path);
    return RSP_OK;
}

/* ---- the SMS exchange ---- */

typedef struct xchg {
    struct event_base *base;
    rsp_smpp_esme *esme;
    const ota_args *a;
    rsp_buf *parts;
    size_t n_parts;
    bool sent;
    rsp_err submit_err;
    rsp_sms_reasm reasm;
    rsp_buf por;
    bool have_por;
} xchg;

static void on_submit(void *arg, rsp_err err, uint32_t status, const char *message_id)
{
    xchg *x = arg;
    (void)status;
    (void)message_id;
    if (err && !x->submit_err) {
        x->submit_err = err;
        event_base_loopbreak(x->base);
    }
}

static void on_state(void *arg, int bound)
{
    xchg *x = arg;
    if (!bound || x->sent)
        return;
    x->sent = true;
    for (size_t i = 0; i < x->n_parts; i++) {
        rsp_smpp_pdu sm;
        rsp_smpp_pdu_init(&sm, RSP_SMPP_SUBMIT_SM, 0);
        snprintf(sm.source_addr, sizeof(sm.source_addr), "%s", x->a->from);
        snprintf(sm.dest_addr, sizeof(sm.dest_addr), "%s", x->a->msisdn);
        sm.src_ton = sm.dst_ton = 1;
        sm.src_npi = sm.dst_npi = 1;
        sm.esm_class = RSP_SMPP_ESM_UDHI;
        sm.protocol_id = RSP_SMPP_PID_SIM_DOWNLOAD;
        sm.data_coding = RSP_SMPP_DCS_SIM_BINARY;
        memcpy(sm.short_message, x->parts[i].data, x->parts[i].len);
        sm.sm_length = (uint8_t)x->parts[i].len;
        if (rsp_smpp_esme_submit(x->esme, &sm, on_submit, x) != RSP_OK && !x->submit_err)
            x->submit_err = RSP_ERR_NET;
    }
}

static uint32_t on_deliver(void *arg, const rsp_smpp_pdu *p)
{
    xchg *x = arg;
    if ((p->esm_class & RSP_SMPP_ESM_RECEIPT) || x->have_por || strcmp(p->source_addr, x->a->msisdn) != 0)
        return RSP_SMPP_ROK;
    uint8_t iei = 0;
    bool done = false;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
    if (rsp_sms_reasm_add(&x->reasm, p->source_addr, p->short_message, p->sm_length, now, &x->por, &iei, &done,
                          NULL) == RSP_OK &&
        done && iei == RSP_SMS_IEI_RESP_PKT) {
        x->have_por = true;
        event_base_loopbreak(x->base);
    }
    return RSP_SMPP_ROK;
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    event_base_loopbreak(arg);
}

static rsp_err exchange(xchg *x, unsigned timeout_s, rsp_diag *d)
{
    char host[256];
    uint16_t port = 0;
    rsp_diag hd;
    rsp_diag_clear(&hd);
    if (rsp_hostport_split(x->a->smsc, RSP_HOSTPORT_REQUIRED, host, sizeof(host), &port, &hd) || !port)
        return rsp_diag_set(d, RSP_ERR_INVAL, "--smsc wants HOST:PORT or [IPv6]:PORT (not port 0): %s",
                            hd.msg[0] ? hd.msg : x->a->smsc);
    rsp_sms_reasm_init(&x->reasm, 60000);
    if (!(x->base = event_base_new()))
        return RSP_ERR_NOMEM;
    rsp_smpp_esme_opts eo = {0};
    eo.host = host;
    eo.port = port;
    eo.system_id = "op-ota";
    eo.password = "op";
    eo.address_range = x->a->from;
    eo.reconnect_min_ms = 100;
    eo.reconnect_max_ms = 1000;
    eo.on_deliver = on_deliver;
    eo.on_state = on_state;
    eo.arg = x;
    rsp_err e = rsp_smpp_esme_new(x->base, &eo, &x->esme);
    struct event *t = e ? NULL : evtimer_new(x->base, on_timeout, x->base);
    struct timeval tv = {(time_t)timeout_s, 0};
    if (!e && (!t || evtimer_add(t, &tv) != 0))
        e = RSP_ERR_NOMEM;
    if (!e)
        event_base_dispatch(x->base);
    if (!e && !x->have_por)
        e = x->submit_err ? rsp_diag_set(d, x->submit_err, "the SMSC did not take the packet")
            : rsp_diag_set(d, RSP_ERR_TIMEOUT, "%s within %u s", x->sent ? "no PoR" : "no bind to the SMSC", timeout_s);
    if (t)
        event_free(t);
    rsp_smpp_esme_free(x->esme);
    event_base_free(x->base);
    rsp_sms_reasm_free(&x->reasm);
    return e;
}

/* ---- output ---- */

static bool sw_ok(uint16_t sw) { return sw == 0x9000 || (sw >> 8) == 0x62 || (sw >> 8) == 0x63 || (sw >> 8) == 0x61; }

static bool is_imsi_read(const rsp_es6_cmd *c)
{
    return c->op == RSP_ES6_READ && c->path_len && c->path[c->path_len - 1] == 0x6F07;
}

static int report(const ota_args *a, uint32_t tar, uint64_t cntr, const rsp_es6_answer *ans)
{
    char hex[2 * sizeof(ans->data) + 1], imsi[16] = "";
    rsp_hex_encode_upper(ans->data, ans->data_len, hex, sizeof(hex));
    bool accepted = ans->status == RSP_SCP80_POR_OK && !ans->bad_format;
    bool ok = accepted && sw_ok(ans->sw);
    if (ok && is_imsi_read(&a->cmd) && rsp_saip_imsi_decode(ans->data, ans->data_len, imsi) != RSP_OK)
        imsi[0] = 0;
    rsp_es6_app apps[16];
    size_t napps = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err pe = RSP_OK;
    if (ok && a->cmd.op == RSP_ES6_APPLET_STATUS)
        pe = rsp_es6_apps_parse(ans->data, ans->data_len, apps, 16, &napps, &d);
    if (a->json) {
        json_t *o = json_object();
        json_object_set_new(o, "eid", json_string(a->eid));
        char t[8];
        snprintf(t, sizeof(t), "%06X", (unsigned)tar);
        json_object_set_new(o, "tar", json_string(t));
        json_object_set_new(o, "counter", json_integer((json_int_t)cntr));
        json_object_set_new(o, "por_status", json_integer(ans->status));
        json_object_set_new(o, "por_status_name", json_string(rsp_scp80_status_name(ans->status)));
        json_object_set_new(o, "por_secured", json_boolean(ans->secured));
        if (accepted) {
            char sw[8];
            snprintf(sw, sizeof(sw), "%04X", ans->sw);
            json_object_set_new(o, "executed", json_integer(ans->executed));
            json_object_set_new(o, "sw", json_string(sw));
            json_object_set_new(o, "data", json_string(hex));
        }
        if (ans->bad_format)
            json_object_set_new(o, "bad_format", json_true());
        if (imsi[0])
            json_object_set_new(o, "imsi", json_string(imsi));
        if (a->cmd.op == RSP_ES6_APPLET_STATUS && ok && !pe) {
            json_t *arr = json_array();
            for (size_t i = 0; i < napps; i++) {
                char aid[33], pr[8];
                rsp_hex_encode_upper(apps[i].aid, apps[i].aid_len, aid, sizeof(aid));
                rsp_hex_encode_upper(apps[i].priv, apps[i].priv_len, pr, sizeof(pr));
                json_t *e = json_object();
                json_object_set_new(e, "aid", json_string(aid));
                json_object_set_new(e, "lcs", json_integer(apps[i].lcs));
                json_object_set_new(e, "privileges", json_string(pr));
                json_array_append_new(arr, e);
            }
            json_object_set_new(o, "applications", arr);
        }
        json_object_set_new(o, "ok", json_boolean(ok && !pe));
        rsp_cli_json_out(o);
    } else {
        printf("por: %02X %s (TAR %06X, counter %llu)\n", ans->status, rsp_scp80_status_name(ans->status),
               (unsigned)tar, (unsigned long long)cntr);
        if (ans->bad_format)
            printf("the card could not parse the script (bad format)\n");
        if (accepted)
            printf("sw: %04X after %u command(s)%s%s\n", ans->sw, ans->executed, ans->data_len ? "\ndata: " : "",
                   ans->data_len ? hex : "");
        if (imsi[0])
            printf("imsi: %s\n", imsi);
        for (size_t i = 0; !pe && i < napps; i++) {
            char aid[33];
            rsp_hex_encode_upper(apps[i].aid, apps[i].aid_len, aid, sizeof(aid));
            printf("application %s life cycle %02X\n", aid, apps[i].lcs);
        }
    }
    if (pe) {
        fprintf(stderr, "rsp: op ota: the GET STATUS answer does not decode: %s\n", d.msg);
        return OP_EXIT_NO_ANSWER;
    }
    return ok ? RSP_EXIT_OK : RSP_EXIT_FAIL;
}

int op_ota(int argc, char **argv)
{
    ota_args a;
    int rc = parse(argc, argv, &a);
    if (rc >= 0) {
        rsp_buf_free(&a.data);
        return rc;
    }
    rsp_log_set_level_all(RSP_LOG_ERROR);
    unsigned timeout_s = 30;
    uint8_t spi[2] = {0x16, 0x39};
    uint32_t tar = rsp_es6_default_tar(&a.cmd);
    if (a.timeout) {
        char *end = NULL;
        long v = strtol(a.timeout, &end, 10);
        if (!*a.timeout || *end || v < 1 || v > 3600)
            rc = rsp_cli_usage_error("op ota: --timeout SECONDS (1..3600)");
        timeout_s = (unsigned)v;
    }
    uint8_t tb[3];
    if (rc < 0 && a.tar && rsp_hex_decode_fixed(a.tar, tb, 3, NULL) != RSP_OK)
        rc = rsp_cli_usage_error("op ota: --tar wants 3 bytes of hex, not '%s'", a.tar);
    else if (a.tar)
        tar = rsp_be24(tb);
    if (rc < 0 && a.spi && rsp_hex_decode_fixed(a.spi, spi, 2, NULL) != RSP_OK)
        rc = rsp_cli_usage_error("op ota: --spi wants 2 bytes of hex, not '%s'", a.spi);
    if (rc >= 0) {
        rsp_buf_free(&a.data);
        return rc;
    }
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_saip_sd_keys ks;
    rsp_buf script = RSP_BUF_INIT;
    rsp_buf parts[16];
    size_t n_parts = 0;
    for (size_t i = 0; i < 16; i++)
        rsp_buf_init(&parts[i]);
    uint64_t cntr = 0;
    rsp_scp80_hdr h;
    memset(&h, 0, sizeof(h));
    xchg x;
    memset(&x, 0, sizeof(x));
    rsp_es6_answer ans;
    rsp_err e = load_keys(&a, &ks, &d);
    if (e) {
        rc = e == RSP_ERR_INVAL ? rsp_cli_usage_error("op ota: %s", d.msg) : rsp_cli_fail("op ota: keys", e, &d);
        goto out;
    }
    rsp_scp80_keys k = {ks.kic, ks.kic_len, ks.kid, ks.kid_len};
    memcpy(h.spi, spi, 2);
    h.kic = alg_byte(&ks, ks.kic_len);
    h.kid = alg_byte(&ks, ks.kid_len);
    rsp_put_be24(h.tar, tar);
    if ((e = rsp_es6_script(&a.cmd, &script)) != RSP_OK || (e = next_counter(&a, ks.kvn, &cntr, &d)) != RSP_OK) {
        rc = rsp_cli_fail("op ota", e, &d);
        goto out;
    }
    h.cntr[0] = (uint8_t)(cntr >> 32);
    rsp_put_be32(h.cntr + 1, (uint32_t)cntr);
    if ((e = rsp_es6_packet(&k, &h, script.data, script.len, (uint8_t)cntr, parts, 16, &n_parts, &d)) != RSP_OK) {
        rc = rsp_cli_fail("op ota: packet", e, &d);
        goto out;
    }
    x.a = &a;
    x.parts = parts;
    x.n_parts = n_parts;
    if ((e = exchange(&x, timeout_s, &d)) != RSP_OK) {
        fprintf(stderr, "rsp: op ota: %s\n", d.msg[0] ? d.msg : rsp_err_msg(e));
        rc = OP_EXIT_NO_ANSWER;
        goto out;
    }
    e = rsp_es6_answer_parse(&k, &h, x.por.data, x.por.len, &ans, &d);
    if (e == RSP_ERR_VERIFY) {
        fprintf(stderr, "rsp: op ota: the PoR's CC does not verify: not the card's answer\n");
        rc = RSP_EXIT_FAIL;
    } else if (e) {
        fprintf(stderr, "rsp: op ota: the PoR does not decode: %s\n", d.msg[0] ? d.msg : rsp_err_msg(e));
        rc = OP_EXIT_NO_ANSWER;
    } else {
        rc = report(&a, tar, cntr, &ans);
    }
out:
    rsp_saip_sd_keys_wipe(&ks);
    rsp_buf_free(&script);
    rsp_buf_free(&x.por);
    for (size_t i = 0; i < 16; i++)
        rsp_buf_free(&parts[i]);
    rsp_buf_free(&a.data);
    return rc;
}
