/* `rsp demo sgp22`: what the run did, as a table for people and as one JSON object (the last line of
 * stdout with --json) for scripts: per phase ok / failed / seconds, CPU seconds per process name (from
 * wait4 of every child, demo_proc.c), per device how far it got. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "demo22.h"

const char *const d22_phase_names[PH_N] = {"pki", "manufacture", "start", "order", "download", "enable", "notify",
                                           "check"};

static double cpu_of(const d22 *x, const char *name)
{
    for (size_t i = 0; i < x->procs.ncpu; i++)
        if (!strcmp(x->procs.cpu[i].name, name))
            return x->procs.cpu[i].s;
    return 0;
}

bool d22_complete(const d22 *x)
{
    for (int i = 0; i < PH_N; i++)
        if (x->ph[i].failed)
            return false;
    return x->n > 0 && x->ph[PH_CHECK].ok == (size_t)x->n && x->ph[PH_NOTIFY].ok == (size_t)x->n;
}

void d22_report(d22 *x, rsp_err e, double elapsed)
{
    FILE *o = x->json ? stderr : stdout;
    size_t by_ac = 0, by_ds = 0;
    for (int i = 0; i < x->n; i++)
        x->devs[i].via_smds ? by_ds++ : by_ac++;
    fprintf(o, "\nrsp demo sgp22: %d consumer devices, %zu by activation code, %zu through the SM-DS%s\n", x->n, by_ac,
            by_ds, x->have_smds ? "" : " (rsp smds is not in this build: all by activation code)");
    fprintf(o, "  %-12s %6s %7s %9s  %s\n", "phase", "ok", "failed", "seconds", "note");
    for (int i = 0; i < PH_N; i++)
        fprintf(o, "  %-12s %6zu %7zu %9.2f  %s\n", d22_phase_names[i], x->ph[i].ok, x->ph[i].failed, x->ph[i].seconds,
                x->ph[i].why);
    fprintf(o, "  notifications taken by the SM-DP+: %.0f; wall time %.2f s\n  CPU seconds:", x->notifications, elapsed);
    for (size_t i = 0; i < x->procs.ncpu; i++)
        fprintf(o, " %s %.2f", x->procs.cpu[i].name, x->procs.cpu[i].s);
    fprintf(o, "\n  per device: lpa+card %.3f s, smdpp %.3f s, smds %.3f s\n", x->n ? cpu_of(x, "lpa") / x->n : 0,
            x->n ? cpu_of(x, "smdpp") / x->n : 0, x->n ? cpu_of(x, "smds") / x->n : 0);
    char msg[300] = "";
    if (e)
        rsp_diag_str(&x->diag, e, msg, sizeof(msg));
    fprintf(o, "  %s\n", e ? msg : d22_complete(x) ? "COMPLETE: every device installed and enabled its profile, the "
                                                  "SM-DP+ took every notification"
                                                : "INCOMPLETE: see the failures above");
    if (x->keep)
        fprintf(o, "  kept: %s (ci/, cards/, smdpp/, smds/, logs/, out/)\n", x->dir);
    if (!x->json)
        return;
    json_t *j = json_object(), *phs = json_array(), *cpu = json_object(), *devs = json_array();
    for (int i = 0; i < PH_N; i++)
        json_array_append_new(phs, json_pack("{s:s,s:I,s:I,s:f,s:s}", "name", d22_phase_names[i], "ok", (json_int_t)x->ph[i].ok,
                                             "failed", (json_int_t)x->ph[i].failed, "seconds", x->ph[i].seconds, "why",
                                             x->ph[i].why));
    for (size_t i = 0; i < x->procs.ncpu; i++)
        json_object_set_new(cpu, x->procs.cpu[i].name, json_real(x->procs.cpu[i].s));
    for (int i = 0; i < x->n; i++) {
        const d22_dev *d = &x->devs[i];
        json_array_append_new(devs, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:b,s:b,s:b}", "eid", d->eid, "iccid", d->iccid,
                                              "matching_id", d->mid, "via", d->via_smds ? "smds" : "activation-code",
                                              "activation_code", d->via_smds ? "" : d->ac,
                                              "installed", d->installed, "enabled", d->enabled, "notified", d->notified,
                                              "order_installed", d->checked));
    }
    json_object_set_new(j, "devices", json_integer(x->n));
    json_object_set_new(j, "complete", json_boolean(!e && d22_complete(x)));
    json_object_set_new(j, "by_activation_code", json_integer((json_int_t)by_ac));
    json_object_set_new(j, "by_smds", json_integer((json_int_t)by_ds));
    json_object_set_new(j, "smds_available", json_boolean(x->have_smds));
    json_object_set_new(j, "notifications_at_smdpp", json_real(x->notifications));
    json_object_set_new(j, "elapsed_s", json_real(elapsed));
    json_object_set_new(j, "phases", phs);
    json_object_set_new(j, "cpu_s", cpu);
    json_object_set_new(j, "per_device", devs);
    json_object_set_new(j, "failures", json_incref(x->failures));
    json_object_set_new(j, "error", e ? json_string(msg) : json_null());
    rsp_cli_json_out(j);
}

