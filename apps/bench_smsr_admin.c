/* `rsp bench smsr-admin`: SCP03t-sized scripts through the SM-SR's SCP81 admin server (lib/smsr
 * es5_https.c) in ONE open session, as a download's SendData go: the script (1,100 bytes, an 86
 * segment) is queued on the card's held POST, the card (a PSK-TLS 1.2 client in this process) POSTs
 * its answer, which is handed back and the POST held again. Round trips/s beside the OpenSSL floor of
 * the same run (AES-128-GCM, the PSK cipher suite, over 1 KB, two records per round trip). The store
 * is not touched per script (the PSK is unsealed once, at the handshake). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "bench.h"
#include "cli.h"
#include "rsp/http.h"
#include "rsp/ids.h"
#include "rsp/scp81.h"
#include "rsp/tls.h"
#include "smsr/smsr_int.h"

#define B_EID "89049032123451234512345678901235"
#define B_AID "A0000005591010FFFFFFFF8900001000"

typedef struct ab {
    char dir[64];
    rsp_store *st;
    rsp_smsr *e;
    struct event_base *base;
    smsr_https *h;
    rsp_tls_ctx *ctls;
    rsp_http_client *cl;
    uint8_t aid[16], script[1100];
    char hdr_answer[512];
    int got, done;
    rsp_err err;
    uint64_t tag;
} ab;

static void on_trigger(void *arg, const rsp_smsr_packet *p)
{
    (void)arg;
    (void)p; /* the card below opens the session itself */
}

static void on_done(void *arg, uint64_t tag, rsp_err err, rsp_scp81_status st, const uint8_t *body, size_t len,
                    const char *why)
{
    (void)tag, (void)st, (void)body, (void)len, (void)why;
    ab *x = arg;
    x->done = 1;
    x->err = err;
}

static void on_resp(void *arg, rsp_err err, const rsp_http_response *r)
{
    ab *x = arg;
    x->got = err == RSP_OK && r && r->status == 200 ? 1 : -1;
}

static int spin(ab *x, int *flag)
{
    for (long i = 0; i < 1000000L && !*flag; i++)
        event_base_loop(x->base, EVLOOP_ONCE);
    return *flag;
}

/* One script: queued on the held POST, answered by the card, handed back. */
static int step(void *arg)
{
    ab *x = arg;
    x->got = x->done = 0;
    if (smsr_https_queue(x->h, B_EID, x->aid, 16, x->script, sizeof(x->script), on_done, x, ++x->tag) != RSP_OK ||
        spin(x, &x->got) != 1)
        return 1;
    x->got = 0;
    if (rsp_http_client_post(x->cl, "/gsma/adminagent", x->hdr_answer, NULL, 0, on_resp, x) != RSP_OK)
        return 1;
    return spin(x, &x->done) && x->err == RSP_OK ? 0 : 1;
}

static rsp_err setup(ab *x)
{
    static const uint8_t psk[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static uint8_t mk[32] = {0x42};
    snprintf(x->dir, sizeof(x->dir), "/tmp/rsp-bench-admin-XXXXXX");
    if (!mkdtemp(x->dir))
        return RSP_ERR_IO;
    char uri[128];
    snprintf(uri, sizeof(uri), "sqlite:%s/s.db", x->dir);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    cfg.master_key = mk;
    cfg.master_key_len = sizeof(mk);
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), B_EID);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    rsp_err err = rsp_store_open(uri, NULL, &x->st);
    err = err ? err : rsp_smsr_new(x->st, &cfg, &x->e);
    err = err ? err : rsp_store_eis_put(x->st, &eis);
    err = err ? err : smsr_psk_put(x->e, B_EID, 0x40, psk);
    err = err ? err : rsp_hex_decode_fixed(B_AID, x->aid, 16, NULL);
    if (err == RSP_OK && !(x->base = event_base_new()))
        err = RSP_ERR_NOMEM;
    smsr_https_opts o;
    memset(&o, 0, sizeof(o));
    o.listen = "127.0.0.1:0";
    o.idle_ms = 60000;
    o.send = on_trigger;
    err = err ? err : smsr_https_new(x->base, x->e, &o, &x->h, NULL);
    uint8_t eidb[16];
    char id[160];
    err = err ? err : rsp_eid_to_bytes(B_EID, eidb);
    err = err ? err : rsp_scp81_psk_identity(eidb, RSP_AID_ISDR.b, RSP_AID_ISDR.len, 0x01, 0x40, id, sizeof(id));
    err = err ? err : rsp_tls_client_psk_new(id, psk, sizeof(psk), NULL, &x->ctls);
    rsp_http_client_opts co = {"127.0.0.1", smsr_https_port(x->h), x->ctls, 10000, 0};
    err = err ? err : rsp_http_client_new(x->base, &co, &x->cl);
    /* the card's headers: a first POST (no body), then answers (status ok, nothing to say) */
    rsp_scp81_card_req first = {B_EID, RSP_AID_ISDR.b, RSP_AID_ISDR.len, false, RSP_SCP81_STATUS_NONE, false};
    rsp_scp81_card_req answer = {B_EID, RSP_AID_ISDR.b, RSP_AID_ISDR.len, true, RSP_SCP81_STATUS_OK, false};
    rsp_buf h1 = RSP_BUF_INIT, h2 = RSP_BUF_INIT;
    err = err ? err : rsp_scp81_card_headers(&first, &h1);
    err = err ? err : rsp_buf_append_byte(&h1, 0);
    err = err ? err : rsp_scp81_card_headers(&answer, &h2);
    if (err == RSP_OK && h2.len < sizeof(x->hdr_answer))
        memcpy(x->hdr_answer, h2.data, h2.len);
    err = err ? err : rsp_random(x->script, sizeof(x->script));
    x->script[0] = 0x86;
    /* the card opens the session: its first POST is held (nothing queued yet) */
    err = err ? err : rsp_http_client_post(x->cl, "/gsma/adminagent", (const char *)h1.data, NULL, 0, on_resp, x);
    rsp_buf_free(&h1);
    rsp_buf_free(&h2);
    smsr_https_stats st = {0};
    for (int i = 0; err == RSP_OK && i < 100000 && !st.opened; i++) { /* the handshake, then the POST held */
        event_base_loop(x->base, EVLOOP_ONCE);
        smsr_https_stats_get(x->h, &st);
    }
    return err == RSP_OK && !st.opened ? RSP_ERR_TIMEOUT : err;
}

static void teardown(ab *x)
{
    smsr_https_free(x->h);
    rsp_http_client_free(x->cl);
    rsp_tls_ctx_free(x->ctls);
    if (x->base)
        event_base_free(x->base);
    rsp_smsr_free(x->e);
    rsp_store_close(x->st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", x->dir);
    if (x->dir[0] && system(cmd) != 0)
        fprintf(stderr, "rsp: bench smsr-admin: cannot remove %s\n", x->dir);
}

int rsp_bench_smsr_admin(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    ab x;
    memset(&x, 0, sizeof(x));
    rsp_err err = setup(&x);
    if (err != RSP_OK) {
        fprintf(stderr, "rsp: bench smsr-admin: setup failed: %s\n", rsp_err_name(err));
        teardown(&x);
        return RSP_EXIT_FAIL;
    }
    rsp_bench_progress(b, "1,100-byte scripts through one SCP81 admin session (PSK-TLS 1.2, loopback)");
    double rt = rsp_bench_rate(b, step, &x);
    /* a round trip seals and opens about 1 KB down and a header block up: two records */
    double gcm = rsp_bench_floor_cipher_mbs(b, "AES-128-GCM", 1024);
    rsp_bench_report(b, "smsr-admin scripts in one session (round trips/s)", rt, "scripts/s",
                     "EVP AES-128-GCM 1 KB / 2 records", gcm > 0 ? gcm * 1e6 / 1024 / 2 : -1);
    rsp_bench_report(b, "smsr-admin script throughput (MB/s, down)", rt > 0 ? rt * 1100 / 1e6 : -1, "MB/s",
                     "EVP AES-128-GCM 1 KB", gcm);
    teardown(&x);
    return rt > 0 ? RSP_EXIT_OK : RSP_EXIT_FAIL;
}
