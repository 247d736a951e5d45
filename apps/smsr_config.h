/* `rsp smsr run --config FILE`: the settings the daemon reads from [smsr], [scp81], [smpp] and
 * [store] (docs/CONFIG.md "rsp smsr run"). The command line overrides each of them. */
#ifndef RSP_APPS_SMSR_CONFIG_H
#define RSP_APPS_SMSR_CONFIG_H

#include "rsp/config.h"
#include "rsp/svc.h"

/* Every value as the daemon takes it: the file's (or the environment's), else the default; NULL
 * for an unset string without a default or an empty one. Strings are borrowed from cfg. */
typedef struct smsr_file {
    rsp_config *cfg;
    rsp_config_setting *table; /* the builtin table minus the rows rsp smsr run does not read, plus its own */
    const char *db, *smsc_host, *msisdn, *worker, *system_id, *password, *system_type, *master_key_file;
    const char *m2msp_ids, *smdp_ids, *ci, *crl, *transport_key, *callbacks, *es5_transport;
    const char *admin_listen, *admin_port_file, *admin_host;
    const char *console_listen, *console_port_file, *console_token_file; /* [console] */
    bool console_mtls, console_actions;
    long smsc_port, tick_ms, por_wait, notif_wait, admin_idle_ms, admin_trigger_ms;
    long window, throttle, enquire_link_s;
    rsp_svc_opts svc; /* [smsr] listen, tls_*, port_file, metrics_listen, limits (rsp_svc_opts_from_config) */
} smsr_file;

/* Loads path (then RSP_<SECTION>_<KEY> from envp) and checks it: an unknown key or a bad value is an
 * error whose diag names "path:LINE" and the key. */
rsp_err smsr_file_load(const char *path, const char *const *envp, smsr_file *f, rsp_diag *d);
void smsr_file_free(smsr_file *f);

#endif
