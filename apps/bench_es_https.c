/* `rsp bench es-https`: HTTPS POST round trips over kept-alive mutual TLS on loopback (1 KB bodies),
 * server and client on one loop in this process, beside the OpenSSL floor of the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench.h"
#include "cli.h"
#include "rsp/http.h"
#include "rsp/tls.h"

typedef struct es_bench {
    struct event_base *base;
    rsp_http_client *cli;
    rsp_tls_ctx *ctls;
    uint16_t port;
    uint8_t body[1024];
    int done;
    rsp_err err;
    int status;
} es_bench;

static void handler(void *arg, rsp_http_req *req)
{
    (void)arg;
    size_t len;
    const uint8_t *body = rsp_http_req_body(req, &len);
    rsp_http_respond(req, 200, "Content-Type: application/soap+xml\r\n", body, len);
}

static void on_resp(void *arg, rsp_err err, const rsp_http_response *resp)
{
    es_bench *x = arg;
    x->done = 1;
    x->err = err;
    x->status = resp ? resp->status : 0;
}

static int one_request(es_bench *x)
{
    x->done = 0;
    if (rsp_http_client_post(x->cli, "/gsma/rsp2/es3", "Content-Type: application/soap+xml\r\n", x->body,
                             sizeof(x->body), on_resp, x) != RSP_OK)
        return 1;
    for (long i = 0; i < 1000000L && !x->done; i++)
        event_base_loop(x->base, EVLOOP_ONCE);
    return x->done && x->err == RSP_OK && x->status == 200 ? 0 : 1;
}

static int step_keepalive(void *arg) { return one_request(arg); }

static int step_new_connection(void *arg)
{
    es_bench *x = arg;
    rsp_http_client_free(x->cli);
    rsp_http_client_opts o = {"127.0.0.1", x->port, x->ctls, 5000, 0};
    if (rsp_http_client_new(x->base, &o, &x->cli) != RSP_OK)
        return 1;
    return one_request(x);
}

int rsp_bench_es_https(rsp_bench *b, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/rsp-bench-es-https-XXXXXX";
    if (!mkdtemp(dir))
        return rsp_cli_usage_error("bench es-https: cannot create a temporary directory");
    char f[6][128];
    const char *names[6] = {"ca.pem", "ca.key", "srv.pem", "srv.key", "cli.pem", "cli.key"};
    for (int i = 0; i < 6; i++)
        snprintf(f[i], sizeof(f[i]), "%s/%s", dir, names[i]);
    es_bench x;
    memset(&x, 0, sizeof(x));
    memset(x.body, '<', sizeof(x.body));
    rsp_tls_ctx *stls = NULL;
    rsp_http_server *srv = NULL;
    int rc = RSP_EXIT_FAIL;
    const char *cas[1] = {f[0]};
    x.base = event_base_new();
    if (!x.base || rsp_tls_gen_ca("bench CI", f[0], f[1]) || rsp_tls_gen_leaf(f[0], f[1], "smsr", 1, f[2], f[3]) ||
        rsp_tls_gen_leaf(f[0], f[1], "smdp", 0, f[4], f[5]) || rsp_tls_server_mtls_new(f[2], f[3], cas, 1, &stls) ||
        rsp_tls_client_mtls_new(f[4], f[5], cas, 1, &x.ctls)) {
        fprintf(stderr, "rsp: bench es-https: TLS setup failed\n");
        goto out;
    }
    rsp_http_server_opts so = {0};
    so.host = "127.0.0.1";
    so.tls = stls;
    so.handler = handler;
    if (rsp_http_server_new(x.base, &so, &srv) != RSP_OK)
        goto out;
    x.port = rsp_http_server_port(srv);
    rsp_http_client_opts co = {"127.0.0.1", x.port, x.ctls, 5000, 0};
    if (rsp_http_client_new(x.base, &co, &x.cli) != RSP_OK || one_request(&x) != 0)
        goto out;

    rsp_bench_progress(b, "HTTPS round trips, keep-alive mutual TLS, 1 KB POST");
    double rt = rsp_bench_rate(b, step_keepalive, &x);
    /* A round trip seals and opens 1 KB twice each way (request, response): the floor is the cipher
     * rate divided by 4 records. TLS 1.3 picks AES-256-GCM first. */
    double gcm = rsp_bench_floor_cipher_mbs(b, "AES-256-GCM", 1024);
    rsp_bench_report(b, "es-https keep-alive round trips (req/s)", rt, "req/s", "EVP AES-256-GCM 1 KB / 4 records",
                     gcm > 0 ? gcm * 1e6 / 1024 / 4 : -1);
    rsp_bench_report(b, "es-https payload throughput (MB/s, both ways)", rt > 0 ? rt * 2048 / 1e6 : -1, "MB/s",
                     "EVP AES-256-GCM 1 KB", gcm);
    unsigned before = rsp_http_client_connects(x.cli);
    rsp_bench_progress(b, "new mutual TLS connection per request (full handshake)");
    double hs = rsp_bench_rate(b, step_new_connection, &x);
    (void)before;
    rsp_bench_report(b, "es-https new mTLS connection + request (conn/s)", hs, "conn/s", "EVP ECDSA sign P-256",
                     rsp_bench_floor_ecdsa_sign(b, RSP_CURVE_P256));
    rc = rt > 0 && hs > 0 ? RSP_EXIT_OK : RSP_EXIT_FAIL;
out:
    rsp_http_client_free(x.cli);
    rsp_http_server_free(srv);
    rsp_tls_ctx_free(stls);
    rsp_tls_ctx_free(x.ctls);
    if (x.base)
        event_base_free(x.base);
    for (int i = 0; i < 6; i++)
        unlink(f[i]);
    rmdir(dir);
    return rc;
}
