/* Constant tables of the PEDefinitions module: ProfileElement alternatives, ServicesList
 * components, PEStatus values. */
#include <stddef.h>

#include "rsp/saip.h"

/* ProfileElement alternatives in module order; AUTOMATIC TAGS numbers them [0]..[33], so the tag is
 * A0 + index up to [30], then the two-byte forms BF1F.. for [31]..[33]. rfu1..rfu5 are PE-Dummy
 * placeholders the module keeps "to avoid renumbering". */
static const char *const pe_names[] = {
    "header", "genericFileManagement", "pinCodes", "pukCodes", "akaParameter", "cdmaParameter",
    "securityDomain", "rfm", "application", "nonStandard", "end", "rfu1", "rfu2", "rfu3", "rfu4",
    "rfu5", "mf", "cd", "telecom", "usim", "opt-usim", "isim", "opt-isim", "phonebook", "gsm-access",
    "csim", "opt-csim", "eap", "df-5gs", "df-saip", "df-snpn", "df-5gprose", "iot", "opt-iot",
};

const char *rsp_saip_pe_name(uint32_t tag)
{
    unsigned n;
    if (tag >= 0xA0 && tag <= 0xBE)
        n = tag - 0xA0;
    else if (tag >= 0xBF1F && tag <= 0xBF7F)
        n = tag - 0xBF00;
    else
        return NULL;
    return n < sizeof(pe_names) / sizeof(pe_names[0]) ? pe_names[n] : NULL;
}

/* ServicesList components in module order (context tags [0]..[29]). */
static const char *const service_names[] = {
    "contactless", "usim", "isim", "csim", "milenage", "tuak128", "cave", "gba-usim", "gba-isim",
    "mbms", "eap", "javacard", "multos", "multiple-usim", "multiple-isim", "multiple-csim", "tuak256",
    "usim-test-algorithm", "ber-tlv", "dfLink", "cat-tp", "get-identity", "profile-a-x25519",
    "profile-b-p256", "suciCalculatorApi", "dns-resolution", "scp11ac",
    "scp11c-authorization-mechanism", "s16mode", "eaka",
};

const char *rsp_saip_service_name(unsigned n)
{
    return n < sizeof(service_names) / sizeof(service_names[0]) ? service_names[n] : NULL;
}

const char *rsp_saip_status_name(uint32_t status)
{
    static const char *const names[] = {
        "ok", "pe-not-supported", "memory-failure", "bad-values", "not-enough-memory",
        "invalid-request-format", "invalid-parameter", "runtime-not-supported", "lib-not-supported",
        "template-not-supported", "feature-not-supported", "pin-code-missing",
    };
    if (status < sizeof(names) / sizeof(names[0]))
        return names[status];
    if (status == RSP_SAIP_ST_UNSUPPORTED_PROFILE_VERSION)
        return "unsupported-profile-version";
    return NULL;
}
