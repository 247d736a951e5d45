/* The state blob of one card: a version byte and the fields of eu_state in a fixed order, integers
 * big-endian. One function walks the fields for both directions, so writer and reader cannot drift
 * apart. The blob comes from our own database, but it is still read with bounds checks: a damaged
 * row makes the card unusable (RSP_ERR_DB), never the process. */
#include <stdlib.h>
#include <string.h>

#include "euicc_int.h"

/* v3 (ES6) added the MNO-SD counters of each profile; a v2 blob reads with none (all zero). */
#define STATE_VERSION 3
#define STATE_VERSION_MIN 2

typedef struct io {
    bool rd;
    rsp_buf *w;
    const uint8_t *p;
    size_t len, pos;
    bool bad;
    uint8_t ver;                /* of the blob being read (writes are always STATE_VERSION) */
} io;

static void io_raw(io *s, void *v, size_t n)
{
    if (s->bad)
        return;
    if (!s->rd) {
        if (rsp_buf_append(s->w, v, n) != RSP_OK)
            s->bad = true;
        return;
    }
    if (s->len - s->pos < n) {
        s->bad = true;
        return;
    }
    memcpy(v, s->p + s->pos, n);
    s->pos += n;
}

static void io_u8(io *s, uint8_t *v) { io_raw(s, v, 1); }

static void io_u16(io *s, uint16_t *v)
{
    uint8_t b[2];
    rsp_put_be16(b, *v);
    io_raw(s, b, 2);
    *v = rsp_be16(b);
}

static void io_u32(io *s, uint32_t *v)
{
    uint8_t b[4];
    rsp_put_be32(b, *v);
    io_raw(s, b, 4);
    *v = rsp_be32(b);
}

static void io_i64(io *s, int64_t *v)
{
    uint32_t hi = (uint32_t)((uint64_t)*v >> 32), lo = (uint32_t)(uint64_t)*v;
    io_u32(s, &hi);
    io_u32(s, &lo);
    *v = (int64_t)(((uint64_t)hi << 32) | lo);
}

static void io_bool(io *s, bool *v)
{
    uint8_t b = *v ? 1 : 0;
    io_u8(s, &b);
    *v = b != 0;
}

/* A NUL-terminated string in a char[cap]: length byte, then the characters. */
static void io_str(io *s, char *v, size_t cap)
{
    uint8_t n = (uint8_t)strnlen(v, cap - 1);
    io_u8(s, &n);
    if (s->rd && n >= cap) {
        s->bad = true;
        return;
    }
    io_raw(s, v, n);
    if (s->rd && !s->bad)
        v[n] = 0;
}

/* Variable bytes in a fixed array with a length field. */
static void io_var(io *s, uint8_t *v, uint8_t *n, size_t cap)
{
    io_u8(s, n);
    if (s->rd && *n > cap) {
        s->bad = true;
        return;
    }
    io_raw(s, v, *n);
}

static void io_profile(io *s, eu_profile *p)
{
    io_u32(s, &p->tar);
    io_u8(s, &p->lcs);
    io_u8(s, &p->flags);
    io_u8(s, &p->pol1);
    io_str(s, p->iccid, sizeof(p->iccid));
    io_str(s, p->msisdn, sizeof(p->msisdn));
    io_i64(s, &p->quota);
    io_i64(s, &p->used);
    io_u32(s, &p->scp03_seq);
    uint8_t kl = (uint8_t)p->keys.len;
    io_u8(s, &kl);
    if (s->rd && kl > RSP_SCP03_KEY_MAX)
        s->bad = true;
    p->keys.len = kl;
    io_u8(s, &p->keys.kvn);
    io_raw(s, p->keys.enc, kl);
    io_raw(s, p->keys.mac, kl);
    io_raw(s, p->keys.dek, kl);
    io_raw(s, p->token, sizeof(p->token));
    io_var(s, p->conn, &p->conn_len, sizeof(p->conn));
    if (s->ver < 3)
        return;
    io_u8(s, &p->ota_n);
    if (p->ota_n > EU_OTA_KEYSETS) {
        s->bad = true;
        return;
    }
    for (unsigned i = 0; i < p->ota_n; i++) {
        io_u8(s, &p->ota_kvn[i]);
        io_raw(s, p->ota_cntr[i], 5);
    }
}

static void io_state(io *s, eu_state *st)
{
    uint8_t ver = STATE_VERSION;
    io_u8(s, &ver);
    if (ver < STATE_VERSION_MIN || ver > STATE_VERSION)
        s->bad = true;
    s->ver = ver;
    io_u8(s, &st->n80);
    io_u8(s, &st->n81);
    io_u8(s, &st->np);
    io_u8(s, &st->nn);
    if (st->n80 > EU_MAX_KEYSETS || st->n81 > EU_MAX_KEYSETS || st->np > EU_MAX_PROFILES || st->nn > EU_MAX_NOTIF)
        s->bad = true;
    if (s->bad)
        return;
    for (unsigned i = 0; i < st->n80; i++) {
        io_u8(s, &st->s80[i].kvn);
        io_raw(s, st->s80[i].kic, 16);
        io_raw(s, st->s80[i].kid, 16);
        io_raw(s, st->s80[i].cntr, 5);
    }
    for (unsigned i = 0; i < st->n81; i++) {
        io_u8(s, &st->s81[i].kvn);
        io_raw(s, st->s81[i].psk, 16);
    }
    io_raw(s, st->mo_cntr, 5);
    io_str(s, st->smsr_msisdn, sizeof(st->smsr_msisdn));
    io_var(s, st->smsr_addr, &st->smsr_addr_len, sizeof(st->smsr_addr));
    io_i64(s, &st->memory);
    io_u16(s, &st->notif_seq);
    io_bool(s, &st->attached);
    io_u32(s, &st->switch_from);
    io_u16(s, &st->switch_seq);
    io_u32(s, &st->local_prev);
    io_u16(s, &st->conf_seq);
    io_u8(s, &st->conf_n);
    if (st->conf_n > EU_MAX_PROFILES)
        s->bad = true;
    for (unsigned i = 0; i < st->conf_n && !s->bad; i++)
        io_u32(s, &st->conf_deleted[i]);
    if (s->rd && !s->bad && st->np) {
        st->p = calloc(st->np, sizeof(*st->p));
        if (!st->p)
            s->bad = true;
    }
    for (unsigned i = 0; i < st->np && !s->bad; i++)
        io_profile(s, &st->p[i]);
    for (unsigned i = 0; i < st->nn && !s->bad; i++) {
        io_u16(s, &st->n[i].seq);
        io_u8(s, &st->n[i].type);
        io_u32(s, &st->n[i].tar);
        io_u32(s, &st->n[i].from);
        io_u16(s, &st->n[i].attempts);
        io_i64(s, &st->n[i].due);
    }
}

rsp_err eu_state_encode(const eu_state *st, rsp_buf *out)
{
    io s = {.rd = false, .w = out};
    io_state(&s, (eu_state *)st); /* the write direction only reads the fields */
    return s.bad ? RSP_ERR_NOMEM : RSP_OK;
}

rsp_err eu_state_decode(const uint8_t *p, size_t len, eu_state *st)
{
    memset(st, 0, sizeof(*st));
    io s = {.rd = true, .p = p, .len = len};
    io_state(&s, st);
    if (s.bad || s.pos != len) {
        eu_state_free(st);
        return RSP_ERR_DB;
    }
    return RSP_OK;
}

void eu_state_free(eu_state *st)
{
    if (st->p) {
        rsp_wipe(st->p, st->np * sizeof(*st->p));
        free(st->p);
    }
    rsp_wipe(st, sizeof(*st));
}

eu_profile *eu_profile_add(eu_state *st)
{
    if (st->np >= EU_MAX_PROFILES)
        return NULL;
    eu_profile *np = realloc(st->p, (st->np + 1u) * sizeof(*np));
    if (!np)
        return NULL;
    st->p = np;
    eu_profile *p = &st->p[st->np++];
    memset(p, 0, sizeof(*p));
    return p;
}

void eu_profile_remove(eu_state *st, uint32_t tar)
{
    for (unsigned i = 0; i < st->np; i++) {
        if (st->p[i].tar != tar)
            continue;
        rsp_wipe(&st->p[i], sizeof(st->p[i]));
        memmove(&st->p[i], &st->p[i + 1], (st->np - i - 1u) * sizeof(st->p[0]));
        st->np--;
        return;
    }
}
