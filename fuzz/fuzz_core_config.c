/* libFuzzer target: the INI parser, environment overrides and typed getters on arbitrary input. */
#include <stddef.h>
#include <stdint.h>

#include "rsp/config.h"
#include "rsp/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_config *c = NULL;
    rsp_diag d;
    rsp_log_set_level_all(RSP_LOG_NONE);
    if (rsp_config_new(NULL, 0, &c) != RSP_OK)
        return 0;
    rsp_diag_clear(&d);
    if (rsp_config_parse(c, (const char *)data, size, "fuzz", &d) == RSP_OK) {
        const char *env[] = {"RSP_SMPP_PORT=12", NULL};
        size_t n = 0, unknown = 0;
        const rsp_config_setting *t = rsp_config_settings(&n);
        rsp_config_check(c, &d, &unknown);
        for (size_t i = 0; i < n; i++) {
            const char *s;
            int64_t v;
            bool b;
            int x;
            rsp_config_get_str(c, t[i].section, t[i].key, &s);
            rsp_config_get_int(c, t[i].section, t[i].key, &v);
            rsp_config_get_bool(c, t[i].section, t[i].key, &b);
            rsp_config_get_enum(c, t[i].section, t[i].key, &x);
        }
        rsp_config_apply_env(c, env);
    }
    rsp_config_free(c);
    return 0;
}
