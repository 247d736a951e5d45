/* `rsp ci revoke` / `rsp ci crl` (apps/ci_crl.c): the CI's revocation record and its published CRL. */
#ifndef RSP_APPS_CI_CRL_H
#define RSP_APPS_CI_CRL_H

int rsp_ci_revoke(int argc, char **argv);
int rsp_ci_crl(int argc, char **argv);

#endif
