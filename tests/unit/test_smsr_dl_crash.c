/* The CreateISDP crash window (issue 9, "Durable state is committed before it is acted on"): the ISD-P
 * record (owner, AID taken, IN_CREATION) and the operation that settles it are ONE unit of the store.
 * A child process runs ES3.CreateISDP through lib/svc's ES endpoint and is killed with SIGKILL right
 * after the record is written and before the operation is submitted (the debug builds' test hook
 * RSP_SMSR_TEST_KILL=create-isdp-recorded, es3_dl.c); the parent then finds neither the record nor an
 * operation, and the SM-DP's retry with the same FCID is served as a new call (one packet, the first
 * free AID), where an orphan record would have answered 8.2.1 / 3.3 "ICCID already in use".
 * Inside the daemon's loop-turn batch the handler commits nothing on its own: a turn rolled back
 * (the process died before the turn's commit) leaves nothing either. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/es_endpoint.h"
#include "rsp/smsr.h"
#include "rsp/store.h"
#include "smsr/smsr_int.h"

#define EID "89049032123451234512345678901235"
#define ICC "8988247000000000011"
#define ICC2 "8988247000000000029"
#define AID_FIRST "A0000005591010FFFFFFFF8900001000" /* TAR 000010: the first free ISD-P */

typedef struct world {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
    rsp_smsr_config cfg;
    smsr_es3 *x3;
    rsp_es_endpoint *ep;
    size_t sent;
    int responses, status;
    char body[4096];
} world;

static void on_send(void *arg, const rsp_smsr_packet *p)
{
    (void)p;
    ((world *)arg)->sent++;
}

static rsp_err no_callbacks(void *c, const char *u, const char *ct, const char *a, const uint8_t *b, size_t n)
{
    (void)c, (void)u, (void)ct, (void)a, (void)b, (void)n;
    return RSP_ERR_INTERNAL;
}

static void respond(void *rctx, const rsp_es_http_out *o)
{
    world *w = rctx;
    w->responses++;
    w->status = o->status;
    snprintf(w->body, sizeof(w->body), "%.*s", (int)o->body_len, (const char *)o->body);
}

static void up(world *w)
{
    assert_int_equal(rsp_store_open(w->uri, NULL, &w->st), RSP_OK);
    rsp_smsr_config_default(&w->cfg);
    w->cfg.worker_id = "w1";
    assert_int_equal(rsp_smsr_new(w->st, &w->cfg, &w->e), RSP_OK);
    assert_int_equal(smsr_es3_new(w->e, "dp1", on_send, w, &w->x3), RSP_OK);
    const rsp_es_handler *h = NULL;
    size_t n = 0;
    assert_int_equal(smsr_es3_merge(w->x3, &h, &n), RSP_OK);
    rsp_es_endpoint_cfg cfg = {h, n, no_callbacks, w, "https://smsr.example/es3", {0, 0}};
    assert_int_equal(rsp_es_endpoint_new(&cfg, &w->ep), RSP_OK);
}

static void down(world *w)
{
    smsr_es3_free(w->x3);
    rsp_es_endpoint_free(w->ep);
    rsp_smsr_free(w->e);
    rsp_store_close(w->st);
    w->st = NULL;
}

static int setup(void **state)
{
    world *w = calloc(1, sizeof(*w));
    assert_non_null(w);
    snprintf(w->dir, sizeof(w->dir), "/tmp/smsr-dlcrash-XXXXXX");
    assert_non_null(mkdtemp(w->dir));
    snprintf(w->uri, sizeof(w->uri), "sqlite:%s/s.db", w->dir);
    assert_int_equal(rsp_store_open(w->uri, NULL, &w->st), RSP_OK);
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), EID);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    snprintf(eis.smsr_id, sizeof(eis.smsr_id), "sr1");
    assert_int_equal(rsp_store_eis_put(w->st, &eis), RSP_OK);
    rsp_store_profile p; /* the enabled profile: the card is reached at its MSISDN */
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), ICC);
    snprintf(p.eid, sizeof(p.eid), EID);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), "A0000005591010FFFFFFFF8900000F00");
    snprintf(p.mno_id, sizeof(p.mno_id), "op1");
    snprintf(p.msisdn, sizeof(p.msisdn), "447700900101");
    p.state = RSP_STORE_PROFILE_ENABLED;
    assert_int_equal(rsp_store_profile_put(w->st, &p), RSP_OK);
    uint8_t keys[32];
    for (int i = 0; i < 32; i++)
        keys[i] = (uint8_t)(0x21 * i + 3);
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), EID);
    ks.kvn = 1;
    assert_int_equal(rsp_buf_set(&ks.keys, keys, 32), RSP_OK);
    assert_int_equal(rsp_store_keyset_put(w->st, &ks), RSP_OK);
    rsp_buf_free(&ks.keys);
    rsp_store_close(w->st); /* nothing open across fork */
    w->st = NULL;
    *state = w;
    return 0;
}

static int teardown(void **state)
{
    world *w = *state;
    if (w->st)
        down(w);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", w->dir);
    assert_int_equal(system(cmd), 0);
    free(w);
    return 0;
}

static void create(world *w, const char *fcid)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"functionCallIdentifier\":\"%s\",\"eid\":\"" EID "\",\"iccid\":\"" ICC2
             "\",\"mnoId\":\"op1\",\"requiredMemory\":70000}",
             fcid);
    rsp_es_http_in in = {"/es3/CreateISDP", "application/json", NULL, "wait", "CN=dp1,O=test",
                         (const uint8_t *)body, strlen(body)};
    rsp_es_endpoint_handle(w->ep, &in, respond, w);
}

/* What the store holds for ICC2: its profile (found), and whether an op is queued for it. */
static bool record_of(world *w, rsp_store_profile *p)
{
    memset(p, 0, sizeof(*p));
    return rsp_store_profile_get(w->st, ICC2, p) == RSP_OK;
}

static size_t queued_ops(world *w)
{
    rsp_store_audit *v = NULL;
    size_t n = 0, q = 0;
    assert_int_equal(rsp_store_audit_list(w->st, EID, 0, 1000, &v, &n), RSP_OK);
    for (size_t i = 0; i < n; i++)
        q += strcmp(v[i].event, "smsr.queued") == 0 && strcmp(v[i].iccid, ICC2) == 0;
    free(v);
    return q;
}

/* The retry after a crash: served as a new call, one packet, the first free AID, IN_CREATION. */
static void retry_is_fresh(world *w)
{
    w->sent = 0;
    w->responses = 0;
    create(w, "k1");
    assert_int_equal(w->responses, 0); /* waiting for the card, not refused 3.3 */
    assert_int_equal(w->sent, 1);
    rsp_store_profile p;
    assert_true(record_of(w, &p));
    assert_string_equal(p.isdp_aid, AID_FIRST);
    assert_string_equal(p.smdp_id, "dp1");
    assert_int_equal(p.state, RSP_STORE_PROFILE_IN_CREATION);
    assert_int_equal(queued_ops(w), 1);
}

static void test_killed_between_record_and_op(void **state)
{
    world *w = *state;
#ifdef NDEBUG
    skip(); /* the hook exists in debug builds only */
#endif
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("RSP_SMSR_TEST_KILL", "create-isdp-recorded", 1);
        up(w);
        create(w, "k1");
        _exit(3); /* not reached when the hook fired */
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    up(w);
    rsp_store_profile p;
    assert_false(record_of(w, &p)); /* no orphan record */
    assert_int_equal(queued_ops(w), 0);
    retry_is_fresh(w);
}

static void test_turn_rolled_back(void **state)
{
    world *w = *state;
    up(w);
    assert_int_equal(rsp_store_batch_begin(w->st), RSP_OK); /* the daemon's loop turn */
    create(w, "k1");
    assert_int_equal(w->sent, 1);
    rsp_store_batch_abort(w->st); /* the process died before the turn's commit */
    rsp_store_profile p;
    assert_false(record_of(w, &p));
    assert_int_equal(queued_ops(w), 0);
    down(w); /* the waiting call is told 8.7 / 3.7 */
    up(w);
    retry_is_fresh(w);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(test_killed_between_record_and_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_turn_rolled_back, setup, teardown),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
