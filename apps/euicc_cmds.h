/* Subcommands of `rsp euicc`, one file per group so the fleet daemon and the local tools stay apart:
 * euicc_run.c (run, ctl) and euicc_local.c (apdu, sms, show). */
#ifndef RSP_APPS_EUICC_CMDS_H
#define RSP_APPS_EUICC_CMDS_H

int rsp_euicc_cmd_run(int argc, char **argv);
int rsp_euicc_cmd_ctl(int argc, char **argv);
int rsp_euicc_cmd_apdu(int argc, char **argv);
int rsp_euicc_cmd_sms(int argc, char **argv);
int rsp_euicc_cmd_show(int argc, char **argv);

#endif
