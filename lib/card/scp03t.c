/* SCP03t host and card roles. See include/rsp/scp03t.h and lib/card/es8_encoding.h. */
#include <string.h>

#include "es8_encoding.h"
#include "rsp/crypto.h"
#include "rsp/scp03t.h"
#include "rsp/tlv.h"
#include "scp03_prim.h"

#define SCP03T_MAX_PLAIN_DEFAULT (16u << 20)

rsp_err rsp_scp03t_host_init(uint8_t kvn, uint8_t key_id, const uint8_t host_challenge[8], rsp_buf *out)
{
    if (!host_challenge || !out)
        return RSP_ERR_INVAL;
    uint8_t v[10] = {kvn, key_id};
    memcpy(v + 2, host_challenge, 8);
    return rsp_tlv_put(out, RSP_SCP03T_TAG_INIT, v, sizeof(v));
}

rsp_err rsp_scp03t_host_begin(rsp_scp03_session *s, const rsp_scp03_keys *keys, const uint8_t host_challenge[8],
                              const uint8_t *resp, size_t len, rsp_diag *diag)
{
    if (!s || !keys || !host_challenge || (!resp && len))
        return RSP_ERR_INVAL;
    if (len >= 2 && resp[0] == RSP_SCP03T_ERR_PREFIX)
        return rsp_diag_set_at(diag, RSP_ERR_PROTOCOL, 0, "card answered error 9F %02X", resp[1]);
    rsp_tlv t;
    rsp_err e = rsp_tlv_expect(resp, len, RSP_SCP03T_TAG_INIT, &t, diag);
    if (e)
        return e;
    size_t hdr = t.raw_len - t.len;
    e = rsp_scp03_host_begin(s, keys, host_challenge, t.value, t.len, diag);
    if (diag && diag->err == e && e && diag->has_offset)
        diag->offset += hdr; /* report offsets in the TLV the caller holds */
    return e;
}

rsp_err rsp_scp03t_host_auth(rsp_scp03_session *s, uint8_t sl, rsp_buf *out)
{
    if (!s || !out || s->role != RSP_SCP03_HOST)
        return RSP_ERR_INVAL;
    if (!s->card_cryptogram_ok || s->authenticated)
        return RSP_ERR_STATE;
    if (!rsp_scp03_sl_valid(sl))
        return RSP_ERR_RANGE;
    uint8_t v[9] = {sl};
    memcpy(v + 1, s->host_cryptogram, 8);
    rsp_scp03i_keys k;
    rsp_err e = rsp_scp03i_keys_open(&k, NULL, s->s_mac, s->keylen);
    if (!e)
        e = rsp_scp03i_seg_protect(&k, s->mcv, 0, RSP_SCP03T_TAG_AUTH, false, v, sizeof(v), out);
    rsp_scp03i_keys_close(&k);
    if (e)
        return e;
    s->sl = sl;
    s->authenticated = true;
    return RSP_OK;
}

rsp_err rsp_scp03t_host_wrap(rsp_scp03_session *s, const uint8_t *data, size_t len, size_t segment, rsp_buf *out)
{
    if (!s || !out || (!data && len) || s->role != RSP_SCP03_HOST)
        return RSP_ERR_INVAL;
    if (!s->authenticated)
        return RSP_ERR_STATE;
    if (segment == 0)
        segment = RSP_SCP03T_SEGMENT;
    bool enc = (s->sl & RSP_SCP03_SL_CENC) != 0;
    /* One reservation for the whole package keeps the loop free of reallocations. */
    size_t nseg = len / segment + 1;
    rsp_err e = rsp_buf_reserve(out, len + nseg * (16 + 8 + 4));
    rsp_scp03i_keys k = {NULL, NULL};
    if (!e)
        e = rsp_scp03i_keys_open(&k, s->s_enc, s->s_mac, s->keylen);
    size_t off = 0;
    while (!e && off < len) {
        size_t n = len - off < segment ? len - off : segment;
        s->counter++;
        e = rsp_scp03i_seg_protect(&k, s->mcv, s->counter, RSP_SCP03T_TAG_DATA, enc, data + off, n, out);
        off += n;
    }
    rsp_scp03i_keys_close(&k);
    return e;
}

/* ---- card ---- */

rsp_err rsp_scp03t_card_init(rsp_scp03t_card *c, const rsp_scp03_keys *keys, const rsp_scp03_card_params *p)
{
    if (!c || !keys || !p)
        return RSP_ERR_INVAL;
    memset(c, 0, sizeof(*c));
    c->keys = *keys;
    c->params = *p;
    c->state = RSP_SCP03T_IDLE;
    return RSP_OK;
}

void rsp_scp03t_card_close(rsp_scp03t_card *c)
{
    if (!c)
        return;
    rsp_scp03_close(&c->s);
    rsp_buf_free_secret(&c->plain);
    rsp_wipe(c, sizeof(*c));
}

static rsp_err fail(rsp_scp03t_card *c, rsp_buf *resp, uint8_t code, rsp_err e, size_t offset, rsp_diag *diag)
{
    c->state = RSP_SCP03T_FAILED;
    c->last_error = code;
    rsp_scp03_close(&c->s); /* an aborted session keeps no keys */
    if (diag && diag->err == RSP_OK)
        rsp_diag_set_at(diag, e, offset, "SCP03t: %s", rsp_err_msg(e));
    else if (diag && !diag->has_offset) {
        diag->offset = offset;
        diag->has_offset = 1;
    }
    uint8_t b[2] = {RSP_SCP03T_ERR_PREFIX, code};
    rsp_buf_append(resp, b, 2);
    return e;
}

static uint8_t code_of(rsp_err e)
{
    switch (e) {
    case RSP_ERR_VERIFY: return RSP_SCP03T_ERR_SECURITY;
    case RSP_ERR_STATE: return RSP_SCP03T_ERR_SEQUENCE;
    case RSP_ERR_UNSUPPORTED: case RSP_ERR_NOT_FOUND: case RSP_ERR_RANGE: return RSP_SCP03T_ERR_UNSUPPORTED;
    case RSP_ERR_OVERFLOW: case RSP_ERR_NOMEM: return RSP_SCP03T_ERR_MEMORY;
    default: return RSP_SCP03T_ERR_FORMAT;
    }
}

static rsp_err card_init(rsp_scp03t_card *c, const rsp_tlv *t, rsp_buf *resp, rsp_diag *diag)
{
    if (t->len != 10)
        return rsp_diag_set(diag, RSP_ERR_LENGTH, "84 carries %zu bytes, expected KVN, key id, 8-byte challenge",
                            t->len);
    uint8_t apdu[13] = {0x80, 0x50, t->value[0], 0x00, 0x08};
    memcpy(apdu + 5, t->value + 2, 8);
    rsp_buf r = RSP_BUF_INIT;
    rsp_err e = rsp_scp03_card_init_update(&c->s, &c->keys, &c->params, apdu, sizeof(apdu), &r, diag);
    if (!e)
        e = rsp_tlv_put(resp, RSP_SCP03T_TAG_INIT, r.data, r.len);
    rsp_buf_free(&r);
    return e;
}

static rsp_err card_auth(rsp_scp03t_card *c, const rsp_tlv *t, rsp_diag *diag)
{
    if (t->len != 17)
        return rsp_diag_set(diag, t->len < 17 ? RSP_ERR_TRUNCATED : RSP_ERR_LENGTH,
                            "85 carries %zu bytes, expected SL, cryptogram, C-MAC", t->len);
    rsp_buf tmp = RSP_BUF_INIT;
    rsp_scp03i_keys k;
    rsp_err e = rsp_scp03i_keys_open(&k, NULL, c->s.s_mac, c->s.keylen);
    if (!e)
        e = rsp_scp03i_seg_unprotect(&k, c->s.mcv, 0, false, t->raw, t->raw_len - t->len, t->len, &tmp, diag);
    rsp_scp03i_keys_close(&k);
    uint8_t sl = tmp.len == 9 ? tmp.data[0] : 0;
    if (!e && !rsp_scp03_sl_valid(sl))
        e = rsp_diag_set(diag, RSP_ERR_UNSUPPORTED, "security level %02X is not supported", sl);
    if (!e && !rsp_ct_equal(tmp.data + 1, c->s.host_cryptogram, 8))
        e = rsp_diag_set(diag, RSP_ERR_VERIFY, "host cryptogram does not verify");
    rsp_buf_free(&tmp);
    if (e)
        return e;
    c->s.sl = sl;
    c->s.authenticated = true;
    return RSP_OK;
}

/* k is opened on the first data segment of a card_process call and reused for the rest of it. */
static rsp_err card_data(rsp_scp03t_card *c, rsp_scp03i_keys *k, const rsp_tlv *t, rsp_diag *diag)
{
    size_t max = c->max_plain ? c->max_plain : SCP03T_MAX_PLAIN_DEFAULT;
    if (t->len > 8 && c->plain.len + t->len - 8 > max)
        return rsp_diag_set(diag, RSP_ERR_OVERFLOW, "profile package exceeds %zu bytes", max);
    uint32_t ctr = c->s.counter + 1;
    rsp_err e = k->mac ? RSP_OK : rsp_scp03i_keys_open(k, c->s.s_enc, c->s.s_mac, c->s.keylen);
    if (!e)
        e = rsp_scp03i_seg_unprotect(k, c->s.mcv, ctr, (c->s.sl & RSP_SCP03_SL_CENC) != 0, t->raw,
                                     t->raw_len - t->len, t->len, &c->plain, diag);
    if (!e) {
        c->s.counter = ctr;
        c->segments++;
    }
    return e;
}

static rsp_err card_process(rsp_scp03t_card *c, rsp_scp03i_keys *k, const uint8_t *in, size_t len, rsp_buf *resp,
                            rsp_diag *diag)
{
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, in, len, 0);
    for (;;) {
        rsp_tlv t;
        rsp_err e = rsp_tlv_next(&r, &t);
        if (e == RSP_ERR_END)
            return RSP_OK;
        if (e) {
            if (diag && diag->err == RSP_OK)
                *diag = r.diag;
            return fail(c, resp, RSP_SCP03T_ERR_FORMAT, e, r.diag.offset, diag);
        }
        if (t.tag == RSP_SCP03T_TAG_INIT && c->state == RSP_SCP03T_IDLE)
            e = card_init(c, &t, resp, diag);
        else if (t.tag == RSP_SCP03T_TAG_AUTH && c->state == RSP_SCP03T_INIT)
            e = card_auth(c, &t, diag);
        else if (t.tag == RSP_SCP03T_TAG_DATA && c->state == RSP_SCP03T_OPEN)
            e = card_data(c, k, &t, diag);
        else if (t.tag == RSP_SCP03T_TAG_INIT || t.tag == RSP_SCP03T_TAG_AUTH || t.tag == RSP_SCP03T_TAG_DATA)
            e = rsp_diag_set(diag, RSP_ERR_STATE, "tag %02X not allowed in state %d", (unsigned)t.tag, c->state);
        else
            e = rsp_diag_set(diag, RSP_ERR_TAG, "unexpected tag %X", (unsigned)t.tag);
        if (e) {
            uint8_t code = e == RSP_ERR_FORMAT && t.tag == RSP_SCP03T_TAG_DATA ? RSP_SCP03T_ERR_DECRYPT : code_of(e);
            return fail(c, resp, code, e, t.offset, diag);
        }
        if (c->state == RSP_SCP03T_IDLE)
            c->state = RSP_SCP03T_INIT;
        else if (c->state == RSP_SCP03T_INIT && t.tag == RSP_SCP03T_TAG_AUTH)
            c->state = RSP_SCP03T_OPEN;
    }
}

rsp_err rsp_scp03t_card_process(rsp_scp03t_card *c, const uint8_t *in, size_t len, rsp_buf *resp, rsp_diag *diag)
{
    if (!c || !resp || (!in && len))
        return RSP_ERR_INVAL;
    if (c->state == RSP_SCP03T_FAILED)
        return fail(c, resp, RSP_SCP03T_ERR_SEQUENCE, RSP_ERR_STATE, 0, diag);
    rsp_scp03i_keys k = {NULL, NULL};
    rsp_err e = card_process(c, &k, in, len, resp, diag);
    rsp_scp03i_keys_close(&k);
    return e;
}
