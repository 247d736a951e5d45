/* The callback sender: HTTPS POSTs to the URLs the ES endpoint (or the daemon's outbox) names, one
 * kept-alive mutual-TLS client per destination host:port, a bounded queue per destination, and every
 * outcome reported once to on_delivered, so a durable outbox can retry what did not get a 2xx. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rsp/hostport.h"
#include "svc_int.h"

struct svc_dest {
    svc_dest *next;
    char host[256];
    uint16_t port;
    rsp_http_client *cli;
    size_t n; /* posted, not yet answered */
};

typedef struct pending {
    rsp_svc *s;
    svc_dest *d;
    uint64_t id;
    char url[];
} pending;

static int clean(const char *v, const char *also_bad)
{
    for (const unsigned char *p = (const unsigned char *)v; p && *p; p++)
        if (*p < 0x20 || *p == 0x7F || strchr(also_bad, *p))
            return 0;
    return 1;
}

rsp_err rsp_svc_parse_url(const char *url, char *host, size_t hostsz, uint16_t *port, const char **path)
{
    if (strncasecmp(url, "https://", 8) != 0)
        return RSP_ERR_INVAL;
    const char *a = url + 8, *slash = strchr(a, '/');
    size_t alen = slash ? (size_t)(slash - a) : strlen(a);
    char auth[300];
    if (alen == 0 || alen >= sizeof(auth) || memchr(a, '@', alen))
        return RSP_ERR_INVAL;
    memcpy(auth, a, alen);
    auth[alen] = 0;
    *path = slash ? slash : "/";
    /* host:port, [v6]:port, or a bare host (443); port 0 names no server */
    return rsp_hostport_split(auth, 443, host, hostsz, port, NULL) == RSP_OK && *port ? RSP_OK : RSP_ERR_INVAL;
}

static void on_answer(void *arg, rsp_err err, const rsp_http_response *resp)
{
    pending *p = arg;
    rsp_svc *s = p->s;
    rsp_svc_delivery dl = {p->id, p->url, err, resp ? resp->status : 0};
    if (!err && (dl.status < 200 || dl.status > 299))
        dl.err = RSP_ERR_DENIED;
    p->d->n--;
    s->queued--;
    const char *v[] = {dl.err ? "failed" : "ok"};
    rsp_metric_inc(s->m_callbacks, v, 1);
    if (dl.err) {
        char u[200];
        rsp_http_log_escape(p->url, strlen(p->url), u, sizeof(u));
        rsp_log(s->o.log_ss, RSP_LOG_NOTICE, "callback not delivered", "name=%s id=%llu url=\"%s\" err=%s status=%d",
                s->name, (unsigned long long)p->id, u, rsp_err_name(dl.err), dl.status);
    }
    if (s->outbox)
        rsp_svc__outbox_delivered(s->outbox, &dl);
    if (s->o.on_delivered)
        s->o.on_delivered(s->o.delivered_arg, &dl);
    free(p);
}

static svc_dest *dest_for(rsp_svc *s, const char *host, uint16_t port, rsp_err *err)
{
    svc_dest **pp = &s->dests, *idle = NULL, **idle_pp = NULL;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->port == port && !strcasecmp((*pp)->host, host))
            return *pp;
        if ((*pp)->n == 0) {
            idle = *pp;
            idle_pp = pp;
        }
    }
    if (s->ndests >= SVC_MAX_DESTS) {
        /* Bounded: reuse the slot of an idle destination, else refuse. */
        if (!idle) {
            *err = RSP_ERR_BUSY;
            return NULL;
        }
        *idle_pp = idle->next;
        rsp_http_client_free(idle->cli);
        free(idle);
        s->ndests--;
    }
    svc_dest *d = calloc(1, sizeof(*d));
    if (!d) {
        *err = RSP_ERR_NOMEM;
        return NULL;
    }
    snprintf(d->host, sizeof(d->host), "%s", host);
    d->port = port;
    rsp_http_client_opts co = {0};
    co.host = d->host;
    co.port = port;
    co.tls = s->ctls;
    co.timeout_ms = s->o.callback_timeout_ms ? s->o.callback_timeout_ms : 30000;
    if ((*err = rsp_http_client_new(s->base, &co, &d->cli)) != RSP_OK) {
        free(d);
        return NULL;
    }
    d->next = s->dests;
    s->dests = d;
    s->ndests++;
    return d;
}

rsp_err rsp_svc_send(rsp_svc *s, const char *url, const char *ctype, const char *action, const uint8_t *body,
                     size_t len, uint64_t *id)
{
    if (!s || !url || !ctype || (!body && len))
        return RSP_ERR_INVAL;
    if (s->stopped)
        return RSP_ERR_STATE;
    /* Values that end up in our request head: no CR/LF (header injection), no quotes in the action. */
    if (!clean(url, " \"<>\\") || !clean(ctype, "") || (action && !clean(action, "\"")))
        return RSP_ERR_INVAL;
    char host[256];
    uint16_t port;
    const char *path;
    if (rsp_svc_parse_url(url, host, sizeof(host), &port, &path))
        return RSP_ERR_INVAL;
    rsp_err e = RSP_OK;
    svc_dest *d = dest_for(s, host, port, &e);
    if (!d)
        return e;
    size_t qmax = s->o.callback_queue ? s->o.callback_queue : 1000;
    if (d->n >= qmax)
        return RSP_ERR_BUSY;
    size_t ul = strlen(url) + 1;
    pending *p = malloc(sizeof(*p) + ul);
    char *hdr = malloc(strlen(ctype) + (action ? strlen(action) : 0) + 64);
    if (!p || !hdr) {
        free(p);
        free(hdr);
        return RSP_ERR_NOMEM;
    }
    sprintf(hdr, "Content-Type: %s\r\n", ctype);
    if (action && *action)
        sprintf(hdr + strlen(hdr), "SOAPAction: \"%s\"\r\n", action);
    memcpy(p->url, url, ul);
    p->s = s;
    p->d = d;
    uint64_t my_id = p->id = ++s->next_id;
    d->n++;
    s->queued++;
    e = rsp_http_client_post(d->cli, path, hdr, body, len, on_answer, p);
    free(hdr);
    if (e) {
        d->n--;
        s->queued--;
        free(p);
        return e;
    }
    if (id)
        *id = my_id;
    return RSP_OK;
}

void rsp_svc_send_free_all(rsp_svc *s)
{
    while (s->dests) {
        svc_dest *d = s->dests;
        s->dests = d->next;
        rsp_http_client_free(d->cli); /* reports what was queued, RSP_ERR_STATE */
        free(d);
    }
    s->ndests = 0;
}
