/* ES10b.LoadBoundProfilePackage on the consumer card: the pieces of SGP22.md §"Bound profile package",
 * each one complete ES10 command, in this order (one state table):
 *
 * | step (expects)   | piece                        | checks (bppCommandId / errorReason)                    | then          |
 * | START            | BF36 header + BF23           | 0: decodes (1), remoteOpId 1 (5), a prepared session   | A0            |
 * |                  |                              | with this tid (3), CRT 88/10 (4), smdpSign by PK.DPpb  |               |
 * |                  |                              | over tbs || 5F49 otPK.EUICC (2), otPK.DP a point (1);  |               |
 * |                  |                              | ECDH + X9.63 -> session keys                           |               |
 * | A0               | whole A0{87...}              | 1: segments (7), C-MAC (8), BF24 (1), room (10)        | A1            |
 * | A1               | A1 header                    | 2: structure (7)                                       | 88 until full |
 * | 88               | one 88                       | 2: C-MAC (8); when A1 is full: BF25 (1), ICCID free    | A2 or A3      |
 * |                  |                              | (9), class 0..2 (6), PPRs on operational only (15)     |               |
 * | A2 or A3         | whole A2{87...} or A3 header | 4: C-MAC (8), BF26 (1): PPKs, counter back to 1;       | A3 / 86       |
 * |                  |                              | 5: A3 ends the BF36 (7), fits the NVM (10)             |               |
 * | 86               | one 86                       | 5: C-MAC (8); after the last: SAIP walker (12),        | done          |
 * |                  |                              | header ICCID = metadata's (13), NAA keys (c22_naa.c:   |               |
 * |                  |                              | 14 on a test profile, 127 on any other), ICCID free    |               |
 * |                  |                              | (9), NVM (10)                                          |               |
 *
 * Answers: nothing (9000) to every piece but the last 86 and a failing one, which get the signed BF37.
 * Any piece out of order is scp03tStructureError (7) for the expected step's command. A segment is the
 * protected TLV itself (SGP.22, pysim's encoder today) or an element whose value is that TLV (the
 * older BPP of VECTORS §D): the MAC decides, see docs/ENCODINGS.md. The PIR (success or error) is
 * signed with SK.EUICC and stored in the notification list in the same transaction as the profile;
 * nothing else of a BPP is written before its last 86 checks out, and a failed one is wiped. The NVM
 * failing at any step (a read, or the commit itself) is installFailedDueToUnknownError (127): a signed
 * PIR all the same, kept nowhere, the transaction rolled back. */
#include <stdlib.h>
#include <string.h>

#include "c22_int.h"
#include "c22_naa.h"
#include "isdp_admit.h"
#include "rsp/ids.h"
#include "rsp/saip.h"
#include "rsp/tlv.h"

enum { ST_START, ST_A0, ST_A1, ST_88, ST_A2A3, ST_86 };

/* bppCommandId and ErrorReason (SGP22.md §ProfileInstallationResult). */
enum { CMD_ISC = 0, CMD_CONFIGURE = 1, CMD_METADATA = 2, CMD_RSK = 4, CMD_LOAD = 5 };
enum {
    R_INPUT = 1, R_SIGNATURE = 2, R_TID = 3, R_CRT = 4, R_REMOTE_OP = 5, R_CLASS = 6, R_STRUCTURE = 7,
    R_SECURITY = 8, R_ICCID_EXISTS = 9, R_MEMORY = 10, R_INTERRUPTION = 11, R_PE = 12, R_MISMATCH = 13,
    R_NAA_KEY = 14, R_PPR = 15, R_UNKNOWN = 127,
};

struct c22_bpp {
    int step;
    size_t left_bpp, left_seq;      /* BF36 value bytes still to come; of the open A1/A3 */
    rsp_bsp bsp;
    uint8_t aid[16];
    rsp_buf meta, upp;              /* StoreMetadata and profile plaintexts */
    rsp_es10_metadata md;           /* decoded from meta once A1 is complete */
};

static const int step_cmd[] = {[ST_START] = CMD_ISC, [ST_A0] = CMD_CONFIGURE, [ST_A1] = CMD_METADATA,
                               [ST_88] = CMD_METADATA, [ST_A2A3] = CMD_RSK, [ST_86] = CMD_LOAD};

void c22_bpp_free(c22_bpp *b)
{
    if (!b)
        return;
    rsp_bsp_close(&b->bsp);
    rsp_buf_free_secret(&b->meta);
    rsp_buf_free_secret(&b->upp);
    rsp_wipe(b, sizeof(*b));
    free(b);
}

/* Tag and length of a TLV header at p (the value may be absent: a header-only piece). */
static bool header(const uint8_t *p, size_t len, uint32_t *tag, size_t *vlen, size_t *hlen)
{
    size_t i = 0;
    if (len < 2)
        return false;
    uint32_t t = p[i++];
    if ((t & 0x1F) == 0x1F) {
        if (p[i] & 0x80)
            return false;
        t = (t << 8) | p[i++];
    }
    if (i >= len)
        return false;
    size_t l = p[i++];
    if (l & 0x80) {
        size_t n = l & 0x7F;
        if (n == 0 || n > 3 || i + n > len)
            return false;
        l = 0;
        for (size_t k = 0; k < n; k++)
            l = (l << 8) | p[i++];
        if (l < (n == 1 ? 0x80u : 1u << (8 * (n - 1))))
            return false; /* DER: minimal lengths */
    }
    *tag = t;
    *vlen = l;
    *hlen = i;
    return true;
}

bool c22_bpp_is_piece(const rsp_es10_card *c, const uint8_t *req, size_t len)
{
    uint32_t tag = 0;
    size_t vl = 0, hl = 0;
    if (!header(req, len, &tag, &vl, &hl))
        return false;
    if (tag == RSP_ES10_BPP)
        return true;
    return c->bpp && (tag == 0xA0 || tag == 0xA1 || tag == 0xA2 || tag == 0xA3 || tag == 0x86 || tag == 0x88);
}

/* pir's ProfileInstallationResultData into data, signed with SK.EUICC, the whole PIR into out (both
 * reset first). */
static rsp_err pir_sign(const rsp_es10_card *c, const rsp_es10_pir *pir, rsp_buf *data, rsp_buf *out)
{
    uint8_t sig[RSP_ES10_SIG_LEN];
    rsp_buf_reset(data);
    rsp_buf_reset(out);
    rsp_err e = rsp_es10_pir_data_encode(pir, data);
    e = e ? e : rsp_ecdsa_sign(c->sk, data->data, data->len, sig);
    return e ? e : rsp_es10_pir_encode(data->data, data->len, sig, out);
}

/* Builds, signs and answers the PIR; stores it in the notification list (with its seqNumber) and,
 * on success, the profile, in one transaction. The session and the BPP end whatever happens. */
static rsp_err finish(rsp_es10_card *c, rsp_bytes tid, bool success, int cmd, int reason, rsp_bytes sima,
                      const c22_profile *prof, rsp_buf *resp)
{
    c22_bpp *b = c->bpp;
    bool store = c->server_address[0] != 0;
    uint32_t seq = 0;
    rsp_err e = store || success ? c22_begin(c->store) : RSP_OK;
    bool in_tx = !e && (store || success);
    if (!e && store)
        e = c22_next_seq(c->store, &seq);
    rsp_es10_pir pir = {.transaction_id = tid,
                        .meta = {.seq = seq, .events = RSP_ES10_EVENT_INSTALL,
                                 .address = rsp_bytes_of((const uint8_t *)c->server_address, strlen(c->server_address))},
                        .smdp_oid = rsp_bytes_of(c->dp_oid_der, c->dp_oid_der_len), .success = success,
                        .sima_response = sima, .bpp_command_id = cmd, .error_reason = reason};
    if (b && b->md.iccid.len == 10)
        pir.meta.iccid = b->md.iccid;
    if (success)
        pir.isdp_aid = rsp_bytes_of(b->aid, 16);
    rsp_buf data = RSP_BUF_INIT, out = RSP_BUF_INIT;
    e = e ? e : pir_sign(c, &pir, &data, &out);
    if (!e && store)
        e = c22_notif_store(c, seq, RSP_ES10_EVENT_INSTALL, c->server_address, pir.meta.iccid.len ? pir.meta.iccid.p : NULL,
                            out.data, out.len);
    if (!e && success)
        e = c22_profile_put(c->store, prof, b->upp.data, b->upp.len);
    if (!e && success) {
        /* the ISD-P counter moves only with an installed profile */
        uint8_t nx[2] = {b->aid[14], b->aid[15]};
        uint16_t v = (uint16_t)(rsp_be16(nx) + 0x100);
        rsp_put_be16(nx, v);
        e = c22_cfg_set(c->store, "next_aid", nx, 2);
    }
    if (in_tx)
        e = e ? (c22_rollback(c->store), e) : c22_commit(c->store);
    if (e == RSP_ERR_DB) {
        /* The NVM refused the profile or the PIR: the transaction wrote neither. The LPA still gets a
         * signed PIR, of installFailedDueToUnknownError (no reason names a card fault), kept nowhere. */
        pir.success = false;
        pir.isdp_aid = pir.sima_response = rsp_bytes_of(NULL, 0);
        pir.error_reason = R_UNKNOWN;
        e = pir_sign(c, &pir, &data, &out);
    }
    if (!e)
        e = rsp_buf_append(resp, out.data, out.len);
    rsp_buf_free(&data);
    rsp_buf_free(&out);
    /* The session ends whatever happened; after a failure the LPA may still cancel it (SGP22.md: it
     * stops and cancels), so CancelSession of this tid stays possible until the next reset. */
    uint8_t tid_keep[RSP_ES10_MAX_TID];
    size_t tid_len = c->tid_len;
    bool cancellable = !success && c->tid_len && c->dp_oid_der_len && tid.len == c->tid_len &&
                       !memcmp(tid.p, c->tid, c->tid_len);
    memcpy(tid_keep, c->tid, sizeof(tid_keep));
    rsp_es10_card_reset(c); /* frees the BPP */
    if (cancellable) {
        memcpy(c->tid, tid_keep, sizeof(tid_keep));
        c->tid_len = tid_len;
        c->cancel_only = true;
    }
    return e;
}

static rsp_err fail(rsp_es10_card *c, int cmd, int reason, rsp_buf *resp)
{
    return finish(c, rsp_bytes_of(c->tid, c->tid_len), false, cmd, reason, rsp_bytes_of(NULL, 0), NULL, resp);
}

int c22_bpp_open_segment(rsp_bsp *bsp, uint8_t tag, const uint8_t *p, size_t len, rsp_buf *out)
{
    rsp_tlv t;
    if (rsp_tlv_parse(p, len, RSP_TLV_DER, &t, NULL) != RSP_OK || t.raw_len != len || t.tag != tag)
        return R_STRUCTURE;
    rsp_buf plain = RSP_BUF_INIT;
    size_t used = 0;
    rsp_err e = rsp_bsp_unprotect(bsp, p, len, &used, &plain, NULL);
    if (e || used != len) {
        rsp_tlv in;
        rsp_buf_free_secret(&plain);
        if (rsp_tlv_parse(t.value, t.len, RSP_TLV_DER, &in, NULL) == RSP_OK && in.raw_len == t.len && in.tag == tag)
            e = rsp_bsp_unprotect(bsp, t.value, t.len, &used, &plain, NULL);
    }
    if (!e)
        e = rsp_buf_append(out, plain.data, plain.len);
    rsp_buf_free_secret(&plain);
    return e == RSP_OK ? 0 : e == RSP_ERR_VERIFY ? R_SECURITY : e == RSP_ERR_NOMEM ? -1 : R_STRUCTURE;
}

/* Every member of a whole sequence TLV (A0, A2) of 87s. */
static int open_sequence(c22_bpp *b, const uint8_t *p, size_t len, uint32_t seq_tag, rsp_buf *out)
{
    rsp_tlv t, m;
    if (rsp_tlv_parse(p, len, RSP_TLV_DER, &t, NULL) != RSP_OK || t.raw_len != len || t.tag != seq_tag || !t.len)
        return R_STRUCTURE;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, t.value, t.len, RSP_TLV_DER);
    rsp_err e;
    while ((e = rsp_tlv_next(&r, &m)) == RSP_OK) {
        int code = c22_bpp_open_segment(&b->bsp, 0x87, m.raw, m.raw_len, out);
        if (code)
            return code;
    }
    return e == RSP_ERR_END ? 0 : R_STRUCTURE;
}

/* The shared admission rule (isdp_admit.h, the M2M card's too) over this card's profiles: ICCID not on
 * the card, pkg_len within what the 1 MiB of profile memory has left (pkg_len 0 at StoreMetadata, when
 * only the ICCID is known). iccid is the metadata's, which metadata() made sure decodes. */
static eu_admit admit(const c22_profile *p, size_t n, const uint8_t iccid[10], size_t pkg_len)
{
    char digits[C22_MAX_PROFILES][21];
    const char *on_card[C22_MAX_PROFILES];
    size_t k = 0;
    uint64_t used = 0;
    for (size_t i = 0; i < n; i++) {
        used += p[i].pkg_len;
        /* at most C22_MAX_PROFILES (configure refuses more); one that does not decode was never admitted */
        if (k < C22_MAX_PROFILES && rsp_iccid_from_swapped(p[i].iccid, digits[k]) == RSP_OK) {
            on_card[k] = digits[k];
            k++;
        }
    }
    char want[21];
    if (rsp_iccid_from_swapped(iccid, want) != RSP_OK)
        return EU_ADMIT_ICCID_EXISTS; /* not reached: metadata() refuses such an ICCID first */
    eu_admit_room room = {.iccids = on_card, .n_iccids = k,
                          .free_bytes = used >= C22_NVM_BYTES ? 0 : C22_NVM_BYTES - used};
    return eu_isdp_admit(want, pkg_len, &room);
}

static rsp_err start(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    uint32_t tag = 0;
    size_t vl = 0, hl = 0;
    if (!header(req, len, &tag, &vl, &hl) || hl >= len)
        return c->prepared ? fail(c, CMD_ISC, R_STRUCTURE, resp) : RSP_ERR_FORMAT;
    rsp_es10_init_sc isc;
    if (rsp_es10_init_sc_decode(req + hl, len - hl, &isc, NULL) != RSP_OK || isc.raw.len > vl)
        return c->prepared ? fail(c, CMD_ISC, R_INPUT, resp) : RSP_ERR_FORMAT;
    if (!c->prepared) {
        /* No session to bind to: the answer names the request's tid and goes nowhere else. */
        c->server_address[0] = 0;
        c->dp_oid_der_len = 0;
        return finish(c, isc.transaction_id, false, CMD_ISC, R_TID, rsp_bytes_of(NULL, 0), NULL, resp);
    }
    if (isc.remote_op != 1)
        return fail(c, CMD_ISC, R_REMOTE_OP, resp);
    if (isc.transaction_id.len != c->tid_len || memcmp(isc.transaction_id.p, c->tid, c->tid_len))
        return fail(c, CMD_ISC, R_TID, resp);
    if (isc.key_type != 0x88 || isc.key_len != 0x10)
        return fail(c, CMD_ISC, R_CRT, resp);
    uint8_t otpk[RSP_EC_POINT_LEN], shs[32];
    rsp_buf tbs = RSP_BUF_INIT;
    rsp_eckey *pb = NULL, *peer = NULL;
    rsp_err e = rsp_ec_public_point(c->otsk, otpk);
    e = e ? e : rsp_es10_init_sc_signed_data(isc.tbs, otpk, &tbs);
    e = e ? e : rsp_ec_from_public(c->dppb_curve, c->pk_dppb, sizeof(c->pk_dppb), &pb);
    bool sig_ok = !e && rsp_ecdsa_verify(pb, tbs.data, tbs.len, isc.smdp_sign.p, isc.smdp_sign.len) == RSP_OK;
    rsp_ec_free(pb);
    rsp_buf_free(&tbs);
    if (e)
        return e;
    if (!sig_ok)
        return fail(c, CMD_ISC, R_SIGNATURE, resp);
    if (rsp_ec_from_public(rsp_ec_curve(c->otsk), isc.smdp_otpk.p, isc.smdp_otpk.len, &peer) != RSP_OK)
        return fail(c, CMD_ISC, R_INPUT, resp);
    c22_bpp *b = calloc(1, sizeof(*b));
    e = b ? rsp_ecdh(c->otsk, peer, shs) : RSP_ERR_NOMEM;
    rsp_ec_free(peer);
    e = e ? e : rsp_bsp_derive(&b->bsp, shs, sizeof(shs), isc.host_id.p, isc.host_id.len, c->eid, 16);
    rsp_wipe(shs, sizeof(shs));
    if (e) {
        c22_bpp_free(b);
        return e;
    }
    /* The one-time key has done its work: a BPP binds once. */
    rsp_ec_free(c->otsk);
    c->otsk = NULL;
    c->prepared = false;
    b->step = ST_A0;
    b->left_bpp = vl - isc.raw.len;
    c->bpp = b;
    return RSP_OK;
}

/* ConfigureISDP: the BF24 decodes, and the card has room for one more ISD-P, whose AID it picks. */
static int configure(rsp_es10_card *c, const rsp_buf *plain)
{
    rsp_bytes oid;
    if (rsp_es10_configure_isdp_decode(plain->data, plain->len, &oid, NULL) != RSP_OK)
        return R_INPUT;
    c22_profile *p = NULL;
    size_t n = 0;
    rsp_buf nx = RSP_BUF_INIT;
    bool found = false;
    if (c22_profiles(c->store, &p, &n) != RSP_OK || c22_cfg_get(c->store, "next_aid", &nx, &found) != RSP_OK) {
        rsp_buf_free(&nx);
        return -1;
    }
    c22_profiles_free(p, n);
    /* ISD-P AIDs as real cards number them: A0000005591010FFFFFFFF89 0000 1000, 1100, ... */
    static const uint8_t base[12] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89};
    uint16_t v = found && nx.len == 2 ? rsp_be16(nx.data) : 0x1000;
    rsp_buf_free(&nx);
    if (n >= C22_MAX_PROFILES || v < 0x1000)
        return R_MEMORY;
    memcpy(c->bpp->aid, base, 12);
    c->bpp->aid[12] = 0;
    c->bpp->aid[13] = 0;
    rsp_put_be16(c->bpp->aid + 14, v);
    return 0;
}

/* StoreMetadata, once the A1 is complete. */
static int metadata(rsp_es10_card *c)
{
    c22_bpp *b = c->bpp;
    if (rsp_es10_metadata_decode(b->meta.data, b->meta.len, &b->md, NULL) != RSP_OK)
        return R_INPUT;
    char digits[21];
    if (b->md.iccid.len != 10 || rsp_iccid_from_swapped(b->md.iccid.p, digits) != RSP_OK)
        return R_INPUT;
    c22_profile *p = NULL;
    size_t n = 0;
    if (c22_profiles(c->store, &p, &n) != RSP_OK)
        return -1;
    eu_admit a = admit(p, n, b->md.iccid.p, 0);
    c22_profiles_free(p, n);
    if (a == EU_ADMIT_ICCID_EXISTS)
        return R_ICCID_EXISTS;
    if (b->md.profile_class < RSP_ES10_CLASS_TEST || b->md.profile_class > RSP_ES10_CLASS_OPERATIONAL)
        return R_CLASS;
    /* PPR1/PPR2 bind an operational profile only [G]. */
    if (b->md.has_ppr && (b->md.ppr & (RSP_ES10_PPR1 | RSP_ES10_PPR2)) &&
        b->md.profile_class != RSP_ES10_CLASS_OPERATIONAL)
        return R_PPR;
    return 0;
}

static bool same_iccid(const rsp_saip_header *h, const uint8_t iccid[10])
{
    char d[21];
    return rsp_iccid_from_swapped(iccid, d) == RSP_OK && strcmp(h->iccid, d) == 0;
}

/* A package refused after the last 86: the signed BF37 of reason, its simaResponse an EUICCResponse with
 * the element's status (at its offset, with its identification when it has one) and the installation
 * aborted. */
static rsp_err refuse(rsp_es10_card *c, int reason, const rsp_saip_pe_status *ps, rsp_buf *resp)
{
    rsp_buf sima = RSP_BUF_INIT;
    rsp_saip_pe_status st = *ps;
    rsp_saip_euicc_response r = {.pe_status = &st, .n_pe_status = 1, .installation_aborted = true};
    rsp_err e = rsp_saip_euicc_response_encode(&r, &sima);
    e = e ? e : finish(c, rsp_bytes_of(c->tid, c->tid_len), false, CMD_LOAD, reason, rsp_buf_view(&sima), NULL, resp);
    rsp_buf_free(&sima);
    return e;
}

/* The last 86 has arrived: the package through the SAIP walker and the NAA key check, then one commit.
 * An invalid NAA key is testProfileInstallFailedDueToInvalidNaaKey (14) on a test profile; SGP22.md
 * names no reason for the same fault in an operational or provisioning profile, and the walker accepted
 * the element (so not peProcessingError, 12): installFailedDueToUnknownError (127). */
static rsp_err install(rsp_es10_card *c, rsp_buf *resp)
{
    c22_bpp *b = c->bpp;
    rsp_saip_package pkg;
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_buf sima = RSP_BUF_INIT;
    int reason = 0;
    if (rsp_saip_parse(b->upp.data, b->upp.len, 0, &pkg, &d) != RSP_OK) {
        rsp_saip_pe_status ps = {.status = RSP_SAIP_ST_BAD_VALUES, .has_offset = true,
                                 .offset = (uint32_t)(d.has_offset ? d.offset : 0)};
        return refuse(c, R_PE, &ps, resp);
    }
    const rsp_saip_pe *naa = c22_naa_refused(&pkg);
    rsp_saip_pe_status naa_st = {.status = RSP_SAIP_ST_BAD_VALUES, .has_offset = true};
    if (naa) {
        naa_st.offset = (uint32_t)naa->offset;
        naa_st.has_identification = naa->has_id;
        naa_st.identification = naa->identification;
    }
    if (!same_iccid(&pkg.header, b->md.iccid.p))
        reason = R_MISMATCH;
    rsp_saip_package_free(&pkg);
    if (!reason && naa)
        return refuse(c, b->md.profile_class == RSP_ES10_CLASS_TEST ? R_NAA_KEY : R_UNKNOWN, &naa_st, resp);
    c22_profile *p = NULL;
    size_t n = 0;
    if (c22_profiles(c->store, &p, &n) != RSP_OK)
        return fail(c, CMD_LOAD, R_UNKNOWN, resp);
    eu_admit a = reason ? EU_ADMIT_OK : admit(p, n, b->md.iccid.p, b->upp.len);
    c22_profiles_free(p, n);
    if (a == EU_ADMIT_ICCID_EXISTS)
        reason = R_ICCID_EXISTS;
    else if (a == EU_ADMIT_NO_MEMORY)
        reason = R_MEMORY;
    if (reason)
        return fail(c, CMD_LOAD, reason, resp);
    rsp_saip_pe_status ps = {.status = RSP_SAIP_ST_OK};
    rsp_saip_euicc_response r = {.pe_status = &ps, .n_pe_status = 1};
    c22_profile prof = {.state = 0, .pclass = b->md.profile_class, .ppr = b->md.has_ppr ? b->md.ppr : 0};
    memcpy(prof.iccid, b->md.iccid.p, 10);
    memcpy(prof.aid, b->aid, 16);
    rsp_err e = rsp_saip_euicc_response_encode(&r, &sima);
    e = e ? e : rsp_buf_append(&prof.meta, b->meta.data, b->meta.len);
    e = e ? e : rsp_buf_append(&prof.dp_oid, c->dp_oid_der, c->dp_oid_der_len);
    e = e ? e : finish(c, rsp_bytes_of(c->tid, c->tid_len), true, CMD_LOAD, 0, rsp_buf_view(&sima), &prof, resp);
    rsp_buf_free(&sima);
    rsp_buf_free(&prof.meta);
    rsp_buf_free(&prof.dp_oid);
    rsp_buf_free(&prof.nickname);
    return e;
}

/* One piece after BF23. code < 0: internal failure. */
static rsp_err piece(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    c22_bpp *b = c->bpp;
    uint32_t tag = 0;
    size_t vl = 0, hl = 0;
    int code = 0, cmd = step_cmd[b->step];
    bool whole = header(req, len, &tag, &vl, &hl) && hl + vl == len;
    if (len > b->left_bpp)
        return fail(c, cmd, R_STRUCTURE, resp);
    switch (b->step) {
    case ST_A0:
        if (tag != 0xA0 || !whole)
            return fail(c, cmd, R_STRUCTURE, resp);
        code = open_sequence(b, req, len, 0xA0, &b->upp);
        code = code ? code : configure(c, &b->upp);
        rsp_buf_free_secret(&b->upp);
        b->step = ST_A1;
        break;
    case ST_A1:
        if (tag != 0xA1 || hl != len || vl == 0)
            return fail(c, cmd, R_STRUCTURE, resp);
        b->left_seq = vl;
        b->step = ST_88;
        break;
    case ST_88:
        if (tag != 0x88 || !whole || len > b->left_seq)
            return fail(c, cmd, R_STRUCTURE, resp);
        code = c22_bpp_open_segment(&b->bsp, 0x88, req, len, &b->meta);
        b->left_seq -= len;
        if (!code && b->left_seq == 0) {
            code = metadata(c);
            b->step = ST_A2A3;
        }
        break;
    case ST_A2A3:
        if (tag == 0xA2 && whole) {
            uint8_t mcv[16], enc[16], mac[16];
            rsp_buf rsk = RSP_BUF_INIT;
            code = open_sequence(b, req, len, 0xA2, &rsk);
            if (!code && rsp_es10_rsk_decode(rsk.data, rsk.len, mcv, enc, mac, NULL) != RSP_OK)
                code = R_INPUT;
            if (!code)
                rsp_bsp_init(&b->bsp, enc, mac, mcv); /* the PPKs; the block counter restarts at 1 */
            rsp_wipe(mcv, 16);
            rsp_wipe(enc, 16);
            rsp_wipe(mac, 16);
            rsp_buf_free_secret(&rsk);
            b->left_bpp -= len;
            return code ? fail(c, CMD_RSK, code, resp) : RSP_OK;
        }
        cmd = CMD_LOAD;
        if (tag != 0xA3 || hl != len || vl == 0 || hl + vl != b->left_bpp)
            return fail(c, cmd, R_STRUCTURE, resp);
        if (vl > C22_NVM_BYTES)
            return fail(c, cmd, R_MEMORY, resp);
        b->left_seq = vl;
        b->step = ST_86;
        break;
    case ST_86:
        if (tag != 0x86 || !whole || len > b->left_seq)
            return fail(c, cmd, R_STRUCTURE, resp);
        code = c22_bpp_open_segment(&b->bsp, 0x86, req, len, &b->upp);
        b->left_seq -= len;
        b->left_bpp -= len;
        if (!code && b->left_seq == 0)
            return install(c, resp);
        break;
    default:
        return fail(c, cmd, R_STRUCTURE, resp);
    }
    if (code < 0) /* the NVM failed reading, or memory ran out */
        return fail(c, cmd, R_UNKNOWN, resp);
    if (code)
        return fail(c, cmd, code, resp);
    if (b->step != ST_86 || tag == 0xA3)
        b->left_bpp -= len;
    return RSP_OK;
}

rsp_err c22_bpp_handle(rsp_es10_card *c, const uint8_t *req, size_t len, rsp_buf *resp)
{
    uint32_t tag = 0;
    size_t vl = 0, hl = 0;
    header(req, len, &tag, &vl, &hl);
    if (tag == RSP_ES10_BPP) {
        if (c->bpp) /* a second start: the first BPP is abandoned (structure), the new one not begun */
            return fail(c, step_cmd[c->bpp->step], R_STRUCTURE, resp);
        return start(c, req, len, resp);
    }
    return piece(c, req, len, resp);
}

rsp_err c22_bpp_abort(rsp_es10_card *c, bool store_pir)
{
    if (!c->bpp)
        return RSP_OK;
    if (!store_pir) {
        c22_bpp_free(c->bpp);
        c->bpp = NULL;
        return RSP_OK;
    }
    rsp_buf ignored = RSP_BUF_INIT;
    rsp_err e = fail(c, step_cmd[c->bpp->step], R_INTERRUPTION, &ignored);
    rsp_buf_free(&ignored);
    return e;
}
