/* libFuzzer target: the SM-DS's request handling (include/rsp/smds.h rsp_smds_es12, rsp_smds_es11)
 * behind the decoders: the store's records and the ES11 session table. The first byte picks the
 * interface and function and one of two SM-DP+ identities, the rest is the body. Oracles: never a
 * crash or a leak; every answer decodes with our own decoders; an ES12 answer is a success or carries
 * codes. One SM-DS (fresh CI and CERT.DSauth, SQLite in a temporary folder) serves every input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rsp/crypto.h"
#include "rsp/log.h"
#include "rsp/pki22.h"
#include "rsp/smds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int write_file(const char *path, const rsp_buf *b)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b->data, 1, b->len, f) == b->len;
    return (f && fclose(f) == 0 && ok) ? 0 : -1;
}

/* A CI and its CERT.DSauth in a new folder. */
static char dir[64];

static rsp_smds *make_smds(void)
{
    snprintf(dir, sizeof(dir), "/tmp/fuzz_smds_XXXXXX");
    if (!mkdtemp(dir))
        return NULL;
    char p[128];
    snprintf(p, sizeof(p), "%s/dsauth", dir);
    mkdir(p, 0700);
    rsp_eckey *ci = NULL, *ds = NULL;
    rsp_buf ci_der = RSP_BUF_INIT, ds_der = RSP_BUF_INIT;
    uint8_t serial[] = {1};
    rsp_pki22_template t;
    memset(&t, 0, sizeof(t));
    t.role = RSP_PKI22_CI;
    t.common_name = "Fuzz CI";
    t.organisation = "Fuzz";
    t.serial = serial;
    t.serial_len = 1;
    t.not_before = time(NULL) - 3600;
    t.not_after = time(NULL) + 86400 * 365;
    t.rid = "2.999.1";
    rsp_smds *s = NULL;
    int ok = rsp_ec_generate(RSP_CURVE_P256, &ci) == RSP_OK && rsp_ec_generate(RSP_CURVE_P256, &ds) == RSP_OK &&
             rsp_pki22_issue(&t, ci, ci, NULL, 0, &ci_der, NULL) == RSP_OK;
    t.role = RSP_PKI22_DSAUTH;
    t.common_name = "Fuzz DSauth";
    t.rid = "2.999.20";
    ok = ok && rsp_pki22_issue(&t, ds, ci, ci_der.data, ci_der.len, &ds_der, NULL) == RSP_OK;
    snprintf(p, sizeof(p), "%s/dsauth/ci.crt.der", dir);
    ok = ok && write_file(p, &ci_der) == 0;
    snprintf(p, sizeof(p), "%s/dsauth/cert.der", dir);
    ok = ok && write_file(p, &ds_der) == 0;
    snprintf(p, sizeof(p), "%s/dsauth/key.pem", dir);
    ok = ok && rsp_ec_save_private_pem(ds, p) == RSP_OK;
    rsp_smds_opts o = {dir, "smds.example.com", NULL, NULL};
    if (ok && rsp_smds_open(&o, &s, NULL) != RSP_OK)
        s = NULL;
    rsp_ec_free(ci);
    rsp_ec_free(ds);
    rsp_buf_free(&ci_der);
    rsp_buf_free(&ds_der);
    return s;
}

static rsp_smds *the_smds;

static void cleanup(void)
{
    rsp_smds_close(the_smds);
    char cmd[100];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!the_smds) { /* made once: every input talks to the same SM-DS */
        rsp_log_set_level(RSP_SS_SMDP, RSP_LOG_ERROR);
        rsp_log_set_level(RSP_SS_STORE, RSP_LOG_ERROR);
        if (!(the_smds = make_smds()))
            abort();
        atexit(cleanup);
    }
    if (size < 1)
        return 0;
    int status = 0;
    rsp_buf out = RSP_BUF_INIT;
    unsigned sel = data[0] & 3;
    if (sel < 2) {
        rsp_smds_es12_func f = (rsp_smds_es12_func)sel;
        const char *peer = data[0] & 0x80 ? "CN=DP2,O=Fuzz" : "CN=DP1,O=Fuzz";
        rsp_smds_es12(the_smds, peer, f, data + 1, size - 1, &status, &out);
        rsp_smds_es12_msg a;
        if (status != 200 || rsp_smds_es12_decode(f, true, out.data, out.len, &a, NULL) != RSP_OK ||
            (a.header.status != RSP_ES9P_SUCCESS && !a.header.subject_code[0]))
            abort();
    } else {
        rsp_es9p_func f = sel == 2 ? RSP_ES9P_INITIATE_AUTHENTICATION : RSP_ES9P_AUTHENTICATE_CLIENT;
        rsp_smds_es11(the_smds, f, data + 1, size - 1, &status, &out);
        rsp_es9p_msg m;
        rsp_es11_answer a;
        if (status != 200)
            abort();
        if (f == RSP_ES9P_INITIATE_AUTHENTICATION) {
            if (rsp_es9p_decode(f, true, out.data, out.len, &m, NULL) != RSP_OK)
                abort();
            rsp_es9p_msg_free(&m);
        } else if (rsp_es9p_es11_answer_decode(out.data, out.len, &a, NULL) != RSP_OK) {
            abort();
        }
    }
    rsp_buf_free(&out);
    return 0;
}
