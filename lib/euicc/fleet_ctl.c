/* The fleet daemon's control socket: a unix stream socket carrying one command line in, one JSON line
 * out (`rsp euicc ctl` is the client). The command words are parsed strictly here; what they do is the
 * host's business (rsp_fleet_host_ctl). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "fleet_int.h"
#include "rsp/log.h"

/* ---- parsing ---- */

typedef struct word {
    const char *p;
    size_t n;
} word;

static size_t split(const char *line, size_t len, word *w, size_t max)
{
    size_t nw = 0, i = 0;
    while (i < len) {
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            break;
        size_t s = i;
        while (i < len && line[i] != ' ' && line[i] != '\t')
            i++;
        if (nw < max)
            w[nw] = (word){line + s, i - s};
        nw++;
    }
    return nw;
}

static bool word_is(const word *w, const char *s)
{
    return w->n == strlen(s) && !memcmp(w->p, s, w->n);
}

static rsp_err parse_uint(const word *w, unsigned max, unsigned *out, const char *what, rsp_diag *diag)
{
    unsigned long v = 0;
    if (w->n == 0 || w->n > 9)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "%s must be a number from 0 to %u", what, max);
    for (size_t i = 0; i < w->n; i++) {
        if (w->p[i] < '0' || w->p[i] > '9')
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s must be a decimal number", what);
        v = v * 10 + (unsigned long)(w->p[i] - '0');
    }
    if (v > max)
        return rsp_diag_set(diag, RSP_ERR_RANGE, "%s must be a number from 0 to %u", what, max);
    *out = (unsigned)v;
    return RSP_OK;
}

static rsp_err parse_eid(const word *w, char eid[33], rsp_diag *diag)
{
    if (w->n != 32)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "EID must be 32 digits (got %zu characters)", w->n);
    for (size_t i = 0; i < 32; i++)
        if (w->p[i] < '0' || w->p[i] > '9')
            return rsp_diag_set(diag, RSP_ERR_FORMAT, "EID must be 32 digits (non-digit at %zu)", i);
    memcpy(eid, w->p, 32);
    eid[32] = 0;
    return RSP_OK;
}

rsp_err rsp_fleet_ctl_parse(const char *line, size_t len, rsp_fleet_ctl_cmd *out, rsp_diag *diag)
{
    if (!out || (!line && len))
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (len && line[len - 1] == '\r')
        len--;
    if (len > RSP_FLEET_CTL_LINE_MAX)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "command line longer than %d bytes", RSP_FLEET_CTL_LINE_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, i, "control character in command line");
    word w[4];
    size_t nw = split(line, len, w, 4);
    if (nw == 0)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "empty command");
    static const struct {
        const char *name;
        rsp_fleet_ctl_op op;
        size_t min, max; /* words after the command */
    } cmds[] = {
        {"status", RSP_FLEET_CTL_STATUS, 0, 1},   {"net-down", RSP_FLEET_CTL_NET_DOWN, 1, 1},
        {"offline", RSP_FLEET_CTL_OFFLINE, 1, 2}, {"online", RSP_FLEET_CTL_ONLINE, 1, 1},
        {"drop-sms", RSP_FLEET_CTL_DROP_SMS, 1, 1}, {"reset", RSP_FLEET_CTL_RESET, 1, 1},
    };
    size_t k = 0;
    while (k < sizeof(cmds) / sizeof(cmds[0]) && !word_is(&w[0], cmds[k].name))
        k++;
    if (k == sizeof(cmds) / sizeof(cmds[0]))
        return rsp_diag_set(diag, RSP_ERR_UNSUPPORTED,
                            "unknown command (status, net-down, offline, online, drop-sms, reset)");
    if (nw - 1 < cmds[k].min || nw - 1 > cmds[k].max)
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "%s takes %zu to %zu arguments, got %zu", cmds[k].name,
                            cmds[k].min, cmds[k].max, nw - 1);
    out->op = cmds[k].op;
    if (out->op == RSP_FLEET_CTL_DROP_SMS)
        return parse_uint(&w[1], 100, &out->percent, "PERCENT", diag);
    rsp_err e = nw > 1 ? parse_eid(&w[1], out->eid, diag) : RSP_OK;
    if (e == RSP_OK && out->op == RSP_FLEET_CTL_OFFLINE && nw == 3) {
        e = parse_uint(&w[2], 365u * 86400u, &out->seconds, "SECONDS", diag);
        if (e == RSP_OK && out->seconds == 0)
            e = rsp_diag_set(diag, RSP_ERR_RANGE, "SECONDS must be at least 1 (omit it for 'until online')");
    }
    return e;
}

void rsp_fleet_json_str(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    if (!cap)
        return;
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        size_t n;
        if (c == '"' || c == '\\')
            n = (size_t)snprintf(tmp, sizeof(tmp), "\\%c", c);
        else if (c < 0x20)
            n = (size_t)snprintf(tmp, sizeof(tmp), "\\u%04x", c);
        else
            tmp[0] = (char)c, tmp[1] = 0, n = 1;
        if (o + n + 1 > cap)
            break;
        memcpy(out + o, tmp, n);
        o += n;
    }
    out[o] = 0;
}

void rsp_fleet_ctl_error(char *answer, size_t cap, rsp_err e, const char *msg)
{
    char m[600];
    /* The message gives way when the answer buffer is small, cut between escapes so it stays JSON. */
    size_t mcap = cap > 80 ? cap - 80 : 1;
    rsp_fleet_json_str(m, mcap < sizeof(m) ? mcap : sizeof(m), msg ? msg : rsp_err_msg(e));
    int room = (int)(mcap < sizeof(m) ? mcap : sizeof(m));
    snprintf(answer, cap, "{\"ok\":false,\"error\":\"%s\",\"message\":\"%.*s\"}", rsp_err_name(e), room, m);
}

/* ---- server ---- */

typedef struct ctl_conn {
    struct ctl_conn *prev, *next;
    rsp_fleet_ctl_server *srv;
    struct bufferevent *bev;
} ctl_conn;

struct rsp_fleet_ctl_server {
    struct evconnlistener *lst;
    char *path;
    rsp_fleet_ctl_fn fn;
    void *arg;
    ctl_conn *conns;
};

static void conn_free(ctl_conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    bufferevent_free(c->bev);
    free(c);
}

static void answer_line(ctl_conn *c, const char *line, size_t len)
{
    char ans[RSP_FLEET_CTL_ANSWER_MAX];
    rsp_fleet_ctl_cmd cmd;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_err e = rsp_fleet_ctl_parse(line, len, &cmd, &d);
    if (e != RSP_OK)
        rsp_fleet_ctl_error(ans, sizeof(ans), e, d.msg[0] ? d.msg : NULL);
    else
        c->srv->fn(c->srv->arg, &cmd, ans, sizeof(ans));
    evbuffer_add_printf(bufferevent_get_output(c->bev), "%s\n", ans);
}

static void conn_read(struct bufferevent *bev, void *arg)
{
    ctl_conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        size_t n = 0;
        char *line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF);
        if (!line) {
            if (evbuffer_get_length(in) > RSP_FLEET_CTL_LINE_MAX) {
                /* A line that never ends is not a client of ours: answer once and hang up. */
                char ans[200];
                rsp_fleet_ctl_error(ans, sizeof(ans), RSP_ERR_LENGTH, "command line too long");
                evbuffer_add_printf(bufferevent_get_output(bev), "%s\n", ans);
                evbuffer_drain(in, evbuffer_get_length(in));
                bufferevent_disable(bev, EV_READ);
            }
            return;
        }
        answer_line(c, line, n);
        free(line);
    }
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
    (void)sa;
    (void)salen;
    rsp_fleet_ctl_server *s = arg;
    ctl_conn *c = calloc(1, sizeof(*c));
    struct bufferevent *bev = c ? bufferevent_socket_new(evconnlistener_get_base(l), fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        free(c);
        evutil_closesocket(fd);
        return;
    }
    c->srv = s;
    c->bev = bev;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    bufferevent_setcb(bev, conn_read, NULL, conn_event, c);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

rsp_err rsp_fleet_ctl_listen(struct event_base *base, const char *path, rsp_fleet_ctl_fn fn, void *arg,
                             rsp_fleet_ctl_server **out)
{
    struct sockaddr_un sa;
    if (!base || !path || !fn || !out || strlen(path) >= sizeof(sa.sun_path))
        return RSP_ERR_INVAL;
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            return RSP_ERR_EXISTS;
        unlink(path); /* left behind by a daemon that was killed */
    }
    rsp_fleet_ctl_server *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(path))) {
        free(s);
        return RSP_ERR_NOMEM;
    }
    s->fn = fn;
    s->arg = arg;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    mode_t old = umask(0177); /* the socket controls the fleet: owner only */
    s->lst = evconnlistener_new_bind(base, on_accept, s, LEV_OPT_CLOSE_ON_FREE, 16, (struct sockaddr *)&sa,
                                     (int)sizeof(sa));
    umask(old);
    if (!s->lst) {
        free(s->path);
        free(s);
        return RSP_ERR_IO;
    }
    *out = s;
    return RSP_OK;
}

void rsp_fleet_ctl_free(rsp_fleet_ctl_server *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_free(s->conns);
    evconnlistener_free(s->lst);
    unlink(s->path);
    free(s->path);
    free(s);
}

/* ---- client ---- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

rsp_err rsp_fleet_ctl_call(const char *path, const char *line, unsigned timeout_ms, char *answer, size_t cap)
{
    struct sockaddr_un sa;
    if (!path || !line || !answer || cap < 2 || strlen(path) >= sizeof(sa.sun_path) ||
        strlen(line) > RSP_FLEET_CTL_LINE_MAX || strchr(line, '\n'))
        return RSP_ERR_INVAL;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0)
        return RSP_ERR_IO;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    rsp_err e = RSP_OK;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return RSP_ERR_NET;
    }
    size_t ll = strlen(line);
    char *msg = malloc(ll + 1);
    if (!msg) {
        close(fd);
        return RSP_ERR_NOMEM;
    }
    memcpy(msg, line, ll);
    msg[ll] = '\n';
    size_t off = 0;
    while (off < ll + 1 && e == RSP_OK) {
        ssize_t w = send(fd, msg + off, ll + 1 - off, MSG_NOSIGNAL);
        if (w < 0 && errno != EINTR)
            e = RSP_ERR_NET;
        else if (w > 0)
            off += (size_t)w;
    }
    free(msg);
    size_t got = 0;
    int64_t deadline = mono_ms() + (timeout_ms ? timeout_ms : 10000);
    while (e == RSP_OK) {
        if (got && answer[got - 1] == '\n') {
            answer[got - 1] = 0;
            break;
        }
        if (got + 1 >= cap) {
            e = RSP_ERR_OVERFLOW;
            break;
        }
        int64_t left = deadline - mono_ms();
        struct pollfd pf = {fd, POLLIN, 0};
        int pr = left > 0 ? poll(&pf, 1, (int)left) : 0;
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0) {
            e = pr == 0 ? RSP_ERR_TIMEOUT : RSP_ERR_IO;
            break;
        }
        ssize_t r = recv(fd, answer + got, cap - 1 - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            e = RSP_ERR_NET; /* closed before a whole line */
            break;
        }
        /* Stop at the first newline: one answer per command. */
        char *nl = memchr(answer + got, '\n', (size_t)r);
        got = nl ? (size_t)(nl - answer) + 1 : got + (size_t)r;
    }
    if (e != RSP_OK)
        answer[0] = 0;
    close(fd);
    return e;
}
