/* SGP.22 BSP over the shared SCP03 segment construction. See include/rsp/bsp.h. */
#include <string.h>

#include "rsp/bsp.h"
#include "rsp/crypto.h"
#include "rsp/tlv.h"
#include "scp03_prim.h"

void rsp_bsp_init(rsp_bsp *b, const uint8_t s_enc[16], const uint8_t s_mac[16], const uint8_t mcv[16])
{
    memcpy(b->s_enc, s_enc, 16);
    memcpy(b->s_mac, s_mac, 16);
    memcpy(b->mcv, mcv, 16);
    b->counter = 0;
}

void rsp_bsp_close(rsp_bsp *b)
{
    if (b)
        rsp_wipe(b, sizeof(*b));
}

rsp_err rsp_bsp_derive(rsp_bsp *b, const uint8_t *shs, size_t shs_len, const uint8_t *host_id, size_t host_id_len,
                       const uint8_t *eid, size_t eid_len)
{
    if (!b || !shs || host_id_len > 127 || eid_len > 127 || (host_id_len && !host_id) || (eid_len && !eid))
        return RSP_ERR_INVAL;
    uint8_t si[4 + 127 + 127];
    size_t n = 0;
    si[n++] = 0x88; /* key type AES */
    si[n++] = 0x10; /* key length 16 */
    si[n++] = (uint8_t)host_id_len;
    if (host_id_len)
        memcpy(si + n, host_id, host_id_len);
    n += host_id_len;
    si[n++] = (uint8_t)eid_len;
    if (eid_len)
        memcpy(si + n, eid, eid_len);
    n += eid_len;
    uint8_t kd[48];
    rsp_err e = rsp_kdf_x963_sha256(shs, shs_len, si, n, kd, sizeof(kd));
    if (!e)
        rsp_bsp_init(b, kd + 16, kd + 32, kd);
    rsp_wipe(kd, sizeof(kd));
    return e;
}

static bool tag_ok(uint8_t tag)
{
    return tag == RSP_BSP_TAG_PPK || tag == RSP_BSP_TAG_ENC || tag == RSP_BSP_TAG_MAC;
}

static rsp_err protect_keyed(rsp_bsp *b, const rsp_scp03i_keys *k, uint8_t tag, const uint8_t *data, size_t len,
                             rsp_buf *out)
{
    if (!b || !out || (!data && len) || !tag_ok(tag))
        return RSP_ERR_INVAL;
    /* The counter moves for MAC-only segments too (§D: the 88 segment sits between two 87s). */
    rsp_err e = rsp_scp03i_seg_protect(k, b->mcv, b->counter + 1, tag, tag != RSP_BSP_TAG_MAC, data, len, out);
    if (!e)
        b->counter++;
    return e;
}

rsp_err rsp_bsp_protect(rsp_bsp *b, uint8_t tag, const uint8_t *data, size_t len, rsp_buf *out)
{
    if (!b)
        return RSP_ERR_INVAL;
    rsp_scp03i_keys k;
    rsp_err e = rsp_scp03i_keys_open(&k, b->s_enc, b->s_mac, 16);
    if (!e)
        e = protect_keyed(b, &k, tag, data, len, out);
    rsp_scp03i_keys_close(&k);
    return e;
}

rsp_err rsp_bsp_protect_all(rsp_bsp *b, uint8_t tag, const uint8_t *data, size_t len, size_t chunk, rsp_buf *out)
{
    if (!b || chunk == 0)
        return RSP_ERR_INVAL;
    rsp_scp03i_keys k;
    rsp_err e = rsp_scp03i_keys_open(&k, b->s_enc, b->s_mac, 16);
    size_t off = 0;
    while (!e) {
        size_t n = len - off < chunk ? len - off : chunk;
        e = protect_keyed(b, &k, tag, data ? data + off : NULL, n, out);
        off += n;
        if (off >= len)
            break;
    }
    rsp_scp03i_keys_close(&k);
    return e;
}

rsp_err rsp_bsp_unprotect(rsp_bsp *b, const uint8_t *in, size_t len, size_t *consumed, rsp_buf *out,
                          rsp_diag *diag)
{
    if (!b || !out || (!in && len))
        return RSP_ERR_INVAL;
    rsp_tlv t;
    rsp_err e = rsp_tlv_parse(in, len, 0, &t, diag);
    if (e)
        return e;
    if (t.tag_len != 1 || !tag_ok((uint8_t)t.tag))
        return rsp_diag_set_at(diag, RSP_ERR_TAG, 0, "tag %X is not a BSP segment (86, 87, 88)", (unsigned)t.tag);
    rsp_scp03i_keys k;
    e = rsp_scp03i_keys_open(&k, b->s_enc, b->s_mac, 16);
    if (!e)
        e = rsp_scp03i_seg_unprotect(&k, b->mcv, b->counter + 1, t.tag != RSP_BSP_TAG_MAC, t.raw, t.raw_len - t.len,
                                     t.len, out, diag);
    rsp_scp03i_keys_close(&k);
    if (e)
        return e;
    b->counter++;
    if (consumed)
        *consumed = t.raw_len;
    return RSP_OK;
}
