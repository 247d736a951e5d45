/* `rsp eum`: placeholder until EUM manufacturing lands. */
#include "cli.h"

int rsp_cmd_eum(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return rsp_cli_usage_error("eum: not built yet");
}
