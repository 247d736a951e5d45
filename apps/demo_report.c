/* `rsp demo`: what the run did, as a table for people and as one JSON object (the last line of
 * stdout with --json) for scripts. Counts come from the answers the daemons gave and, for the
 * audit, from the cards' own state; SMS and session counts from the daemons' /metrics. */
#include <stdio.h>
#include <string.h>

#include "demo.h"

static const char *const PHASE_NAMES[DEMO_PH_N] = {"pki",    "manufacture", "register",   "plma",
                                                   "download", "delete",   "audit",     "smsr-change"};

void demo_report_fail(demo_summary *s, int phase, const char *eid, const char *why)
{
    s->ph[phase].failed++;
    if (!s->ph[phase].why[0])
        snprintf(s->ph[phase].why, sizeof(s->ph[phase].why), "%s%s%s", eid ? eid : "", eid ? ": " : "", why);
    if (!s->failures)
        s->failures = json_array();
    if (json_array_size(s->failures) < 20)
        json_array_append_new(s->failures, json_pack("{s:s,s:s,s:s}", "phase", PHASE_NAMES[phase], "eid",
                                                     eid ? eid : "", "reason", why));
}

static double total_cpu(const demo_procs *p)
{
    double t = 0;
    for (size_t i = 0; p && i < p->ncpu; i++)
        t += p->cpu[i].s;
    return t;
}

void demo_report_table(const demo_summary *s, FILE *out)
{
    fprintf(out, "\nrsp demo: %d eUICCs switched from MNO-A to MNO-B (store %s, transport %s)\n", s->euiccs,
            s->store, s->transport);
    fprintf(out, "  %-12s %8s %8s %9s %9s  %s\n", "phase", "ok", "failed", "seconds", "ops/s", "note");
    for (int i = 0; i < DEMO_PH_N; i++) {
        const demo_phase *p = &s->ph[i];
        if (i == DEMO_PH_SMSR_CHANGE && !p->run && !p->why[0])
            continue; /* not asked (--smsr-change) */
        if (!p->run) {
            fprintf(out, "  %-12s %8s %8s %9s %9s  not available: %s\n", PHASE_NAMES[i], "-", "-", "-", "-", p->why);
            continue;
        }
        double rate = p->seconds > 0 ? (double)(p->ok + p->failed) / p->seconds : 0;
        fprintf(out, "  %-12s %8zu %8zu %9.2f %9.1f  %s\n", PHASE_NAMES[i], p->ok, p->failed, p->seconds, rate,
                p->failed ? p->why : "");
    }
    fprintf(out, "  registered %zu, downloaded %zu, enabled %zu, old deleted %zu, audited %zu (card = SM-SR: %zu), "
                 "failed %zu\n",
            s->registered, s->downloaded, s->enabled, s->old_deleted, s->audited, s->consistent, s->failed);
    if (s->ph[DEMO_PH_SMSR_CHANGE].run)
        fprintf(out, "  SM-SR change: %zu cards moved from SM-SR1 to SM-SR2 (ES4 PrepareSMSRChange/SMSRChange, ES7)\n",
                s->moved);
    fprintf(out, "  wall time %.2f s; SMS to cards %lld, from cards %lld; admin HTTPS sessions %s%lld; "
                 "ES HTTPS connections %u\n",
            s->elapsed_s, s->sms_out, s->sms_in, s->https_sessions < 0 ? "(not reported) " : "",
            s->https_sessions < 0 ? 0 : s->https_sessions, s->es_connections);
    fprintf(out, "  CPU seconds:");
    for (size_t i = 0; s->procs && i < s->procs->ncpu; i++)
        fprintf(out, " %s %.2f", s->procs->cpu[i].name, s->procs->cpu[i].s);
    fprintf(out, " (children total %.2f)\n", total_cpu(s->procs));
    if (s->dir)
        fprintf(out, "  kept: %s (pki/, fleet/, stores, logs/)\n", s->dir);
    size_t nf = json_array_size(s->failures);
    for (size_t i = 0; i < nf && i < 5; i++) {
        json_t *f = json_array_get(s->failures, i);
        fprintf(out, "  failure: %s %s: %s\n", json_string_value(json_object_get(f, "phase")),
                json_string_value(json_object_get(f, "eid")), json_string_value(json_object_get(f, "reason")));
    }
}

json_t *demo_report_json(const demo_summary *s)
{
    json_t *ph = json_object(), *cpu = json_object();
    for (int i = 0; i < DEMO_PH_N; i++) {
        const demo_phase *p = &s->ph[i];
        json_t *o = json_pack("{s:b,s:I,s:I,s:f}", "run", p->run, "ok", (json_int_t)p->ok, "failed",
                              (json_int_t)p->failed, "seconds", p->seconds);
        if (p->why[0])
            json_object_set_new(o, p->run ? "first_failure" : "not_available", json_string(p->why));
        json_object_set_new(ph, PHASE_NAMES[i], o);
    }
    for (size_t i = 0; s->procs && i < s->procs->ncpu; i++)
        json_object_set_new(cpu, s->procs->cpu[i].name, json_real(s->procs->cpu[i].s));
    json_t *j = json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:o,s:I,s:s,s:s}", "euiccs", s->euiccs,
                          "registered", (json_int_t)s->registered, "downloaded", (json_int_t)s->downloaded,
                          "enabled", (json_int_t)s->enabled, "old_deleted", (json_int_t)s->old_deleted, "audited",
                          (json_int_t)s->audited, "consistent", (json_int_t)s->consistent, "failed",
                          (json_int_t)s->failed, "elapsed_s", s->elapsed_s, "phases", ph, "cpu_s", cpu,
                          "es_connections", (json_int_t)s->es_connections, "store", s->store, "transport",
                          s->transport);
    json_object_set_new(j, "sms", s->sms_out < 0 ? json_null() : json_integer(s->sms_out + (s->sms_in > 0 ? s->sms_in : 0)));
    json_object_set_new(j, "sms_out", s->sms_out < 0 ? json_null() : json_integer(s->sms_out));
    json_object_set_new(j, "sms_in", s->sms_in < 0 ? json_null() : json_integer(s->sms_in));
    json_object_set_new(j, "https_sessions", s->https_sessions < 0 ? json_null() : json_integer(s->https_sessions));
    if (s->ph[DEMO_PH_SMSR_CHANGE].run)
        json_object_set_new(j, "moved", json_integer((json_int_t)s->moved));
    json_object_set_new(j, "failures", s->failures ? json_incref(s->failures) : json_array());
    if (s->dir)
        json_object_set_new(j, "dir", json_string(s->dir));
    json_object_set_new(j, "console_url", s->console_url[0] ? json_string(s->console_url) : json_null());
    return j;
}
