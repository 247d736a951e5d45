/* The MSISDN -> EID index (import.c): a card's MSISDN is registered for it and found by every reader
 * of the trail; an MSISDN that a profile of another eUICC still holds is refused (two SM-DP pools
 * handing out the same numbers made the SM-SR route one card's PoRs to another and hang its
 * operations), the owner re-registering its own number is fine, and once the other card's profile is
 * gone the number moves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

#include "rsp/smsr.h"
#include "rsp/store.h"

#define EID_A "89049032123451234512345678901235"
#define EID_B "89049032123451234512345678901243"
#define MSISDN "447700900123"
#define T0 1800000000LL

typedef struct fx {
    char dir[64], uri[128];
    rsp_store *st;
    rsp_smsr *e;
} fx;

static void put_card(fx *x, const char *eid, const char *iccid, const char *msisdn)
{
    rsp_store_eis eis;
    memset(&eis, 0, sizeof(eis));
    snprintf(eis.eid, sizeof(eis.eid), "%s", eid);
    snprintf(eis.eum_id, sizeof(eis.eum_id), "eum1");
    snprintf(eis.smsr_id, sizeof(eis.smsr_id), "sr1");
    assert_int_equal(rsp_store_eis_put(x->st, &eis), RSP_OK);
    rsp_store_profile p;
    memset(&p, 0, sizeof(p));
    snprintf(p.iccid, sizeof(p.iccid), "%s", iccid);
    snprintf(p.eid, sizeof(p.eid), "%s", eid);
    snprintf(p.isdp_aid, sizeof(p.isdp_aid), "A0000005591010FFFFFFFF8900001000");
    snprintf(p.mno_id, sizeof(p.mno_id), "op1");
    snprintf(p.msisdn, sizeof(p.msisdn), "%s", msisdn);
    p.state = RSP_STORE_PROFILE_ENABLED;
    assert_int_equal(rsp_store_profile_put(x->st, &p), RSP_OK);
}

static const char *owner(fx *x)
{
    static char eid[33];
    rsp_smsr_index *ix = NULL;
    assert_int_equal(rsp_smsr_index_new(&ix), RSP_OK);
    assert_int_equal(rsp_smsr_index_refresh(x->e, ix), RSP_OK);
    const char *o = rsp_smsr_index_eid(ix, MSISDN);
    snprintf(eid, sizeof(eid), "%s", o ? o : "");
    rsp_smsr_index_free(ix);
    return eid;
}

static void test_msisdn_owner(void **state)
{
    (void)state;
    fx x;
    memset(&x, 0, sizeof(x));
    snprintf(x.dir, sizeof(x.dir), "/tmp/smsr-imp-XXXXXX");
    assert_non_null(mkdtemp(x.dir));
    snprintf(x.uri, sizeof(x.uri), "sqlite:%s/s.db", x.dir);
    assert_int_equal(rsp_store_open(x.uri, NULL, &x.st), RSP_OK);
    rsp_smsr_config cfg;
    rsp_smsr_config_default(&cfg);
    assert_int_equal(rsp_smsr_new(x.st, &cfg, &x.e), RSP_OK);

    put_card(&x, EID_A, "8988247000000000011", MSISDN);
    assert_int_equal(rsp_smsr_msisdn_register(x.e, EID_A, MSISDN, T0), RSP_OK);
    assert_string_equal(owner(&x), EID_A);
    /* card B's new profile comes with the same number: refused, A keeps it */
    put_card(&x, EID_B, "8988247000000000029", MSISDN);
    assert_int_equal(rsp_smsr_msisdn_register(x.e, EID_B, MSISDN, T0 + 1), RSP_ERR_EXISTS);
    assert_string_equal(owner(&x), EID_A);
    /* B's profile moves to another number: A may register its own number again */
    put_card(&x, EID_B, "8988247000000000029", "447700900999");
    assert_int_equal(rsp_smsr_msisdn_register(x.e, EID_A, MSISDN, T0 + 2), RSP_OK);
    /* A's profile is deleted: the number is free for B */
    assert_int_equal(rsp_store_profile_delete(x.st, "8988247000000000011"), RSP_OK);
    put_card(&x, EID_B, "8988247000000000029", MSISDN);
    assert_int_equal(rsp_smsr_msisdn_register(x.e, EID_B, MSISDN, T0 + 3), RSP_OK);
    assert_string_equal(owner(&x), EID_B);

    rsp_smsr_free(x.e);
    rsp_store_close(x.st);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", x.dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msisdn_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
