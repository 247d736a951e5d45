/* `rsp euicc attach`: one simulated consumer card in vsmartcard's virtual reader, so that any PC/SC
 * program (pcscd's clients: an LPA, pcsc-tools, GlobalPlatformPro) reaches it as a card in a reader.
 *
 * The card dials the driver (vpcd listens, port 35963 by default, its DEVICENAME /dev/null:PORT), and
 * answers the driver's messages (lpa.h §vpcd): power off / on / reset drop the card's volatile state,
 * "ATR" gets the card's ATR, anything longer is a C-APDU for the card's entry point (es10.h
 * §c22_slot.c), which commits every state change before its answer leaves. When the driver goes away
 * (pcscd stopped or restarted) the card is reset, as a card pulled from a reader, and dialled in again
 * until SIGINT/SIGTERM; nothing is lost because the card's memory is its folder. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "rsp/es10.h"
#include "rsp/hostport.h"
#include "rsp/lpa.h"

typedef struct attach_opts {
    const char *fleet, *eid;
    char host[256];
    char port[8];
    bool once, trace;
} attach_opts;

static const char usage[] =
    "usage: rsp euicc attach --fleet DIR --eid EID [--vpcd HOST:PORT] [--once] [--trace]\n"
    "  Puts the consumer card DIR/EID (made by `rsp eum make --sgp22 --out DIR`) into vsmartcard's\n"
    "  virtual reader: it dials the vpcd driver of pcscd (default localhost:35963) and answers its\n"
    "  APDUs until SIGINT/SIGTERM, dialling again whenever the driver goes away.\n"
    "  --once   end (exit 0) when the driver closes the connection instead of dialling again\n"
    "  --trace  print each C-APDU and R-APDU (hex) on stderr\n"
    "  Exit: 0 stopped by a signal (or --once), 1 the card could not be opened (held by another\n"
    "  process, bad files), 2 usage.\n";

static bool stop_requested(void)
{
    sigset_t s;
    return sigpending(&s) == 0 && (sigismember(&s, SIGINT) == 1 || sigismember(&s, SIGTERM) == 1);
}

/* Sleeps ms unless a stop signal is pending; true when one is. */
static bool nap(int ms)
{
    for (int t = 0; t < ms; t += 50) {
        if (stop_requested())
            return true;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return stop_requested();
}

static int dial(const attach_opts *o)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(o->host, o->port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static bool send_all(int fd, const uint8_t *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static void trace_hex(const char *dir, const uint8_t *p, size_t len)
{
    fprintf(stderr, "%s ", dir);
    for (size_t i = 0; i < len; i++)
        fprintf(stderr, "%02X", p[i]);
    fputc('\n', stderr);
}

/* One message of the driver; false when the connection must end. */
static bool handle(const attach_opts *o, rsp_es10_slot *card, int fd, const rsp_buf *msg)
{
    rsp_buf out = RSP_BUF_INIT, r = RSP_BUF_INIT;
    bool ok = true;
    if (msg->len == 1) {
        switch (msg->data[0]) {
        case RSP_VPCD_POWER_OFF:
        case RSP_VPCD_POWER_ON:
        case RSP_VPCD_RESET:
            rsp_es10_card_reset_slot(card);
            break;
        case RSP_VPCD_GET_ATR: {
            uint8_t atr[33];
            size_t n = rsp_es10_card_atr(atr);
            ok = rsp_vpcd_frame(atr, n, &out) == RSP_OK && send_all(fd, out.data, out.len);
            break;
        }
        default: /* a control this driver version does not have: nothing is expected back */
            fprintf(stderr, "rsp euicc attach: unknown vpcd control %02X ignored\n", msg->data[0]);
            break;
        }
    } else {
        if (o->trace)
            trace_hex(">>", msg->data, msg->len);
        /* an error leaves 6F00 in r (the card's memory failed): the reader still gets an answer */
        (void)rsp_es10_card_apdu(card, msg->data, msg->len, &r);
        if (r.len < 2)
            rsp_buf_set(&r, "\x6F\x00", 2);
        if (o->trace)
            trace_hex("<<", r.data, r.len);
        ok = rsp_vpcd_frame(r.data, r.len, &out) == RSP_OK && send_all(fd, out.data, out.len);
    }
    rsp_buf_free(&out);
    rsp_buf_free(&r);
    return ok;
}

/* Serves one connection until it ends or a stop signal comes; true when stopping. */
static bool serve(const attach_opts *o, rsp_es10_slot *card, int fd)
{
    rsp_vpcd_reader rd;
    rsp_vpcd_reader_init(&rd);
    rsp_buf msg = RSP_BUF_INIT;
    bool stop = false, open = true;
    while (open && !(stop = stop_requested())) {
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, 200);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        uint8_t buf[4096];
        ssize_t got = recv(fd, buf, sizeof(buf), 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || rsp_vpcd_feed(&rd, buf, (size_t)got) != RSP_OK)
            break;
        rsp_diag d = {0};
        rsp_err e;
        while (open && (e = rsp_vpcd_next(&rd, &msg, &d)) != RSP_ERR_END) {
            if (e) {
                fprintf(stderr, "rsp euicc attach: %s\n", d.msg[0] ? d.msg : rsp_err_msg(e));
                open = false;
            } else {
                open = handle(o, card, fd, &msg);
            }
        }
    }
    rsp_buf_free(&msg);
    rsp_vpcd_reader_free(&rd);
    return stop;
}

static int parse(int argc, char **argv, attach_opts *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->host, sizeof(o->host), "localhost");
    snprintf(o->port, sizeof(o->port), "%d", RSP_VPCD_PORT);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            return -1;
        }
        if (!strcmp(a, "--once")) {
            o->once = true;
        } else if (!strcmp(a, "--trace")) {
            o->trace = true;
        } else if (i + 1 < argc && !strcmp(a, "--fleet")) {
            o->fleet = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--eid")) {
            o->eid = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--vpcd")) {
            const char *v = argv[++i];
            uint16_t port = 0;
            rsp_diag hd;
            rsp_diag_clear(&hd);
            if (rsp_hostport_split(v, RSP_HOSTPORT_REQUIRED, o->host, sizeof(o->host), &port, &hd) || !port)
                return rsp_cli_usage_error("euicc attach: --vpcd wants HOST:PORT or [IPv6]:PORT (port 1..65535): %s",
                                           hd.msg[0] ? hd.msg : v);
            snprintf(o->port, sizeof(o->port), "%u", (unsigned)port);
        } else {
            return rsp_cli_usage_error("euicc attach: unexpected argument '%s' (see --help)", a);
        }
    }
    if (!o->fleet || !o->eid)
        return rsp_cli_usage_error("euicc attach: --fleet DIR and --eid EID are required (see --help)");
    if (strlen(o->eid) != 32 || strspn(o->eid, "0123456789") != 32)
        return rsp_cli_usage_error("euicc attach: --eid %s: 32 digits expected", o->eid);
    return 0;
}

int rsp_euicc_cmd_attach(int argc, char **argv); /* declared where cmd_euicc.c hooks it */

int rsp_euicc_cmd_attach(int argc, char **argv)
{
    attach_opts o;
    int rc = parse(argc, argv, &o);
    if (rc)
        return rc < 0 ? RSP_EXIT_OK : rc;
    char dir[4096];
    if (snprintf(dir, sizeof(dir), "%s/%s", o.fleet, o.eid) >= (int)sizeof(dir))
        return rsp_cli_usage_error("euicc attach: --fleet path too long");
    /* SIGINT/SIGTERM stay pending and are polled: the card is closed (its lock released) on the way out */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    rsp_es10_slot *card = NULL;
    rsp_diag d = {0};
    rsp_err e = rsp_es10_card_open(dir, &card, &d);
    if (e) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (d.msg[0])
            fprintf(stderr, "rsp: euicc attach: %s\n", d.msg);
        else
            fprintf(stderr, "rsp: euicc attach: %s: %s\n", dir, rsp_err_msg(e));
        return e == RSP_ERR_BUSY || e == RSP_ERR_VERIFY ? RSP_EXIT_FAIL : RSP_EXIT_USAGE;
    }
    bool stop = false, waiting_said = false;
    while (!stop) {
        int fd = dial(&o);
        if (fd < 0) {
            if (!waiting_said)
                fprintf(stderr, "rsp euicc attach: waiting for the vpcd driver at %s:%s\n", o.host, o.port);
            waiting_said = true;
            stop = nap(250);
            continue;
        }
        waiting_said = false;
        printf("attached %s to %s:%s\n", o.eid, o.host, o.port);
        fflush(stdout);
        stop = serve(&o, card, fd);
        close(fd);
        rsp_es10_card_reset_slot(card); /* out of the reader: volatile state gone */
        printf("detached %s\n", o.eid);
        fflush(stdout);
        if (o.once)
            break;
        if (!stop)
            stop = nap(100);
    }
    rsp_es10_card_close(card);
    /* the mask stays: unblocking would let the pending SIGTERM kill us before the exit status 0 */
    return RSP_EXIT_OK;
}
