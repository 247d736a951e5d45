/* The ISD-R commands of the SM-SR change and how they travel (docs/modules/smsr_change.md).
 *
 * EstablishISDRKeySet (3A01, 3A02), the SM-SR addressing (3A07) and FinaliseISDRhandover (DELETE
 * F2) are engine operations of the ES3.SendData rows (table.c F_DL): INSTALL [for personalization] of
 * the ISD-R's own AID, then the command, in one SMS script; the card's answer data is kept in the
 * operation's result (es3_dl.c), so a replay of the same (requester, FCID) answers from the store after
 * any crash. The sender runs 3A01/3A02 under its keys for the receiver; the receiver runs 3A07 and the
 * DELETE under the new keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card/es8_encoding.h"
#include "rsp/es_types.h"
#include "rsp/ids.h"
#include "rsp/tlv.h"
#include "smsr_change.h"

rsp_err smsr_chg_delete_apdu(uint8_t old80, uint8_t old81, rsp_buf *out)
{
    if (!old80)
        return RSP_ERR_INVAL;
    /* keys 1-3 of the SCP80 set (KIc, KID, KIK), 1-2 of the SCP81 set (SGP02.md, the W sample) */
    uint8_t a[5 + 10] = {0x80, 0xE4, 0x00, 0x00, 5, 0xF2, 0x03, old80, 0x01, 0x03};
    size_t n = 10;
    if (old81) {
        const uint8_t s81[5] = {0xF2, 0x03, old81, 0x01, 0x02};
        memcpy(a + n, s81, 5);
        n += 5;
        a[4] = 10;
    }
    return rsp_buf_append(out, a, n);
}

rsp_err smsr_chg_addr_apdu(const char *msisdn, rsp_buf *out)
{
    uint8_t bcd[12], v[32];
    size_t bl = 0;
    if (!msisdn || !*msisdn || rsp_bcd_swap_encode(msisdn, bcd, sizeof(bcd), &bl) != RSP_OK || bl > 10)
        return RSP_ERR_INVAL;
    /* A3 { 81 L 91 <BCD> } */
    size_t n = 0;
    v[n++] = 0xA3;
    v[n++] = (uint8_t)(bl + 3);
    v[n++] = 0x81;
    v[n++] = (uint8_t)(bl + 1);
    v[n++] = 0x91;
    memcpy(v + n, bcd, bl);
    n += bl;
    rsp_buf d = RSP_BUF_INIT;
    rsp_err err = rsp_keyest_dgi_put(&d, 0x3A07, v, n);
    const uint8_t hdr[5] = {0x80, 0xE2, 0x88, 0x00, (uint8_t)d.len};
    if (err == RSP_OK)
        err = rsp_buf_append(out, hdr, 5);
    if (err == RSP_OK)
        err = rsp_buf_append(out, d.data, d.len);
    rsp_buf_free(&d);
    return err;
}

/* The receiver's CRT (lib/card's one builder, what rsp_keyest_host_keyagree_apdu signs with smsr set):
 * A6 {90 02 03 opts, 95 01 10, 96 01 00, 80 01 88, 81 01 10, 82 01 01, 83 01 KVN, 91 00}. */
static rsp_err crt_of(uint8_t opts, uint8_t kvn, rsp_buf *out)
{
    rsp_keyest_params p;
    memset(&p, 0, sizeof(p));
    p.options = opts;
    p.key_len = 16;
    p.kvn = kvn;
    p.smsr = true;
    return rsp_keyest_crt_build(&p, out);
}

rsp_err smsr_chg_keyset_apdu(const rsp_es_key_req *q, rsp_buf *out)
{
    /* only what our receiver sends: scenario options without HostID, AES-128, the raw point, r||s;
     * anything else is refused rather than rebuilt differently from what was signed */
    if (!q || q->scenario_parameter.len != 1 || !q->scenario_parameter.data[0] ||
        (q->scenario_parameter.data[0] & RSP_ES8_OPT_HOSTID) ||
        q->host_id.len || q->key_version_number < 1 || q->key_version_number > 0x0F || q->initial_sequence_counter != 0 ||
        q->ephemeral_public_key.len != 65 || q->ephemeral_public_key.data[0] != 0x04 || q->signature.len != 64)
        return RSP_ERR_FORMAT;
    rsp_buf crt = RSP_BUF_INIT, d = RSP_BUF_INIT;
    rsp_err e = crt_of(q->scenario_parameter.data[0], (uint8_t)q->key_version_number, &crt);
    if (!e) e = rsp_keyest_dgi_put(&d, RSP_ES8_DGI_KEYAGREE, crt.data, crt.len);
    if (!e) e = rsp_tlv_put(&d, RSP_ES8_TAG_EPK, q->ephemeral_public_key.data, q->ephemeral_public_key.len);
    if (!e) e = rsp_tlv_put(&d, RSP_ES8_TAG_SIG, q->signature.data, q->signature.len);
    if (!e && d.len > 255)
        e = RSP_ERR_LENGTH;
    const uint8_t hdr[5] = {0x80, 0xE2, RSP_ES8_SD_P1_KEYAGREE, RSP_ES8_SD_P2_KEYAGREE, (uint8_t)d.len};
    if (!e) e = rsp_buf_append(out, hdr, 5);
    if (!e) e = rsp_buf_append(out, d.data, d.len);
    rsp_buf_free(&crt);
    rsp_buf_free(&d);
    return e;
}

rsp_err smsr_chg_keyset_fields(const uint8_t *apdu, size_t len, rsp_es_key_req *q)
{
    uint16_t dgi;
    size_t hdr, vlen;
    if (len < 8 || apdu[4] != len - 5 || rsp_keyest_dgi_parse(apdu + 5, len - 5, &dgi, &hdr, &vlen, NULL) != RSP_OK ||
        dgi != RSP_ES8_DGI_KEYAGREE)
        return RSP_ERR_FORMAT;
    const uint8_t *p = apdu + 5 + hdr, *end = apdu + len;
    rsp_tlv a6, epk, sig;
    if (rsp_tlv_expect(p, vlen, RSP_ES8_TAG_CRT, &a6, NULL) != RSP_OK)
        return RSP_ERR_FORMAT;
    const uint8_t *rest = p + vlen;
    if (rsp_tlv_parse(rest, (size_t)(end - rest), 0, &epk, NULL) != RSP_OK || epk.tag != RSP_ES8_TAG_EPK ||
        rsp_tlv_parse(rest + epk.raw_len, (size_t)(end - rest) - epk.raw_len, 0, &sig, NULL) != RSP_OK ||
        sig.tag != RSP_ES8_TAG_SIG)
        return RSP_ERR_FORMAT;
    /* lib/card's parser, then the sender's rebuild compared with what is signed: a CRT the sender would
     * not give back byte for byte is never relayed (the card would refuse the signature) */
    rsp_keyest_params kp;
    rsp_buf again = RSP_BUF_INIT;
    rsp_err e = rsp_keyest_crt_parse(a6.value, a6.len, &kp, NULL) == RSP_OK ? RSP_OK : RSP_ERR_FORMAT;
    if (!e && (!kp.smsr || kp.key_len != 16 || kp.host_id_len || kp.sdin_len))
        e = RSP_ERR_FORMAT;
    if (!e)
        e = crt_of(kp.options, kp.kvn, &again);
    if (!e && (again.len != a6.raw_len || memcmp(again.data, a6.raw, a6.raw_len) != 0))
        e = RSP_ERR_FORMAT;
    rsp_buf_free(&again);
    if (!e)
        e = rsp_buf_set(&q->scenario_parameter, &kp.options, 1);
    if (!e) {
        q->key_version_number = kp.kvn;
        q->initial_sequence_counter = 0;
        q->ecc_key_length = 256;
        e = rsp_buf_set(&q->ephemeral_public_key, epk.value, epk.len);
    }
    if (!e)
        e = rsp_buf_set(&q->signature, sig.value, sig.len);
    return e;
}

rsp_err smsr_chg_isdr_submit(rsp_smsr *e, const char *eid, const char *requester, const char *fcid,
                             const rsp_buf *apdu, int64_t now, int64_t *op_id)
{
    char aid[33], h[96];
    rsp_hex_encode_upper(RSP_AID_ISDR.b, RSP_AID_ISDR.len, aid, sizeof(aid));
    /* iccid=0: no profile is concerned (es3_dl.c's key establishment count looks at ISD-Ps only) */
    int n = snprintf(h, sizeof(h), "iccid=0;aid=%s;t=sms\n", aid);
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    if (n < 0 || (size_t)n >= sizeof(h) || strlen(eid) >= sizeof(op.eid) || strlen(requester) >= sizeof(op.requester) ||
        strlen(fcid) >= sizeof(op.fcid) || apdu->len > 260)
        return RSP_ERR_LENGTH;
    snprintf(op.eid, sizeof(op.eid), "%s", eid);
    snprintf(op.function, sizeof(op.function), "%s", rsp_smsr_fn_name(RSP_SMSR_FN_SEND_DATA));
    snprintf(op.requester, sizeof(op.requester), "%s", requester);
    snprintf(op.fcid, sizeof(op.fcid), "%s", fcid);
    op.created = op.next_attempt = now;
    op.deadline = now + 600; /* a card that does not answer in 10 minutes: the step is tried afresh */
    rsp_err err = rsp_buf_set(&op.script, h, (size_t)n);
    if (err == RSP_OK)
        err = rsp_buf_append(&op.script, apdu->data, apdu->len);
    bool replayed = false;
    if (err == RSP_OK)
        err = rsp_store_op_submit(e->st, &op, op_id, &replayed);
    rsp_store_op_clear(&op);
    return err;
}

int smsr_chg_isdr_result(rsp_smsr *e, int64_t op_id, rsp_buf *data, char msg[96])
{
    rsp_store_op op;
    memset(&op, 0, sizeof(op));
    msg[0] = 0;
    if (rsp_store_op_get(e->st, op_id, &op) != RSP_OK) {
        snprintf(msg, 96, "operation %lld not found", (long long)op_id);
        return -1;
    }
    int r = 0;
    rsp_smsr_result res;
    memset(&res, 0, sizeof(res));
    smsr_result_fill(&op, &res);
    if (op.state == RSP_STORE_OP_DONE) {
        r = 1;
        const uint8_t *nul = op.result.len ? memchr(op.result.data, 0, op.result.len) : NULL;
        if (data && nul && (size_t)(nul + 1 - op.result.data) < op.result.len &&
            rsp_buf_set(data, nul + 1, op.result.len - (size_t)(nul + 1 - op.result.data)) != RSP_OK)
            r = 0; /* asked again next time */
    } else if (op.state == RSP_STORE_OP_FAILED || op.state == RSP_STORE_OP_EXPIRED) {
        r = -1;
        snprintf(msg, 96, "%s", res.message[0] ? res.message : res.status);
    }
    rsp_store_op_clear(&op);
    return r;
}

rsp_err smsr_chg_keys_store(rsp_smsr *e, const char *eid, uint8_t kvn, uint8_t kvn81, const rsp_scp03_keys *k)
{
    if (k->len != 16)
        return RSP_ERR_UNSUPPORTED;
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    uint8_t clear[32];
    memcpy(clear, k->enc, 16);
    memcpy(clear + 16, k->mac, 16);
    snprintf(ks.eid, sizeof(ks.eid), "%s", eid);
    ks.kvn = kvn;
    rsp_err err = smsr_keys_seal(e, eid, kvn, clear, &ks.keys);
    if (err == RSP_OK)
        err = rsp_store_keyset_put(e->st, &ks);
    if (err == RSP_OK && kvn81)
        err = smsr_psk_put(e, eid, kvn81, k->dek);
    rsp_wipe(clear, sizeof(clear));
    rsp_store_keyset_clear(&ks);
    return err;
}

rsp_err smsr_chg_esk_put(rsp_smsr *e, const char *eid, const uint8_t d[32])
{
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    snprintf(ks.eid, sizeof(ks.eid), "%s", eid);
    ks.kvn = SMSR_CHG_ESK_KVN;
    ks.type = 0xEE; /* not a card key set: never used to build a packet */
    rsp_err err = smsr_keys_seal(e, eid, SMSR_CHG_ESK_KVN, d, &ks.keys);
    if (err == RSP_OK)
        err = rsp_store_keyset_put(e->st, &ks);
    rsp_store_keyset_clear(&ks);
    return err;
}

rsp_err smsr_chg_esk_get(rsp_smsr *e, const char *eid, uint8_t d[32])
{
    rsp_store_keyset ks;
    memset(&ks, 0, sizeof(ks));
    rsp_err err = rsp_store_keyset_get(e->st, eid, SMSR_CHG_ESK_KVN, &ks);
    if (err == RSP_OK)
        err = smsr_keys_open(e, eid, SMSR_CHG_ESK_KVN, &ks.keys, d);
    rsp_store_keyset_clear(&ks);
    return err;
}
