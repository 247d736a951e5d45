/* `rsp euicc apdu|sms|show`: placeholder until the card model lands. */
#include "cli.h"
#include "euicc_cmds.h"

int rsp_euicc_cmd_apdu(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rsp_cli_usage_error("euicc apdu: not built yet");
}

int rsp_euicc_cmd_sms(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rsp_cli_usage_error("euicc sms: not built yet");
}

int rsp_euicc_cmd_show(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rsp_cli_usage_error("euicc show: not built yet");
}
