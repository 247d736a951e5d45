#include <string.h>

#include "cli.h"
#include "rsp/ids.h"

static int eid_check(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    if (argc != 2)
        return rsp_cli_usage_error("usage: rsp eid check EID [--json]");
    const char *eid = argv[1];
    char expected[3] = "";
    rsp_err e = rsp_eid_check(eid, expected);
    if (e == RSP_ERR_FORMAT || e == RSP_ERR_INVAL) {
        if (json)
            rsp_cli_json_out(json_pack("{s:s, s:b, s:s}", "eid", eid, "valid", 0, "error",
                                       "an EID is 32 decimal digits"));
        else
            fprintf(stderr, "rsp: eid check: '%s' is not 32 decimal digits (length %zu)\n", eid, strlen(eid));
        return RSP_EXIT_USAGE;
    }
    if (json) {
        rsp_cli_json_out(json_pack("{s:s, s:b, s:s, s:s#}", "eid", eid, "valid", e == RSP_OK, "expected_check_digits",
                                   expected, "check_digits", eid + 30, (size_t)2));
    } else if (e == RSP_OK) {
        printf("%s: valid (check digits %s)\n", eid, expected);
    } else {
        printf("%s: invalid: check digits are %.2s, expected %s\n", eid, eid + 30, expected);
    }
    return e == RSP_OK ? RSP_EXIT_OK : RSP_EXIT_FAIL;
}

static int eid_complete(int argc, char **argv)
{
    bool json = rsp_cli_take_flag(&argc, argv, "--json");
    if (argc != 2)
        return rsp_cli_usage_error("usage: rsp eid complete DIGITS30 [--json]");
    char out[33];
    if (strlen(argv[1]) != 30 || rsp_eid_complete(argv[1], out) != RSP_OK)
        return rsp_cli_usage_error("eid complete: '%s' is not 30 decimal digits", argv[1]);
    if (json)
        rsp_cli_json_out(json_pack("{s:s, s:s}", "eid", out, "check_digits", out + 30));
    else
        printf("%s\n", out);
    return RSP_EXIT_OK;
}

int rsp_cmd_eid(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"check", eid_check, "exit 0 if the EID's mod 97-10 check digits are right, 1 if not"},
        {"complete", eid_complete, "append the two check digits to 30 digits"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp eid", sub, argc, argv);
}
