#include <string.h>

#include "cli.h"
#include "rsp/log.h"

static const rsp_cmd commands[] = {
#define RSP_CMD(name, fn, summary) {name, fn, summary},
#include "commands.def"
#undef RSP_CMD
    {NULL, NULL, NULL},
};

int rsp_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("rsp (OpenRSP) 0.1.0\n");
    return RSP_EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *lvl = getenv("RSP_LOG_LEVEL");
    if (lvl && rsp_log_level_parse(lvl) >= 0)
        rsp_log_set_level_all((rsp_log_level)rsp_log_level_parse(lvl));
    /* busybox style: invoked as a symlink named after a command. */
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    for (const rsp_cmd *c = commands; c->name; c++)
        if (!strcmp(base, c->name))
            return c->fn(argc, argv);
    return rsp_cli_dispatch("rsp", commands, argc, argv);
}
