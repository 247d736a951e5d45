/* `rsp ci ... --sgp22`: the SGP.22 (consumer) PKI of lib/crypto/pki22.c, beside the SGP.02 one of
 * cmd_ci.c.
 *
 * CI directory:   ci.key.pem (0600), ci.pub.pem, ci.crt.der, ci.crt.pem (X.509 root with the CI
 *                 policy), ci.json ({"id", "curve", "next_serial", "sgp22": true, "ski"})
 * Issued folder:  key.pem (0600), pub.pem, cert.der, cert.pem, ci.crt.der (the CI it chains to),
 *                 info.json ({"role", "id", "curve", "serial", "ci", "ski", "aki", "sgp22": true, ...}) */
#ifndef RSP_APPS_CI22_H
#define RSP_APPS_CI22_H

#include <stdbool.h>

#include <jansson.h>

#include "rsp/buf.h"
#include "rsp/err.h"

/* Shared with cmd_ci.c (the SGP.02 side): dir/file, a JSON file written atomically, and the serial
 * counter of ci.json (advanced on disk before the certificate that uses it). */
void rsp_ci_path(char *out, size_t n, const char *dir, const char *file);
rsp_err rsp_ci_write_json(const char *path, json_t *o);
rsp_err rsp_ci_next_serial(const char *meta_path, long *serial, char *ci_id, size_t idlen);

int rsp_ci22_init(int argc, char **argv);
int rsp_ci22_issue(int argc, char **argv);
int rsp_ci22_verify(int argc, char **argv);
/* True when dir holds an SGP.22 CI (ci.json says so): the SGP.02 commands refuse it. */
bool rsp_ci22_is_sgp22_dir(const char *dir);
/* A certificate file, DER or PEM, as DER (appended to out, owned by the caller). */
rsp_err rsp_ci22_load_cert(const char *path, rsp_buf *out);

#endif
