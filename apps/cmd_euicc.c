/* `rsp euicc`: the eUICC simulator's commands (docs/modules/euicc.md). */
#include "cli.h"
#include "euicc_cmds.h"

int rsp_euicc_cmd_attach(int argc, char **argv); /* euicc_attach.c */

int rsp_cmd_euicc(int argc, char **argv)
{
    static const rsp_cmd sub[] = {
        {"run", rsp_euicc_cmd_run, "host a fleet of cards behind an SMSC (SMPP) and SCP81 admin sessions"},
        {"ctl", rsp_euicc_cmd_ctl, "fault controls of a running fleet: net-down, offline, drop-sms, reset"},
        {"apdu", rsp_euicc_cmd_apdu, "send plain APDUs to a card's ISD-R (a virtual card reader)"},
        {"sms", rsp_euicc_cmd_sms, "deliver one SMS-PP to a card offline and print its answer"},
        {"attach", rsp_euicc_cmd_attach, "put a consumer card into vsmartcard's virtual PC/SC reader (vpcd)"},
        {"show", rsp_euicc_cmd_show, "a card's profiles, counters and pending notifications"},
        {NULL, NULL, NULL},
    };
    return rsp_cli_dispatch("rsp euicc", sub, argc, argv);
}
