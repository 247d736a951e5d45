/* rsp bench es: SOAP (gsma and njiwa dialects) and JSON encode+decode of an ES4 EnableProfile request per second, beside SHA-256
 * over the same number of bytes (a memory-bound reference: what merely reading the message costs), then
 * the HTTPS figures of `es-https` when that benchmark is built. */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "cli.h"
#include "rsp/es.h"

typedef struct es_bench {
    rsp_es_msg msg;
    rsp_buf out;
    bool json;
} es_bench;

static int step(void *arg)
{
    es_bench *e = arg;
    rsp_es_msg back;
    rsp_buf_reset(&e->out);
    rsp_err r = e->json ? rsp_es_json_encode(&e->msg, &e->out, NULL) : rsp_es_soap_encode(&e->msg, &e->out, NULL);
    if (r != RSP_OK)
        return 1;
    r = e->json ? rsp_es_json_decode(e->msg.func, false, e->out.data, e->out.len, NULL, &back, NULL)
                : rsp_es_soap_decode(e->out.data, e->out.len, NULL, NULL, &back, NULL);
    rsp_es_msg_free(&back);
    return r == RSP_OK ? 0 : 1;
}

static char *dup(const char *s)
{
    return strdup(s);
}

int rsp_bench_es(rsp_bench *b, int argc, char **argv)
{
    es_bench e;
    memset(&e, 0, sizeof(e));
    const rsp_es_func *f = rsp_es_func_find(RSP_ES4, "EnableProfile", strlen("EnableProfile"));
    if (!f || rsp_es_msg_init(&e.msg, f, false) != RSP_OK)
        return RSP_EXIT_FAIL;
    rsp_es_profile_req *r = e.msg.body;
    r->hdr.function_call_id = dup("FCI-0000000001");
    r->hdr.has_validity_period = true;
    r->hdr.validity_period = 3600;
    r->eid = dup("89001012012341234012345678901224");
    r->iccid = dup("8988211000000000017");
    e.msg.wsa.from = dup("https://operator.example/es4?EntityId=1.3.6.1.4.1.99.1");
    e.msg.wsa.to = dup("https://smsr.example/gsma/es4");
    e.msg.wsa.reply_to = dup("https://operator.example/es4/callback");
    e.msg.wsa.message_id = dup("urn:uuid:6b1ff5d2-3c1a-4f5e-9d0e-0f4c1f7e2a11");

    int rc = RSP_EXIT_OK;
    /* SOAP in each dialect (gsma: SOAP 1.2; njiwa: SOAP 1.1 rpc, its names and rows), then JSON */
    static const char *const modes[] = {"SOAP gsma", "SOAP njiwa", "JSON"};
    for (int mode = 0; mode < 3; mode++) {
        e.json = mode == 2;
        e.msg.dialect = mode == 1 ? RSP_ES_DIALECT_NJIWA : RSP_ES_DIALECT_GSMA;
        if (step(&e) != 0) {
            rc = RSP_EXIT_FAIL;
            break;
        }
        size_t n = e.out.len;
        char name[96], fname[96], what[64];
        snprintf(name, sizeof(name), "ES4 EnableProfile %s enc+dec (%zu B)", modes[mode], n);
        snprintf(fname, sizeof(fname), "SHA-256 of %zu B (memory-bound ref)", n);
        snprintf(what, sizeof(what), "%s encode+decode", modes[mode]);
        rsp_bench_progress(b, what);
        double rate = rsp_bench_rate(b, step, &e);
        double floor_ops = rsp_bench_floor_sha256_mbs(b, n) * 1e6 / (double)n;
        rsp_bench_report(b, name, rate, "op/s", fname, floor_ops);
    }
    rsp_buf_free(&e.out);
    rsp_es_msg_free(&e.msg);
    if (rc == RSP_EXIT_OK)
        rsp_bench_call(b, "es-https", argc, argv);
    return rc;
}
