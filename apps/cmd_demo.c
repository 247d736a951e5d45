/* `rsp demo`: the end-to-end demonstration. Until the SM-SR, SM-DP and eUICC simulator exist it shows
 * what the platform can already do, exercising each built layer for real. */
#include <string.h>

#include "cli.h"
#include "rsp/crypto.h"
#include "rsp/ids.h"

static const rsp_cmd all_commands[] = {
#define RSP_CMD(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef RSP_CMD
    {NULL, NULL, NULL},
};

int rsp_cmd_demo(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("OpenRSP demo\n============\n\n");
    printf("The fleet switch (operator A -> operator B) needs the SM-SR, SM-DP and eUICC simulator,\n"
           "which are not built yet. This is what exists today:\n\n");
    for (const rsp_cmd *c = all_commands; c->name; c++)
        printf("  rsp %-10s %s\n", c->name, c->summary);

    printf("\nA live check of the foundation layers:\n");
    char eid[33];
    if (rsp_eid_complete("890490321234512345123456789012", eid) == RSP_OK)
        printf("  EID with check digits       %s\n", eid);
    rsp_eckey *ci = NULL, *peer = NULL;
    uint8_t msg[] = "OpenRSP", sig[64], z1[32], z2[32];
    if (rsp_ec_generate(RSP_CURVE_P256, &ci) == RSP_OK && rsp_ec_generate(RSP_CURVE_P256, &peer) == RSP_OK &&
        rsp_ecdsa_sign(ci, msg, sizeof(msg), sig) == RSP_OK) {
        printf("  ECDSA P-256 sign + verify   %s\n",
               rsp_ecdsa_verify(ci, msg, sizeof(msg), sig, 64) == RSP_OK ? "ok" : "FAILED");
        printf("  ECDH agreement both ways    %s\n",
               rsp_ecdh(ci, peer, z1) == RSP_OK && rsp_ecdh(peer, ci, z2) == RSP_OK && !memcmp(z1, z2, 32)
                   ? "ok"
                   : "FAILED");
    }
    rsp_ec_free(ci);
    rsp_ec_free(peer);
    printf("\nTry: rsp ci init --dir /tmp/pki && rsp ci issue --dir /tmp/pki --role smdp --id SMDP1 --out /tmp/pki/smdp\n");
    return RSP_EXIT_OK;
}
