/* libFuzzer: the card-side key-establishment STORE DATA parser (rsp_keyest_card_store_data), for
 * 3A01 in a fresh card and for 3A02 after a valid certificate. Keys are generated once per process
 * (setup, not state carried between inputs: the objects are only read). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rsp/gpcert.h"
#include "rsp/keyest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct fixture {
    rsp_eckey *ci, *dp, *ecasd;
    rsp_buf cert_apdu;
    int ok;
} fixture;

static const fixture *get_fixture(void)
{
    static fixture f; /* written once on the first call, read-only afterwards */
    if (f.ok)
        return &f;
    static const uint8_t d1[32] = {1, 2, 3, 4, 5}, d2[32] = {6, 7, 8, 9}, d3[32] = {10, 11, 12};
    static const uint8_t serial[1] = {1};
    rsp_gpcert_template t = {serial, 1, "CI", "SMDP", 0x88, NULL, "20451231", 1, NULL, 0};
    rsp_buf cert = RSP_BUF_INIT;
    if (rsp_ec_from_private(RSP_CURVE_P256, d1, &f.ci) || rsp_ec_from_private(RSP_CURVE_P256, d2, &f.dp) ||
        rsp_ec_from_private(RSP_CURVE_P256, d3, &f.ecasd) || rsp_gpcert_issue(&t, f.dp, f.ci, &cert) ||
        rsp_keyest_host_cert_apdu(cert.data, cert.len, &f.cert_apdu))
        __builtin_trap();
    rsp_buf_free(&cert);
    f.ok = 1;
    return &f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fixture *f = get_fixture();
    static const uint8_t rc[16] = {0xAA};
    rsp_keyest_card c;
    rsp_scp03_keys keys;
    rsp_buf resp = RSP_BUF_INIT;
    rsp_diag d;
    rsp_keyest_card_init(&c, f->ci, f->ecasd, 1);
    rsp_diag_clear(&d);
    rsp_keyest_card_store_data(&c, data, size, &resp, &keys, &d);
    rsp_keyest_card_close(&c);

    rsp_keyest_card_init(&c, f->ci, f->ecasd, 1);
    c.fixed_rc = rc;
    if (rsp_keyest_card_store_data(&c, f->cert_apdu.data, f->cert_apdu.len, &resp, &keys, NULL) == RSP_OK) {
        rsp_diag_clear(&d);
        rsp_keyest_card_store_data(&c, data, size, &resp, &keys, &d);
    }
    rsp_keyest_card_close(&c);
    rsp_buf_free(&resp);
    return 0;
}
