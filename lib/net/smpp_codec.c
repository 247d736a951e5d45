/* Strict SMPP 3.4 PDU codec. Every C-octet string must end within its maximum size and within the
 * PDU; command_length must match exactly; trailing bytes must be well-formed TLVs. */
#include <string.h>

#include "rsp/smpp.h"

#define TLV_RECEIPTED_MESSAGE_ID 0x001E
#define TLV_MESSAGE_STATE 0x0427

typedef struct rd {
    const uint8_t *p;
    size_t len, off;
    rsp_diag *d;
} rd;

static rsp_err get_u8(rd *r, uint8_t *v, const char *what)
{
    if (r->off >= r->len)
        return rsp_diag_set_at(r->d, RSP_ERR_TRUNCATED, r->off, "PDU ends before %s", what);
    *v = r->p[r->off++];
    return RSP_OK;
}

/* A C-octet string of at most max bytes including its NUL. */
static rsp_err get_cstr(rd *r, char *out, size_t max, const char *what)
{
    for (size_t i = 0; i < max; i++) {
        if (r->off + i >= r->len)
            return rsp_diag_set_at(r->d, RSP_ERR_TRUNCATED, r->off, "PDU ends inside %s", what);
        uint8_t c = r->p[r->off + i];
        out[i] = (char)c;
        if (c == 0) {
            r->off += i + 1;
            return RSP_OK;
        }
    }
    out[0] = 0;
    return rsp_diag_set_at(r->d, RSP_ERR_LENGTH, r->off, "%s longer than %zu bytes", what, max - 1);
}

/* Optional TLVs. The receipt TLVs (message_state, receipted_message_id) are kept only where the
 * encoder writes them back (submit_sm/deliver_sm); elsewhere, e.g. in a bind response, they are
 * framing-checked and skipped, so decode and encode agree on what a PDU holds. */
static rsp_err get_tlvs(rd *r, rsp_smpp_pdu *out, bool receipt)
{
    while (r->off < r->len) {
        if (r->len - r->off < 4)
            return rsp_diag_set_at(r->d, RSP_ERR_TRUNCATED, r->off, "truncated TLV header");
        uint16_t tag = rsp_be16(r->p + r->off), l = rsp_be16(r->p + r->off + 2);
        size_t v = r->off + 4;
        if (l > r->len - v)
            return rsp_diag_set_at(r->d, RSP_ERR_LENGTH, r->off, "TLV %04X length %u overruns the PDU", tag, l);
        if (!receipt) {
            /* skipped */
        } else if (tag == TLV_MESSAGE_STATE) {
            if (l != 1)
                return rsp_diag_set_at(r->d, RSP_ERR_LENGTH, r->off, "message_state TLV length %u", l);
            out->message_state = r->p[v];
        } else if (tag == TLV_RECEIPTED_MESSAGE_ID) {
            if (l == 0 || l > sizeof(out->receipted_message_id) || r->p[v + l - 1] != 0 ||
                memchr(r->p + v, 0, l) != r->p + v + l - 1)
                return rsp_diag_set_at(r->d, RSP_ERR_FORMAT, r->off, "bad receipted_message_id TLV");
            memcpy(out->receipted_message_id, r->p + v, l);
        }
        r->off = v + l;
    }
    return RSP_OK;
}

static rsp_err get_end(rd *r)
{
    if (r->off != r->len)
        return rsp_diag_set_at(r->d, RSP_ERR_LENGTH, r->off, "%zu unexpected trailing bytes", r->len - r->off);
    return RSP_OK;
}

void rsp_smpp_pdu_init(rsp_smpp_pdu *p, uint32_t command_id, uint32_t sequence)
{
    memset(p, 0, sizeof(*p));
    p->command_id = command_id;
    p->sequence = sequence;
    p->message_state = -1;
}

rsp_err rsp_smpp_frame(const uint8_t *p, size_t avail, size_t *need, rsp_diag *diag)
{
    if (avail < 4)
        return RSP_ERR_TRUNCATED;
    uint32_t n = rsp_be32(p);
    if (n < 16 || n > RSP_SMPP_MAX_PDU)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, 0, "command_length %u outside 16..%u", n, RSP_SMPP_MAX_PDU);
    *need = n;
    return RSP_OK;
}

static rsp_err decode_sm(rd *r, rsp_smpp_pdu *o)
{
    rsp_err e;
    if ((e = get_cstr(r, o->service_type, sizeof(o->service_type), "service_type")) ||
        (e = get_u8(r, &o->src_ton, "source_addr_ton")) || (e = get_u8(r, &o->src_npi, "source_addr_npi")) ||
        (e = get_cstr(r, o->source_addr, sizeof(o->source_addr), "source_addr")) ||
        (e = get_u8(r, &o->dst_ton, "dest_addr_ton")) || (e = get_u8(r, &o->dst_npi, "dest_addr_npi")) ||
        (e = get_cstr(r, o->dest_addr, sizeof(o->dest_addr), "destination_addr")) ||
        (e = get_u8(r, &o->esm_class, "esm_class")) || (e = get_u8(r, &o->protocol_id, "protocol_id")) ||
        (e = get_u8(r, &o->priority_flag, "priority_flag")) ||
        (e = get_cstr(r, o->schedule_delivery_time, sizeof(o->schedule_delivery_time), "schedule_delivery_time")) ||
        (e = get_cstr(r, o->validity_period, sizeof(o->validity_period), "validity_period")) ||
        (e = get_u8(r, &o->registered_delivery, "registered_delivery")) ||
        (e = get_u8(r, &o->replace_if_present, "replace_if_present_flag")) ||
        (e = get_u8(r, &o->data_coding, "data_coding")) ||
        (e = get_u8(r, &o->sm_default_msg_id, "sm_default_msg_id")) || (e = get_u8(r, &o->sm_length, "sm_length")))
        return e;
    if (o->sm_length > RSP_SMPP_MAX_SM)
        return rsp_diag_set_at(r->d, RSP_ERR_LENGTH, r->off - 1, "sm_length %u > %u", o->sm_length, RSP_SMPP_MAX_SM);
    if (o->sm_length > r->len - r->off)
        return rsp_diag_set_at(r->d, RSP_ERR_TRUNCATED, r->off, "short_message overruns the PDU");
    memcpy(o->short_message, r->p + r->off, o->sm_length);
    r->off += o->sm_length;
    return get_tlvs(r, o, true);
}

rsp_err rsp_smpp_decode(const uint8_t *p, size_t len, rsp_smpp_pdu *o, rsp_diag *diag)
{
    size_t need = 0;
    rsp_err e;
    rsp_smpp_pdu_init(o, 0, 0);
    if (!p || len < 16)
        return rsp_diag_set_at(diag, RSP_ERR_TRUNCATED, 0, "PDU shorter than its 16-byte header");
    if ((e = rsp_smpp_frame(p, len, &need, diag)) != RSP_OK)
        return e;
    if (need != len)
        return rsp_diag_set_at(diag, RSP_ERR_LENGTH, 0, "command_length %zu but %zu bytes", need, len);
    o->command_id = rsp_be32(p + 4);
    o->command_status = rsp_be32(p + 8);
    o->sequence = rsp_be32(p + 12);
    rd r = {p, len, 16, diag};
    switch (o->command_id) {
    case RSP_SMPP_BIND_RECEIVER:
    case RSP_SMPP_BIND_TRANSMITTER:
    case RSP_SMPP_BIND_TRANSCEIVER:
        if ((e = get_cstr(&r, o->system_id, sizeof(o->system_id), "system_id")) ||
            (e = get_cstr(&r, o->password, sizeof(o->password), "password")) ||
            (e = get_cstr(&r, o->system_type, sizeof(o->system_type), "system_type")) ||
            (e = get_u8(&r, &o->interface_version, "interface_version")) ||
            (e = get_u8(&r, &o->addr_ton, "addr_ton")) || (e = get_u8(&r, &o->addr_npi, "addr_npi")) ||
            (e = get_cstr(&r, o->address_range, sizeof(o->address_range), "address_range")))
            return e;
        return get_end(&r);
    case RSP_SMPP_BIND_RECEIVER | RSP_SMPP_RESP:
    case RSP_SMPP_BIND_TRANSMITTER | RSP_SMPP_RESP:
    case RSP_SMPP_BIND_TRANSCEIVER | RSP_SMPP_RESP:
        /* An error response may omit the body. */
        if (r.off == r.len && o->command_status != 0)
            return RSP_OK;
        if ((e = get_cstr(&r, o->system_id, sizeof(o->system_id), "system_id")))
            return e;
        return get_tlvs(&r, o, false);
    case RSP_SMPP_SUBMIT_SM:
    case RSP_SMPP_DELIVER_SM:
        return decode_sm(&r, o);
    case RSP_SMPP_SUBMIT_SM | RSP_SMPP_RESP:
    case RSP_SMPP_DELIVER_SM | RSP_SMPP_RESP:
        if (r.off == r.len && o->command_status != 0)
            return RSP_OK;
        if ((e = get_cstr(&r, o->message_id, sizeof(o->message_id), "message_id")))
            return e;
        return get_end(&r);
    case RSP_SMPP_ENQUIRE_LINK:
    case RSP_SMPP_ENQUIRE_LINK | RSP_SMPP_RESP:
    case RSP_SMPP_UNBIND:
    case RSP_SMPP_UNBIND | RSP_SMPP_RESP:
    case RSP_SMPP_GENERIC_NACK:
        return get_end(&r);
    default:
        return rsp_diag_set_at(diag, RSP_ERR_UNSUPPORTED, 4, "command_id %08X not supported", o->command_id);
    }
}

static rsp_err put_cstr(rsp_buf *b, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    if (n >= max)
        return RSP_ERR_RANGE;
    return rsp_buf_append(b, s, n + 1);
}

#define PUT(x) do { if ((e = (x)) != RSP_OK) goto fail; } while (0)

rsp_err rsp_smpp_encode(const rsp_smpp_pdu *o, rsp_buf *b)
{
    rsp_err e;
    size_t start = b->len;
    PUT(rsp_buf_append_u32(b, 0));
    PUT(rsp_buf_append_u32(b, o->command_id));
    PUT(rsp_buf_append_u32(b, o->command_status));
    PUT(rsp_buf_append_u32(b, o->sequence));
    switch (o->command_id) {
    case RSP_SMPP_BIND_RECEIVER:
    case RSP_SMPP_BIND_TRANSMITTER:
    case RSP_SMPP_BIND_TRANSCEIVER:
        PUT(put_cstr(b, o->system_id, sizeof(o->system_id)));
        PUT(put_cstr(b, o->password, sizeof(o->password)));
        PUT(put_cstr(b, o->system_type, sizeof(o->system_type)));
        PUT(rsp_buf_append_byte(b, o->interface_version ? o->interface_version : 0x34));
        PUT(rsp_buf_append_byte(b, o->addr_ton));
        PUT(rsp_buf_append_byte(b, o->addr_npi));
        PUT(put_cstr(b, o->address_range, sizeof(o->address_range)));
        break;
    case RSP_SMPP_BIND_RECEIVER | RSP_SMPP_RESP:
    case RSP_SMPP_BIND_TRANSMITTER | RSP_SMPP_RESP:
    case RSP_SMPP_BIND_TRANSCEIVER | RSP_SMPP_RESP:
        PUT(put_cstr(b, o->system_id, sizeof(o->system_id)));
        break;
    case RSP_SMPP_SUBMIT_SM:
    case RSP_SMPP_DELIVER_SM:
        if (o->sm_length > RSP_SMPP_MAX_SM) {
            e = RSP_ERR_RANGE;
            goto fail;
        }
        PUT(put_cstr(b, o->service_type, sizeof(o->service_type)));
        PUT(rsp_buf_append_byte(b, o->src_ton));
        PUT(rsp_buf_append_byte(b, o->src_npi));
        PUT(put_cstr(b, o->source_addr, sizeof(o->source_addr)));
        PUT(rsp_buf_append_byte(b, o->dst_ton));
        PUT(rsp_buf_append_byte(b, o->dst_npi));
        PUT(put_cstr(b, o->dest_addr, sizeof(o->dest_addr)));
        PUT(rsp_buf_append_byte(b, o->esm_class));
        PUT(rsp_buf_append_byte(b, o->protocol_id));
        PUT(rsp_buf_append_byte(b, o->priority_flag));
        PUT(put_cstr(b, o->schedule_delivery_time, sizeof(o->schedule_delivery_time)));
        PUT(put_cstr(b, o->validity_period, sizeof(o->validity_period)));
        PUT(rsp_buf_append_byte(b, o->registered_delivery));
        PUT(rsp_buf_append_byte(b, o->replace_if_present));
        PUT(rsp_buf_append_byte(b, o->data_coding));
        PUT(rsp_buf_append_byte(b, o->sm_default_msg_id));
        PUT(rsp_buf_append_byte(b, o->sm_length));
        PUT(rsp_buf_append(b, o->short_message, o->sm_length));
        if (o->receipted_message_id[0]) {
            size_t n = strnlen(o->receipted_message_id, sizeof(o->receipted_message_id));
            if (n >= sizeof(o->receipted_message_id)) {
                e = RSP_ERR_RANGE;
                goto fail;
            }
            PUT(rsp_buf_append_u16(b, TLV_RECEIPTED_MESSAGE_ID));
            PUT(rsp_buf_append_u16(b, (uint16_t)(n + 1)));
            PUT(rsp_buf_append(b, o->receipted_message_id, n + 1));
        }
        if (o->message_state >= 0) {
            PUT(rsp_buf_append_u16(b, TLV_MESSAGE_STATE));
            PUT(rsp_buf_append_u16(b, 1));
            PUT(rsp_buf_append_byte(b, (uint8_t)o->message_state));
        }
        break;
    case RSP_SMPP_SUBMIT_SM | RSP_SMPP_RESP:
    case RSP_SMPP_DELIVER_SM | RSP_SMPP_RESP:
        PUT(put_cstr(b, o->message_id, sizeof(o->message_id)));
        break;
    case RSP_SMPP_ENQUIRE_LINK:
    case RSP_SMPP_ENQUIRE_LINK | RSP_SMPP_RESP:
    case RSP_SMPP_UNBIND:
    case RSP_SMPP_UNBIND | RSP_SMPP_RESP:
    case RSP_SMPP_GENERIC_NACK:
        break;
    default:
        e = RSP_ERR_UNSUPPORTED;
        goto fail;
    }
    rsp_put_be32(b->data + start, (uint32_t)(b->len - start));
    return RSP_OK;
fail:
    b->len = start;
    return e;
}

const char *rsp_smpp_command_name(uint32_t id)
{
    switch (id) {
    case RSP_SMPP_GENERIC_NACK: return "generic_nack";
    case RSP_SMPP_BIND_RECEIVER: return "bind_receiver";
    case RSP_SMPP_BIND_TRANSMITTER: return "bind_transmitter";
    case RSP_SMPP_BIND_TRANSCEIVER: return "bind_transceiver";
    case RSP_SMPP_BIND_RECEIVER | RSP_SMPP_RESP: return "bind_receiver_resp";
    case RSP_SMPP_BIND_TRANSMITTER | RSP_SMPP_RESP: return "bind_transmitter_resp";
    case RSP_SMPP_BIND_TRANSCEIVER | RSP_SMPP_RESP: return "bind_transceiver_resp";
    case RSP_SMPP_SUBMIT_SM: return "submit_sm";
    case RSP_SMPP_SUBMIT_SM | RSP_SMPP_RESP: return "submit_sm_resp";
    case RSP_SMPP_DELIVER_SM: return "deliver_sm";
    case RSP_SMPP_DELIVER_SM | RSP_SMPP_RESP: return "deliver_sm_resp";
    case RSP_SMPP_UNBIND: return "unbind";
    case RSP_SMPP_UNBIND | RSP_SMPP_RESP: return "unbind_resp";
    case RSP_SMPP_ENQUIRE_LINK: return "enquire_link";
    case RSP_SMPP_ENQUIRE_LINK | RSP_SMPP_RESP: return "enquire_link_resp";
    default: return "unknown";
    }
}
