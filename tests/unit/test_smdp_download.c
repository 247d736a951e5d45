/* The SM-DP download procedure: its one step table and durable cursor. TEST HARNESS, not a product
 * path: ES3 is a recorder that plays the SM-SR (lending an EIS, failing or crashing on demand), and
 * ES8 is a plain framing of the package (the real ES8 session is not under test here); what is
 * under test is the order of ES3 calls, the admission before any ISD-P, the cleanup policy and the
 * resumption after a real crash (a forked child dies with _exit inside a step). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rsp/gpcert.h"
#include "rsp/smdp.h"
#include "testutil.h"

#define EID "89049032123451234512345678901235"

typedef struct harness {
    rsp_es_eis eis;
    rsp_es_eum_signed_info si;
    rsp_es_security_domain sd;
    rsp_es_key_set ks;
    rsp_es_euicc_capabilities cap;
    char calls[512];        /* "G C S S S S S P E D" */
    int crash_in;           /* the n-th ES3 call (1-based) exits the process; 0 never */
    int fail_in;            /* the n-th ES3 call fails; 0 never */
    int ncalls;
    size_t loaded;          /* bytes received by load SendData */
    int cancel_in;          /* the n-th ES3 call finds the caller stopping (fails busy); 0 never */
    bool cancelled;         /* what the cancelled hook answers */
    bool fail_delete;       /* DeleteISDP refused */
    rsp_es_profile_info on_card; /* the EIS lists this ISD-P when its iccid is set */
    bool track_card;        /* CreateISDP puts the ISD-P in on_card */
    char created[21];
} harness;

static bool h_cancelled(void *arg)
{
    return ((harness *)arg)->cancelled;
}

static const char *h_status(void *arg)
{
    (void)arg;
    return "8.1.1/5.1";
}

static rsp_err call(harness *h, char c)
{
    size_t l = strlen(h->calls);
    if (l + 2 < sizeof h->calls) {
        h->calls[l] = c;
        h->calls[l + 1] = 0;
    }
    h->ncalls++;
    if (h->crash_in == h->ncalls)
        _exit(9);
    if (h->cancel_in == h->ncalls) {
        h->cancelled = true;
        return RSP_ERR_BUSY;
    }
    return h->fail_in == h->ncalls ? RSP_ERR_PROTOCOL : RSP_OK;
}

static rsp_err h_get_eis(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag)
{
    (void)eid;
    (void)diag;
    harness *h = arg;
    *eis = &h->eis;
    return call(h, 'G');
}

/* The SM-SR's own EIS (hooks.live_eis) when get_eis plays an EUM's EIS file: it lists the ISD-P
 * CreateISDP made, whatever track_card says. */
static rsp_err h_live_eis(void *arg, const char *eid, const rsp_es_eis **eis, rsp_diag *diag)
{
    (void)eid;
    (void)diag;
    static rsp_es_eis live;
    static rsp_es_profile_info pi;
    harness *h = arg;
    live = h->eis;
    pi = h->on_card;
    pi.iccid = h->created;
    live.profiles.v = &pi;
    live.profiles.n = 1;
    *eis = &live;
    return call(h, 'L');
}

static rsp_err h_create(void *arg, const char *eid, const char *iccid, size_t mem, rsp_diag *diag)
{
    (void)eid;
    (void)diag;
    harness *h = arg;
    assert_true(mem > 10000);
    snprintf(h->created, sizeof h->created, "%s", iccid);
    if (h->track_card) {
        snprintf(h->created, sizeof h->created, "%s", iccid);
        h->on_card.iccid = h->created;
    }
    return call(arg, 'C');
}

static rsp_err h_send(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                      rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    (void)diag;
    harness *h = arg;
    rsp_err e = call(h, 'S');
    if (len > 1 && p[0] == 'L')
        h->loaded += len - 1;
    rsp_buf_set(resp, "OK", 2);
    return e;
}

static rsp_err h_completed(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    (void)diag;
    return call(arg, 'P');
}

static rsp_err h_enable(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    (void)diag;
    return call(arg, 'E');
}

static rsp_err h_delete(void *arg, const char *eid, const char *iccid, rsp_diag *diag)
{
    (void)eid;
    (void)iccid;
    (void)diag;
    harness *h = arg;
    rsp_err e = call(h, 'D');
    return e == RSP_OK && h->fail_delete ? RSP_ERR_DENIED : e;
}

static rsp_err h_keyest(void *arg, unsigned n, const rsp_buf *prev, rsp_buf *out, rsp_diag *diag)
{
    (void)arg;
    (void)diag;
    assert_true(n == 0 || (prev->len == 2 && !memcmp(prev->data, "OK", 2)));
    assert_true((n == 2) == (out == NULL));
    return out ? rsp_buf_append_byte(out, (uint8_t)('0' + n)) : RSP_OK;
}

/* An init payload, then three payloads 'L' || a third of the package each. */
static rsp_err h_load(void *arg, const rsp_buf *pkg, unsigned n, const rsp_buf *prev, rsp_buf *out, bool *last,
                      rsp_diag *diag)
{
    (void)arg;
    (void)diag;
    (void)prev;
    *last = n == 3;
    if (n == 0)
        return rsp_buf_append_byte(out, 'I');
    size_t third = pkg->len / 3, off = (n - 1) * third, len = n == 3 ? pkg->len - off : third;
    rsp_buf_append_byte(out, 'L');
    return rsp_buf_append(out, pkg->data + off, len);
}

static rsp_err h_installed(void *arg, const rsp_buf *last, rsp_diag *diag)
{
    (void)arg;
    (void)diag;
    return last->len == 2 ? RSP_OK : RSP_ERR_PROTOCOL;
}

typedef struct fixture {
    char dir[64];
    rsp_smdp_inv *inv;
    rsp_eckey *ci, *eum, *ecasd;
    rsp_buf eum_cert, ecasd_cert;
    rsp_bytes eums[1];
    rsp_smdp_trust trust;
    rsp_smdp_es3 es3;
    rsp_smdp_es8 es8;
    harness h;
    size_t pkg_len;
} fixture;

static void issue(rsp_eckey *subject, rsp_eckey *issuer, int role, rsp_buf *out)
{
    static const uint8_t serial[] = {0x07};
    const rsp_gpcert_template t = {serial, 1, "CA", "S", 0x82, "20260101", "20361231", role, NULL, 0};
    assert_int_equal(rsp_gpcert_issue(&t, subject, issuer, out), RSP_OK);
}

static void harness_reset(fixture *f)
{
    harness *h = &f->h;
    memset(h, 0, sizeof *h);
    h->ks.certificates.v = &f->ecasd_cert;
    h->ks.certificates.n = 1;
    h->sd.key_sets.v = &h->ks;
    h->sd.key_sets.n = 1;
    h->cap.http_support = true;
    h->si.eid = EID;
    h->si.ecasd = &h->sd;
    h->si.capabilities = &h->cap;
    h->eis.signed_info = &h->si;
    h->eis.available_memory_for_profiles = 1 << 20;
    h->eis.remaining_memory = 1 << 20;
    h->eis.profiles.v = &h->on_card;
    h->eis.profiles.n = 1;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/test_smdp_dl_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    assert_int_equal(rsp_smdp_inv_open(f->dir, NULL, NULL, &f->inv), RSP_OK);
    rsp_buf der = RSP_BUF_INIT;
    char path[1024];
    tu_read_file(tu_shared_path("profiles/TS48v7_SAIP2.3_NoBERTLV.der", path, sizeof path), &der);
    f->pkg_len = der.len;
    assert_int_equal(rsp_smdp_import_package(f->inv, "OPA", "ts48", der.data, der.len, NULL), RSP_OK);
    assert_int_equal(rsp_smdp_generate_identities(f->inv, "OPA", "ts48", "8999000", "00101", 1, 8, NULL), RSP_OK);
    rsp_buf_free(&der);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &f->ci), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &f->eum), RSP_OK);
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &f->ecasd), RSP_OK);
    issue(f->eum, f->ci, RSP_GPCERT_ROLE_EUM, &f->eum_cert);
    issue(f->ecasd, f->eum, RSP_GPCERT_ROLE_ECASD, &f->ecasd_cert);
    f->eums[0] = rsp_buf_view(&f->eum_cert);
    f->trust = (rsp_smdp_trust){f->ci, f->eums, 1, NULL};
    f->es3 = (rsp_smdp_es3){&f->h, h_get_eis, h_create, h_send, h_completed, h_enable, h_delete, NULL};
    f->es8 = (rsp_smdp_es8){&f->h, h_keyest, h_load, h_installed};
    harness_reset(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    rsp_smdp_inv_close(f->inv);
    rsp_ec_free(f->ci);
    rsp_ec_free(f->eum);
    rsp_ec_free(f->ecasd);
    rsp_buf_free(&f->eum_cert);
    rsp_buf_free(&f->ecasd_cert);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static void start(fixture *f, const char *id, bool enable)
{
    rsp_smdp_dl req;
    memset(&req, 0, sizeof req);
    snprintf(req.id, sizeof req.id, "%s", id);
    strcpy(req.op, "OPA");
    strcpy(req.type, "ts48");
    strcpy(req.eid, EID);
    req.enable = enable;
    assert_int_equal(rsp_smdp_dl_start(f->inv, &req, NULL), RSP_OK);
}

static size_t count(fixture *f, rsp_smdp_state st)
{
    rsp_smdp_pool *p = NULL;
    size_t n = 0;
    assert_int_equal(rsp_smdp_inventory(f->inv, &p, &n), RSP_OK);
    assert_int_equal(n, 1);
    size_t c = p[0].count[st];
    free(p);
    return c;
}

static void test_download_and_enable(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    start(f, "dl1", true);
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "dl1", 10, &d, NULL), RSP_OK);
    assert_string_equal(f->h.calls, "GCSSSSSSPE");
    rsp_smdp_taken tk;   /* the whole personalised package went out */
    assert_int_equal(rsp_smdp_retake(f->inv, d.iccid, &tk, NULL), RSP_OK);
    assert_int_equal(f->h.loaded, tk.package.len);
    rsp_smdp_taken_clear(&tk);
    assert_string_equal(d.outcome, "installed and enabled");
    assert_int_equal(d.step, RSP_SMDP_DL_DONE);
    /* the enable step's mark: enabled, committed with the journal's "done" */
    assert_int_equal(count(f, RSP_SMDP_ENABLED), 1);
    assert_int_equal(count(f, RSP_SMDP_INSTALLED), 0);
    rsp_smdp_dl again;
    assert_int_equal(rsp_smdp_dl_load(f->inv, "dl1", &again), RSP_OK);
    assert_string_equal(again.iccid, d.iccid);
    assert_int_equal(rsp_smdp_dl_start(f->inv, &again, NULL), RSP_ERR_EXISTS);
}

static void test_refused_before_isdp(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    rsp_diag dg;
    /* Unknown EUM: the CI in the trust list is another one. */
    rsp_eckey *other = NULL;
    assert_int_equal(rsp_ec_generate(RSP_CURVE_P256, &other), RSP_OK);
    rsp_smdp_trust t = {other, f->eums, 1, NULL};
    start(f, "dl2", false);
    rsp_diag_clear(&dg);
    assert_int_equal(rsp_smdp_dl_run(f->inv, &t, &f->es3, &f->es8, "dl2", 10, &d, &dg), RSP_ERR_VERIFY);
    rsp_ec_free(other);
    assert_string_equal(f->h.calls, "G");
    assert_int_equal(d.step, RSP_SMDP_DL_FAILED);
    assert_non_null(strstr(d.outcome, "get-eis"));
    /* Not enough memory. */
    harness_reset(f);
    f->h.eis.available_memory_for_profiles = 1000;
    f->h.eis.remaining_memory = 1000;
    start(f, "dl3", false);
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "dl3", 10, &d, NULL), RSP_ERR_RANGE);
    assert_string_equal(f->h.calls, "G");
    assert_int_equal(count(f, RSP_SMDP_AVAILABLE), 8);
}

static void test_failure_after_isdp_cleans_up(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    f->h.fail_in = 4;   /* second key establishment SendData */
    start(f, "dl4", false);
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "dl4", 10, &d, NULL), RSP_ERR_PROTOCOL);
    assert_string_equal(f->h.calls, "GCSSD");
    assert_int_equal(d.step, RSP_SMDP_DL_FAILED);
    assert_int_equal(count(f, RSP_SMDP_DELETED), 1);   /* spent, not back in the pool */
    assert_int_equal(count(f, RSP_SMDP_AVAILABLE), 7);
}

/* Runs download id in a child that dies inside ES3 call number crash_in; returns after it died. */
static void crash_child(fixture *f, const char *id, int crash_in)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        rsp_smdp_inv *inv = NULL;
        if (rsp_smdp_inv_open(f->dir, NULL, NULL, &inv) != RSP_OK)
            _exit(3);
        f->h.crash_in = crash_in;
        rsp_smdp_dl d;
        rsp_smdp_dl_run(inv, &f->trust, &f->es3, &f->es8, id, 10, &d, NULL);
        _exit(4);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 9);
}

static void test_crash_in_load_cleans_up(void **state)
{
    fixture *f = *state;
    start(f, "dl5", false);
    crash_child(f, "dl5", 6);   /* G C S S S(load 1) S(load 2) */
    rsp_smdp_dl d;
    assert_int_equal(rsp_smdp_dl_load(f->inv, "dl5", &d), RSP_OK);
    /* the cursor names the last journalled step: create-isdp (key establishment and load are not
     * journalled, their recovery is the same cleanup) */
    assert_int_equal(d.step, RSP_SMDP_DL_CREATE_ISDP);
    assert_true(d.isdp_requested);
    assert_int_equal(count(f, RSP_SMDP_ALLOCATED), 1);
    /* What a restarted daemon finds to run again. */
    start(f, "dl0", false);
    rsp_smdp_dl *list = NULL;
    size_t n = 0;
    assert_int_equal(rsp_smdp_dl_list(f->inv, true, &list, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, "dl0");
    assert_string_equal(list[1].id, "dl5");
    assert_int_equal(list[1].step, RSP_SMDP_DL_CREATE_ISDP);
    free(list);
    harness_reset(f);
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "dl5", 11, &d, NULL), RSP_ERR_STATE);
    assert_string_equal(f->h.calls, "D");
    assert_string_equal(d.outcome, "interrupted in create-isdp");
    assert_int_equal(count(f, RSP_SMDP_DELETED), 1);
    assert_int_equal(count(f, RSP_SMDP_ALLOCATED), 0);
    assert_int_equal(rsp_smdp_dl_list(f->inv, true, &list, &n), RSP_OK);
    assert_int_equal(n, 1);
    free(list);
    assert_int_equal(rsp_smdp_dl_list(f->inv, false, &list, &n), RSP_OK);
    assert_int_equal(n, 2);
    assert_int_equal(list[1].step, RSP_SMDP_DL_FAILED);
    free(list);
}

static void test_crash_in_completion_resumes(void **state)
{
    fixture *f = *state;
    start(f, "dl6", true);
    crash_child(f, "dl6", 9);   /* inside ProfileDownloadCompleted */
    harness_reset(f);
    rsp_smdp_dl d;
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "dl6", 11, &d, NULL), RSP_OK);
    assert_string_equal(f->h.calls, "PE");
    assert_int_equal(count(f, RSP_SMDP_ENABLED), 1);
    assert_string_equal(d.outcome, "installed and enabled");
}

static void test_es2_download(void **state)
{
    fixture *f = *state;
    rsp_es_download_req req;
    memset(&req, 0, sizeof req);
    req.hdr.function_call_id = "fc-1/\"x\"";
    req.eid = EID;
    req.profile_type = "ts48";
    req.enable_profile = true;
    rsp_smdp_dl d, d2;
    bool rep = true;
    rsp_diag dg;
    assert_int_equal(rsp_smdp_es2_download(f->inv, "OPA", &req, &d, &rep, NULL), RSP_OK);
    assert_false(rep);
    assert_int_equal(d.step, RSP_SMDP_DL_GET_EIS);
    assert_true(d.enable);
    assert_int_equal(strlen(d.id), 28);
    assert_int_equal(rsp_smdp_es2_download(f->inv, "OPA", &req, &d2, &rep, NULL), RSP_OK);
    assert_true(rep);
    assert_string_equal(d2.id, d.id);
    /* The same FunctionCallIdentifier from another operator is another request: no pool there. */
    rsp_diag_clear(&dg);
    assert_int_equal(rsp_smdp_es2_download(f->inv, "OPB", &req, &d2, &rep, &dg), RSP_ERR_NOT_FOUND);
    assert_non_null(strstr(dg.msg, "OPB"));
    assert_int_equal(rsp_smdp_es2_download(f->inv, "../x", &req, &d2, &rep, NULL), RSP_ERR_DENIED);
    req.eid = "89049032123451234512345678901234";   /* check digits wrong */
    assert_int_equal(rsp_smdp_es2_download(f->inv, "OPA", &req, &d2, &rep, NULL), RSP_ERR_FORMAT);
    req.eid = EID;
    req.iccid = "89441234567890123454";
    assert_int_equal(rsp_smdp_es2_download(f->inv, "OPA", &req, &d2, &rep, NULL), RSP_ERR_UNSUPPORTED);
    req.iccid = NULL;
    req.hdr.function_call_id = NULL;
    assert_int_equal(rsp_smdp_es2_download(f->inv, "OPA", &req, &d2, &rep, NULL), RSP_ERR_FORMAT);
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, d.id, 10, &d2, NULL), RSP_OK);
    assert_string_equal(d2.outcome, "installed and enabled");
}

/* A stopping caller (rsp_smdp_dl_hooks.cancelled): the run stops at a call boundary, leaves a
 * resumable step as it is and marks an unresumable one for cleanup without running it. */
static void test_cancel_leaves_journal(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    rsp_diag dg;
    const rsp_smdp_dl_hooks hooks = {&f->h, h_cancelled, h_status, NULL, NULL};
    /* stopping before anything: nothing called, the journal untouched */
    start(f, "c1", false);
    f->h.cancelled = true;
    rsp_diag_clear(&dg);
    assert_int_equal(rsp_smdp_dl_run_ex(f->inv, &f->trust, &f->es3, &f->es8, &hooks, "c1", 10, &d, &dg), RSP_ERR_BUSY);
    assert_string_equal(f->h.calls, "");
    assert_non_null(strstr(dg.msg, "resumes"));
    assert_int_equal(rsp_smdp_dl_load(f->inv, "c1", &d), RSP_OK);
    assert_int_equal(d.step, RSP_SMDP_DL_GET_EIS);
    /* stopping inside load (its keys die with the run): cleanup next time, nothing deleted now */
    harness_reset(f);
    f->h.cancel_in = 5;   /* G C S S S(load init) */
    assert_int_equal(rsp_smdp_dl_run_ex(f->inv, &f->trust, &f->es3, &f->es8, &hooks, "c1", 10, &d, NULL), RSP_ERR_BUSY);
    assert_string_equal(f->h.calls, "GCSSS");
    assert_int_equal(rsp_smdp_dl_load(f->inv, "c1", &d), RSP_OK);
    assert_int_equal(d.step, RSP_SMDP_DL_CLEANUP);
    assert_string_equal(d.outcome, "interrupted in load");
    assert_int_equal(count(f, RSP_SMDP_ALLOCATED), 1);
    harness_reset(f);
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "c1", 11, &d, NULL), RSP_ERR_STATE);
    assert_string_equal(f->h.calls, "D");
    assert_int_equal(d.step, RSP_SMDP_DL_FAILED);
    assert_int_equal(count(f, RSP_SMDP_DELETED), 1);
    /* stopping inside ProfileDownloadCompleted (resumable): the step stays and the next run ends it */
    start(f, "c2", true);
    harness_reset(f);
    f->h.cancel_in = 9;   /* G C S S S S S S P */
    assert_int_equal(rsp_smdp_dl_run_ex(f->inv, &f->trust, &f->es3, &f->es8, &hooks, "c2", 12, &d, NULL), RSP_ERR_BUSY);
    assert_int_equal(rsp_smdp_dl_load(f->inv, "c2", &d), RSP_OK);
    assert_int_equal(d.step, RSP_SMDP_DL_COMPLETED);
    assert_string_equal(d.outcome, "");
    harness_reset(f);
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "c2", 13, &d, NULL), RSP_OK);
    assert_string_equal(f->h.calls, "PE");
    assert_string_equal(d.outcome, "installed and enabled");
}

/* The SM-SR's status of a refused call is journalled; a refused DeleteISDP ends the cleanup only when
 * the SM-SR's EIS has no ISD-P of that ICCID. */
static void test_status_and_cleanup_end(void **state)
{
    fixture *f = *state;
    rsp_smdp_dl d;
    const rsp_smdp_dl_hooks hooks = {&f->h, h_cancelled, h_status, NULL, NULL};
    start(f, "s1", false);
    f->h.fail_in = 2;      /* CreateISDP refused */
    f->h.fail_delete = true;
    assert_int_equal(rsp_smdp_dl_run_ex(f->inv, &f->trust, &f->es3, &f->es8, &hooks, "s1", 10, &d, NULL),
                     RSP_ERR_PROTOCOL);
    assert_string_equal(f->h.calls, "GCDG");   /* delete refused, the EIS shows nothing to delete */
    assert_int_equal(d.step, RSP_SMDP_DL_FAILED);
    assert_string_equal(d.status, "8.1.1/5.1");
    assert_int_equal(rsp_smdp_dl_load(f->inv, "s1", &d), RSP_OK);
    assert_string_equal(d.status, "8.1.1/5.1");
    assert_int_equal(count(f, RSP_SMDP_DELETED), 1);
    /* the ISD-P is on the card and the delete refused: the cleanup stays for the next run */
    start(f, "s2", false);
    harness_reset(f);
    f->h.fail_in = 4;
    f->h.fail_delete = true;
    f->h.track_card = true;
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "s2", 10, &d, NULL), RSP_ERR_DENIED);
    assert_string_equal(f->h.calls, "GCSSDG");
    assert_int_equal(d.step, RSP_SMDP_DL_CLEANUP);
    assert_int_equal(count(f, RSP_SMDP_ALLOCATED), 1);
    /* the next run deletes it */
    f->h.calls[0] = 0;
    f->h.fail_in = 0;
    f->h.fail_delete = false;
    assert_int_equal(rsp_smdp_dl_run(f->inv, &f->trust, &f->es3, &f->es8, "s2", 11, &d, NULL), RSP_ERR_STATE);
    assert_string_equal(f->h.calls, "D");
    assert_int_equal(d.step, RSP_SMDP_DL_FAILED);
    assert_int_equal(count(f, RSP_SMDP_ALLOCATED), 0);
    /* get_eis is an EIS file that lists no downloaded ISD-P (the runner's --eis-dir): the cleanup asks
     * the SM-SR's live EIS (hooks.live_eis), which still has it, so a refused delete does not end it */
    const rsp_smdp_dl_hooks live = {&f->h, h_cancelled, h_status, h_live_eis, NULL};
    start(f, "s3", false);
    harness_reset(f);
    f->h.fail_in = 4;
    f->h.fail_delete = true;
    assert_int_equal(rsp_smdp_dl_run_ex(f->inv, &f->trust, &f->es3, &f->es8, &live, "s3", 12, &d, NULL),
                     RSP_ERR_DENIED);
    assert_string_equal(f->h.calls, "GCSSDL");
    assert_int_equal(d.step, RSP_SMDP_DL_CLEANUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_download_and_enable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_before_isdp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_after_isdp_cleans_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_in_load_cleans_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_in_completion_resumes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_es2_download, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_leaves_journal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_status_and_cleanup_end, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
