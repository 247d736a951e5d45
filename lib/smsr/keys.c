/* ISD-R keys at rest: the SCP80 KIc || KID (32 bytes) and the SCP81 PSK (16 bytes). With a master key
 * (config: 16 or 32 bytes, from a file or the environment, see docs/modules/smsr.md) the store holds
 *   4B 31 || IV (16) || AES-CBC(Kenc, IV, KIc || KID) (32) || CMAC(Kmac, EID || KVN || 4B31 || IV || CT) (16)
 *   4B 32 || IV (16) || AES-CBC(Kenc, IV, PSK) (16)       || CMAC(Kmac, EID || KVN || 4B32 || IV || CT) (16)
 * with Kenc / Kmac derived from the master key by the CMAC counter KDF (labels "smsr-keys-enc" /
 * "smsr-keys-mac", once per engine: smsr_keys_init): encrypt-then-MAC, bound to the card and key version so a blob cannot be moved
 * to another card (nor a PSK blob read as SCP80 keys: the header is under the MAC). Without a
 * master key the blob is the keys in clear (tests, labs). Clear key material lives only in caller
 * buffers that are wiped after use. */
#include <stdio.h>
#include <string.h>

#include "rsp/crypto.h"
#include "smsr_int.h"

/* n: 32 (SCP80 KIc || KID, header 4B31) or 16 (SCP81 PSK, header 4B32) */
static size_t blob_len(size_t n)
{
    return 2 + 16 + n + 16;
}

rsp_err smsr_keys_init(rsp_smsr *e)
{
    static const char enc[] = "smsr-keys-enc", mac[] = "smsr-keys-mac";
    if (!e->cfg.master_key)
        return RSP_OK;
    rsp_err err = rsp_kdf_ctr_cmac(e->cfg.master_key, e->cfg.master_key_len, (const uint8_t *)enc, sizeof(enc) - 1,
                                   NULL, 0, e->kenc, 32);
    return err ? err
               : rsp_kdf_ctr_cmac(e->cfg.master_key, e->cfg.master_key_len, (const uint8_t *)mac, sizeof(mac) - 1,
                                  NULL, 0, e->kmac, 32);
}

static rsp_err tag_of(const uint8_t kmac[32], const char *eid, uint8_t kvn, const uint8_t *hdr_iv_ct, size_t n,
                      uint8_t out[16])
{
    rsp_bytes parts[3] = {{(const uint8_t *)eid, strlen(eid)}, {&kvn, 1}, {hdr_iv_ct, 2 + 16 + n}};
    return rsp_aes_cmac_parts(kmac, 32, parts, 3, out);
}

static rsp_err seal(const rsp_smsr *e, const char *eid, uint8_t kvn, const uint8_t *clear, size_t n, rsp_buf *out)
{
    if (!e->cfg.master_key)
        return rsp_buf_set(out, clear, n);
    uint8_t b[2 + 16 + 32 + 16];
    b[0] = 0x4B;
    b[1] = n == 32 ? 0x31 : 0x32;
    rsp_err err = rsp_random(b + 2, 16);
    if (err == RSP_OK)
        err = rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, true, e->kenc, 32, b + 2, clear, n, b + 18);
    if (err == RSP_OK)
        err = tag_of(e->kmac, eid, kvn, b, n, b + 18 + n);
    if (err == RSP_OK)
        err = rsp_buf_set(out, b, blob_len(n));
    return err;
}

rsp_err smsr_keys_seal(const rsp_smsr *e, const char *eid, uint8_t kvn, const uint8_t clear[32], rsp_buf *out)
{
    return seal(e, eid, kvn, clear, 32, out);
}

rsp_err smsr_psk_seal(const rsp_smsr *e, const char *eid, uint8_t kvn, const uint8_t psk[16], rsp_buf *out)
{
    return seal(e, eid, kvn, psk, 16, out);
}

static rsp_err open_blob(const rsp_smsr *e, const char *eid, uint8_t kvn, const rsp_buf *blob, uint8_t *clear,
                         size_t n)
{
    if (!e->cfg.master_key) {
        if (blob->len != n)
            return RSP_ERR_FORMAT; /* sealed keys need the master key */
        memcpy(clear, blob->data, n);
        return RSP_OK;
    }
    if (blob->len != blob_len(n) || blob->data[0] != 0x4B || blob->data[1] != (n == 32 ? 0x31 : 0x32))
        return RSP_ERR_FORMAT; /* clear keys are refused once a master key is configured */
    uint8_t tag[16];
    rsp_err err = tag_of(e->kmac, eid, kvn, blob->data, n, tag);
    uint8_t diff = 0;
    for (int i = 0; err == RSP_OK && i < 16; i++)
        diff |= (uint8_t)(tag[i] ^ blob->data[18 + n + i]);
    if (err == RSP_OK && diff)
        err = RSP_ERR_VERIFY; /* wrong master key, or a blob of another card */
    if (err == RSP_OK)
        err = rsp_cipher(RSP_CIPHER_AES, RSP_MODE_CBC, false, e->kenc, 32, blob->data + 2, blob->data + 18, n, clear);
    return err;
}

rsp_err smsr_keys_open(const rsp_smsr *e, const char *eid, uint8_t kvn, const rsp_buf *blob, uint8_t clear[32])
{
    return open_blob(e, eid, kvn, blob, clear, 32);
}

rsp_err smsr_psk_open(const rsp_smsr *e, const char *eid, uint8_t kvn, const rsp_buf *blob, uint8_t psk[16])
{
    return open_blob(e, eid, kvn, blob, psk, 16);
}

rsp_err smsr_psk_get(rsp_smsr *e, const char *eid, uint8_t kvn, uint8_t psk[16])
{
    if (kvn < 0x40 || kvn > 0x4F)
        return RSP_ERR_RANGE; /* SCP81 key versions only: an SCP80 key set is never a PSK */
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    rsp_err err = rsp_store_keyset_get(e->st, eid, kvn, &ks);
    if (err == RSP_OK)
        err = smsr_psk_open(e, eid, kvn, &ks.keys, psk);
    rsp_store_keyset_clear(&ks);
    return err;
}

rsp_err smsr_psk_put(rsp_smsr *e, const char *eid, uint8_t kvn, const uint8_t psk[16])
{
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    if (kvn < 0x40 || kvn > 0x4F || strlen(eid) >= sizeof(ks.eid))
        return RSP_ERR_RANGE;
    snprintf(ks.eid, sizeof(ks.eid), "%s", eid);
    ks.kvn = kvn;
    ks.type = 0x81; /* SCP81 PSK */
    rsp_err err = smsr_psk_seal(e, eid, kvn, psk, &ks.keys);
    if (err == RSP_OK)
        err = rsp_store_keyset_put(e->st, &ks);
    rsp_store_keyset_clear(&ks);
    return err;
}

rsp_err smsr_keys_get(rsp_smsr *e, const char *eid, uint8_t clear[32])
{
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    rsp_err err = rsp_store_keyset_get(e->st, eid, e->cfg.kvn, &ks);
    if (err == RSP_OK)
        err = smsr_keys_open(e, eid, e->cfg.kvn, &ks.keys, clear);
    rsp_store_keyset_clear(&ks);
    return err;
}
