/* The admission rule both cards share (lib/euicc/isdp_admit.c): the M2M card's SCP03t install and
 * the consumer card's LoadBoundProfilePackage decide through it, so its edges are pinned here once.
 * (Each card's own tests check the answer it gives: EUICCResponse / bppCommandId+errorReason.) */
#include <string.h>

#include "testutil.h"

#include "euicc/isdp_admit.h"

static void test_rule(void **st)
{
    (void)st;
    const char *on_card[] = {"", "8949449999999990023", "89494499999999900031"};
    eu_admit_room room = {.iccids = on_card, .n_iccids = 3, .free_bytes = 1000};
    assert_int_equal(eu_isdp_admit("89494499999999900049", 1000, &room), EU_ADMIT_OK);  /* exactly fits */
    assert_int_equal(eu_isdp_admit("89494499999999900049", 1001, &room), EU_ADMIT_NO_MEMORY);
    assert_int_equal(eu_isdp_admit("89494499999999900031", 10, &room), EU_ADMIT_ICCID_EXISTS);
    /* a duplicate is reported as such even when it would not fit either */
    assert_int_equal(eu_isdp_admit("8949449999999990023", 5000, &room), EU_ADMIT_ICCID_EXISTS);
    /* whole ICCIDs compare: a prefix of one on the card is another ICCID */
    assert_int_equal(eu_isdp_admit("894944999999999002", 10, &room), EU_ADMIT_OK);
    /* an ISD-P without a profile ("") never matches, even an empty ICCID */
    assert_int_equal(eu_isdp_admit("", 0, &room), EU_ADMIT_OK);
    room.free_bytes = 0;
    assert_int_equal(eu_isdp_admit("89494499999999900049", 0, &room), EU_ADMIT_OK);
    assert_int_equal(eu_isdp_admit("89494499999999900049", 1, &room), EU_ADMIT_NO_MEMORY);
    room.n_iccids = 0;
    assert_int_equal(eu_isdp_admit("89494499999999900031", 0, &room), EU_ADMIT_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rule)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
