/* The SM-SR web console's server: its listener on the SM-SR's event loop, authentication (bearer
 * token in the Authorization header or the login form's cookie; or the client certificate's CN on
 * a mutual-TLS listener), routing, and the page's security headers. docs/modules/console.md.
 *
 * Live views poll /api/ once a second (lib/net's server answers with Content-Length only: no
 * streaming, so no server-sent events). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "console_int.h"
#include "rsp/hostport.h"
#include "rsp/log.h"

#define COOKIE "rsp_console"

/* Every answer: no caching of fleet data, no framing, no sniffing, scripts only from here. */
#define SEC_HEADERS "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n" \
    "Referrer-Policy: no-referrer\r\nContent-Security-Policy: default-src 'none'; script-src 'self'; " \
    "style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'\r\n"

static bool listed(const char *list, const char *id)
{
    size_t n = strlen(id);
    for (const char *p = list; p && *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && !strncmp(p, id, n))
            return true;
        p += l;
        if (*p == ',')
            p++;
    }
    return false;
}

rsp_smsr_role console_role(const rsp_smsr_console *c, const char *identity)
{
    if (listed(c->m2msp_ids, identity))
        return RSP_SMSR_ROLE_M2MSP;
    if (listed(c->smdp_ids, identity))
        return RSP_SMSR_ROLE_SMDP;
    return RSP_SMSR_ROLE_OPERATOR;
}

const char *rsp_smsr_console_token_identity(const rsp_smsr_console *c, const char *token)
{
    if (!c || !token)
        return NULL;
    size_t n = strnlen(token, 512);
    const char *who = NULL;
    for (size_t i = 0; i < c->ntokens; i++) /* every entry compared, in constant time each */
        if (n == c->tokens[i].len && rsp_ct_equal((const uint8_t *)token, (const uint8_t *)c->tokens[i].token, n) &&
            !who)
            who = c->tokens[i].identity;
    return who;
}

/* Lines "TOKEN [IDENTITY]": a token of at least 16 characters of [A-Za-z0-9._~+/=-]. */
static rsp_err load_tokens(rsp_smsr_console *c, const char *path, rsp_diag *d)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return rsp_diag_set(d, RSP_ERR_IO, "console: cannot read the token file %s", path);
    char line[512];
    unsigned no = 0;
    rsp_err e = RSP_OK;
    while (e == RSP_OK && fgets(line, sizeof(line), f)) {
        no++;
        char *save = NULL, *tok = strtok_r(line, " \t\r\n", &save);
        if (!tok || tok[0] == '#')
            continue;
        char *id = strtok_r(NULL, " \t\r\n", &save);
        size_t tl = strlen(tok);
        bool ok = tl >= 16 && tl < 256 && strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~+/=-") == tl;
        rsp_diag cd;
        if (!ok || (id && rsp_smsr_console_check(RSP_SMSR_CONSOLE_NAME, id, &cd) != RSP_OK)) {
            e = rsp_diag_set(d, RSP_ERR_FORMAT, "console: %s line %u: expected TOKEN [IDENTITY] (token: 16+ of A-Z a-z 0-9 . _ ~ + / = -)", path, no);
            break;
        }
        console_token *nt = realloc(c->tokens, (c->ntokens + 1) * sizeof(*nt));
        if (!nt || !(nt[c->ntokens].token = strdup(tok))) {
            if (nt)
                c->tokens = nt;
            e = RSP_ERR_NOMEM;
            break;
        }
        c->tokens = nt;
        nt[c->ntokens].len = tl;
        snprintf(nt[c->ntokens].identity, sizeof(nt[0].identity), "%s", id ? id : "console");
        c->ntokens++;
    }
    rsp_wipe(line, sizeof(line));
    fclose(f);
    if (e == RSP_OK && c->ntokens == 0)
        e = rsp_diag_set(d, RSP_ERR_FORMAT, "console: %s holds no token", path);
    return e;
}

static void put(rsp_smsr_console_answer *a, int status, const char *ctype, const char *extra, const void *p, size_t n)
{
    a->status = status;
    snprintf(a->headers, sizeof(a->headers), "Content-Type: %s\r\n" SEC_HEADERS "%s", ctype, extra ? extra : "");
    rsp_buf_free(&a->body);
    if (rsp_buf_set(&a->body, p, n) != RSP_OK)
        a->status = 500;
}

/* < > & only ever occur inside JSON strings: written as \u escapes, a document opened directly by a
 * browser (or a sniffing proxy) holds no markup at all, whatever the names in it. */
static char *html_safe(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += (*p == '<' || *p == '>' || *p == '&') ? 6 : 1;
    char *o = malloc(n + 1), *w = o;
    for (const char *p = s; o && *p; p++) {
        if (*p == '<' || *p == '>' || *p == '&')
            w += sprintf(w, "\\u%04x", (unsigned)*p);
        else
            *w++ = *p;
    }
    if (o)
        *w = 0;
    return o;
}

static void put_json(rsp_smsr_console_answer *a, console_reply r)
{
    char *j = r.doc ? json_dumps(r.doc, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    char *s = j ? html_safe(j) : NULL;
    free(j);
    json_decref(r.doc);
    if (!s) {
        put(a, 500, "application/json", NULL, "{\"error\":\"internal\"}", 20);
        return;
    }
    put(a, r.status, "application/json", r.status == 401 ? "WWW-Authenticate: Bearer realm=\"rsp-console\"\r\n" : NULL,
        s, strlen(s));
    free(s);
}

static void login_page(rsp_smsr_console_answer *a, int status, const char *extra)
{
    put(a, status, "text/html; charset=utf-8", extra, console_login_html, strlen(console_login_html));
}

void rsp_smsr_console_serve(rsp_smsr_console *c, const char *identity, const char *method, const char *target,
                            const char *hdr_xrw, const uint8_t *body, size_t len, int64_t now,
                            rsp_smsr_console_answer *a)
{
    memset(a, 0, sizeof(*a));
    const char *qm = strchr(target, '?');
    size_t pl = qm ? (size_t)(qm - target) : strlen(target);
    char path[64];
    if (pl >= sizeof(path)) {
        put(a, 404, "text/plain", NULL, "not found\n", 10);
        return;
    }
    memcpy(path, target, pl);
    path[pl] = 0;
    const bool get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    if (!get && !post) {
        put(a, 405, "text/plain", "Allow: GET, POST\r\n", "method not allowed\n", 19);
        return;
    }
    rsp_smsr_console_query q;
    rsp_diag d;
    rsp_diag_clear(&d);
    const char *qs = qm ? qm + 1 : "";
    if (rsp_smsr_console_query_parse(qs, strlen(qs), &q, &d) != RSP_OK) {
        put_json(a, console_error(400, "query string: %s", d.msg));
        return;
    }
    if (!strcmp(path, "/login")) {
        if (get) {
            login_page(a, 200, NULL);
            return;
        }
        /* the form posts token=...: a query string's syntax */
        rsp_smsr_console_query f;
        const char *tok = NULL;
        if (body && len && rsp_smsr_console_query_parse((const char *)body, len, &f, NULL) == RSP_OK)
            tok = rsp_smsr_console_query_get(&f, "token");
        const char *who = rsp_smsr_console_token_identity(c, tok);
        if (!who) {
            RSP_LOGN(RSP_SS_SMSR, "console: login refused", "why=%s", tok ? "unknown token" : "no token");
            login_page(a, 401, NULL);
        } else {
            char h[400];
            /* HttpOnly: no script reads it; SameSite=Strict: no other site's page sends it */
            snprintf(h, sizeof(h), "Location: /\r\nSet-Cookie: " COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict\r\n", tok);
            put(a, 303, "text/plain", h, "", 0);
            RSP_LOGN(RSP_SS_SMSR, "console: login", "identity=%s", who);
        }
        if (body && len)
            rsp_wipe((void *)&f, sizeof(f));
        return;
    }
    if (get && !strcmp(path, "/console.css")) { /* the login form's style: no data in it */
        put(a, 200, "text/css; charset=utf-8", NULL, console_css, strlen(console_css));
        return;
    }
    if (!identity) {
        if (!strncmp(path, "/api/", 5))
            put_json(a, console_error(401, "a bearer token or the login cookie is needed"));
        else
            login_page(a, 401, "WWW-Authenticate: Bearer realm=\"rsp-console\"\r\n");
        return;
    }
    if (get && (!strcmp(path, "/") || !strcmp(path, "/index.html"))) {
        put(a, 200, "text/html; charset=utf-8", NULL, console_index_html, strlen(console_index_html));
    } else if (get && !strcmp(path, "/console.js")) {
        put(a, 200, "text/javascript; charset=utf-8", NULL, console_js, strlen(console_js));
    } else if (post && !strcmp(path, "/logout")) {
        put(a, 303, "text/plain", "Location: /login\r\nSet-Cookie: " COOKIE "=; Path=/; Max-Age=0\r\n", "", 0);
    } else if (get && !strcmp(path, "/api/whoami")) {
        put_json(a, (console_reply){200, json_pack("{s:o,s:b,s:I}", "identity", console_jstr(identity), "actions",
                                                   c->actions, "now", (json_int_t)now)});
    } else if (get && !strcmp(path, "/api/search")) {
        put_json(a, console_api_search(c, &q));
    } else if (get && !strcmp(path, "/api/card")) {
        put_json(a, console_api_card(c, &q));
    } else if (get && !strcmp(path, "/api/ops")) {
        put_json(a, console_api_ops(c, &q));
    } else if (get && !strcmp(path, "/api/op")) {
        put_json(a, console_api_op(c, &q));
    } else if (get && !strcmp(path, "/api/campaigns")) {
        put_json(a, console_api_campaigns(c, &q, now));
    } else if (get && !strcmp(path, "/api/campaign")) {
        put_json(a, console_api_campaign(c, &q, now));
    } else if (post && (!strcmp(path, "/api/op/cancel") || !strcmp(path, "/api/op/retry"))) {
        if (!c->actions)
            put_json(a, console_error(403, "actions are off (rsp smsr run --console-actions)"));
        else if (!hdr_xrw || strcmp(hdr_xrw, "rsp-console") != 0) /* a cross-site form cannot set it */
            put_json(a, console_error(403, "X-Requested-With: rsp-console is required"));
        else if (!strcmp(path, "/api/op/cancel"))
            put_json(a, console_act_cancel(c, identity, &q, now));
        else
            put_json(a, console_act_retry(c, identity, &q, now));
    } else {
        put_json(a, console_error(404, "no such page"));
    }
}

/* The token of "Authorization: Bearer T" or of the cookie, copied into out; NULL when none. */
static const char *token_of(const rsp_http_req *req, char *out, size_t cap)
{
    const char *h = rsp_http_req_header(req, "Authorization");
    if (h && !strncasecmp(h, "Bearer ", 7)) {
        snprintf(out, cap, "%s", h + 7);
        return out;
    }
    const char *ck = rsp_http_req_header(req, "Cookie");
    for (const char *p = ck; p && *p;) {
        p += strspn(p, " ;");
        size_t l = strcspn(p, ";");
        if (l > strlen(COOKIE) && !strncmp(p, COOKIE "=", strlen(COOKIE) + 1)) {
            snprintf(out, cap, "%.*s", (int)(l - strlen(COOKIE) - 1), p + strlen(COOKIE) + 1);
            return out;
        }
        p += l;
    }
    return NULL;
}

static void on_request(void *arg, rsp_http_req *req)
{
    rsp_smsr_console *c = arg;
    const char *who = NULL;
    if (c->mtls) {
        const rsp_net_peer *p = rsp_http_req_peer(req);
        who = p && p->kind == RSP_NET_PEER_CERT && p->cn[0] ? p->cn : NULL;
    } else {
        char tok[300];
        who = rsp_smsr_console_token_identity(c, token_of(req, tok, sizeof(tok)));
        rsp_wipe(tok, sizeof(tok));
    }
    size_t len = 0;
    const uint8_t *body = rsp_http_req_body(req, &len);
    rsp_smsr_console_answer a;
    rsp_smsr_console_serve(c, who, rsp_http_req_method(req), rsp_http_req_target(req),
                           rsp_http_req_header(req, "X-Requested-With"), body, len, (int64_t)time(NULL), &a);
    char t[96];
    RSP_LOGI(RSP_SS_SMSR, "console request", "identity=%s target=\"%s\" status=%d", who ? who : "-",
             rsp_http_log_escape(rsp_http_req_target(req), 80, t, sizeof(t)), a.status);
    rsp_http_respond(req, a.status, a.headers, a.body.data, a.body.len);
    rsp_buf_free(&a.body);
}

static rsp_err make_tls(rsp_smsr_console *c, const rsp_smsr_console_opts *o, rsp_diag *d)
{
    if (!o->tls_cert || !o->tls_key || !o->tls_ca)
        return rsp_diag_set(d, RSP_ERR_INVAL, "console: a mutual-TLS console needs --tls-cert, --tls-key, --tls-ca");
    char buf[1024];
    const char *cas[8];
    size_t n = 0;
    snprintf(buf, sizeof(buf), "%s", o->tls_ca);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t && n < 8; t = strtok_r(NULL, ",", &save))
        cas[n++] = t;
    rsp_err e = rsp_tls_server_mtls_new(o->tls_cert, o->tls_key, cas, n, &c->tls);
    return e ? rsp_diag_set(d, e, "console: TLS from %s / %s", o->tls_cert, o->tls_key) : RSP_OK;
}

rsp_err rsp_smsr_console_new(struct event_base *base, rsp_smsr *engine, rsp_store *st,
                             const rsp_smsr_console_opts *o, rsp_smsr_console **out, rsp_diag *diag)
{
    if (!engine || !st || !o || !out || (o->listen && !base))
        return RSP_ERR_INVAL;
    *out = NULL;
    rsp_smsr_console *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    c->e = engine;
    c->st = st;
    c->actions = o->actions;
    c->mtls = o->mtls;
    c->m2msp_ids = strdup(o->m2msp_ids ? o->m2msp_ids : "");
    c->smdp_ids = strdup(o->smdp_ids ? o->smdp_ids : "");
    rsp_err e = c->m2msp_ids && c->smdp_ids ? RSP_OK : RSP_ERR_NOMEM;
    if (e == RSP_OK && o->token_file)
        e = load_tokens(c, o->token_file, diag);
    if (e == RSP_OK && o->mtls)
        e = make_tls(c, o, diag);
    if (e == RSP_OK && o->listen && !o->mtls && !o->token_file)
        e = rsp_diag_set(diag, RSP_ERR_INVAL, "console: --console-token-file or --console-mtls is needed (no open console)");
    if (e == RSP_OK && o->listen) {
        char host[128];
        uint16_t port;
        rsp_diag hd;
        rsp_diag_clear(&hd);
        if (rsp_hostport_split(o->listen, RSP_HOSTPORT_REQUIRED, host, sizeof(host), &port, &hd)) {
            e = rsp_diag_set(diag, RSP_ERR_INVAL, "console: listen %s", hd.msg);
        } else {
            rsp_http_server_opts ho;
            memset(&ho, 0, sizeof(ho));
            ho.host = host;
            ho.port = port;
            ho.tls = c->tls;
            ho.limits.max_body_bytes = 4096; /* the login form; actions have no body */
            ho.handler = on_request;
            ho.arg = c;
            ho.max_connections = 64;
            ho.log_name = "console";
            if ((e = rsp_http_server_new(base, &ho, &c->srv)) != RSP_OK)
                rsp_diag_set(diag, e, "console: cannot listen on %s", o->listen);
        }
    }
    if (e == RSP_OK && c->srv && o->port_file) {
        if (rsp_hostport_port_file(o->port_file, rsp_http_server_port(c->srv)) != RSP_OK)
            e = rsp_diag_set(diag, RSP_ERR_IO, "console: cannot write %s", o->port_file);
    }
    if (e) {
        rsp_smsr_console_free(c);
        return e;
    }
    if (c->srv)
        RSP_LOGN(RSP_SS_SMSR, "console listening", "addr=%s port=%u auth=%s actions=%s", o->listen,
                 (unsigned)rsp_http_server_port(c->srv), c->mtls ? "client-certificate" : "token",
                 c->actions ? "on" : "off");
    *out = c;
    return RSP_OK;
}

uint16_t rsp_smsr_console_port(const rsp_smsr_console *c)
{
    return c && c->srv ? rsp_http_server_port(c->srv) : 0;
}

void rsp_smsr_console_stop(rsp_smsr_console *c)
{
    if (c && c->srv)
        rsp_http_server_drain(c->srv);
}

void rsp_smsr_console_free(rsp_smsr_console *c)
{
    if (!c)
        return;
    if (c->srv)
        rsp_http_server_free(c->srv);
    rsp_tls_ctx_free(c->tls);
    for (size_t i = 0; i < c->ntokens; i++) {
        rsp_wipe(c->tokens[i].token, c->tokens[i].len);
        free(c->tokens[i].token);
    }
    free(c->tokens);
    free(c->m2msp_ids);
    free(c->smdp_ids);
    free(c);
}
