/* `rsp euicc run` and `rsp euicc ctl`: placeholder until the fleet daemon lands. */
#include "cli.h"
#include "euicc_cmds.h"

int rsp_euicc_cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rsp_cli_usage_error("euicc run: not built yet");
}

int rsp_euicc_cmd_ctl(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rsp_cli_usage_error("euicc ctl: not built yet");
}
