/* The subcommands of `rsp smdp` that live outside apps/cmd_smdp.c (apps/smdp_run.c). */
#ifndef RSP_APPS_SMDP_CMDS_H
#define RSP_APPS_SMDP_CMDS_H

/* rsp smdp download: one whole download through an SM-SR in the foreground. */
int rsp_smdp_cmd_download(int argc, char **argv);
/* rsp smdp run: the SM-DP daemon. */
int rsp_smdp_cmd_run(int argc, char **argv);

#endif
