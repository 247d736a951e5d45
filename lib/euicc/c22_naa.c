/* NAA keys of a profile package, checked by the consumer card before it installs the package (c22_bpp.c
 * install()). The SAIP walker only proves the TLVs frame; whether the akaParameter's key can run its
 * algorithm is this file's question. SGP22.md names a reason for a test profile's invalid NAA key (14)
 * only; c22_bpp.c picks the reason, this file the element. The rule (docs/ENCODINGS.md):
 *   every akaParameter (A4) whose algoConfiguration [1] is an algoParameter [1] has
 *   - algorithmID (80) milenage(1), tuak(2) or usim-test-algorithm(3), one content byte;
 *   - key (82) of 16 bytes (TUAK: 16 or 32), not all zero (an unpersonalised template's placeholder);
 *   - opc (83) of 16 bytes (TUAK's TOPc: 32); all zero is allowed (the test algorithm ignores it, and
 *     TS.48's test profiles carry exactly that);
 *   an akaParameter without algoConfiguration has no key to run and is refused too; a mappingParameter
 *   [0] (keys shared with another element) is left to the element it points at. */
#include <stdbool.h>

#include "c22_naa.h"
#include "rsp/tlv.h"

enum { ALG_MILENAGE = 1, ALG_TUAK = 2, ALG_TEST = 3 };

static bool all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* One AlgoParameter's content. */
static bool algo_ok(const uint8_t *p, size_t len)
{
    rsp_tlv id, key, opc;
    if (rsp_tlv_find(p, len, 0x80, &id) != RSP_OK || id.len != 1)
        return false;
    unsigned alg = id.value[0];
    if (alg != ALG_MILENAGE && alg != ALG_TUAK && alg != ALG_TEST)
        return false;
    /* the lengths are saip_perso.c's rule (the one personalisation writes) */
    if (rsp_tlv_find(p, len, 0x82, &key) != RSP_OK || !rsp_saip_aka_k_len_ok(alg, key.len) ||
        all_zero(key.value, key.len))
        return false;
    return rsp_tlv_find(p, len, 0x83, &opc) == RSP_OK && opc.len == rsp_saip_aka_opc_len(alg);
}

/* One akaParameter element's content (after its PE header). */
static bool aka_ok(const rsp_saip_pe *pe)
{
    rsp_tlv conf, algo;
    if (rsp_tlv_find(pe->value.p, pe->value.len, 0xA1, &conf) != RSP_OK)
        return false;
    if (rsp_tlv_find(conf.value, conf.len, 0xA1, &algo) == RSP_OK)
        return algo_ok(algo.value, algo.len);
    return rsp_tlv_find(conf.value, conf.len, 0xA0, &algo) == RSP_OK; /* mappingParameter */
}

const rsp_saip_pe *c22_naa_refused(const rsp_saip_package *pkg)
{
    for (size_t i = 0; i < pkg->n_pes; i++)
        if (pkg->pes[i].tag == RSP_SAIP_TAG_AKA && !aka_ok(&pkg->pes[i]))
            return &pkg->pes[i];
    return NULL;
}
