/* The MNO-SD's key sets and the RFM instances of a package (include/rsp/saip_sd.h). DER walked by
 * hand like the rest of lib/saip; the package was parsed by rsp_saip_parse, but every nested TLV is
 * still read with bounds checks (a SHALLOW parse does not prove them). */
#include <string.h>

#include "rsp/saip_sd.h"
#include "saip_int.h"

void rsp_saip_sd_keys_wipe(rsp_saip_sd_keys *k)
{
    if (k)
        rsp_wipe(k, sizeof(*k));
}

static const rsp_saip_pe *first_pe(const rsp_saip_package *pkg, uint32_t tag)
{
    size_t i;
    return rsp_saip_find(pkg, tag, 0, &i) == RSP_OK ? &pkg->pes[i] : NULL;
}

/* One KeyObject: 95 usage, [96 access], 82 key id, 83 KVN, 30 { 30 { 80 type, 86 data, ... } }. */
static rsp_err key_object(const rsp_tlv *ko, uint8_t *id, uint8_t *kvn, uint8_t *type, rsp_tlv *data)
{
    rsp_tlv t, comps, comp;
    if (rsp_tlv_find(ko->value, ko->len, 0x82, &t) != RSP_OK || t.len != 1)
        return RSP_ERR_FORMAT;
    *id = t.value[0];
    if (rsp_tlv_find(ko->value, ko->len, 0x83, &t) != RSP_OK || t.len != 1)
        return RSP_ERR_FORMAT;
    *kvn = t.value[0];
    if (rsp_tlv_find(ko->value, ko->len, 0x30, &comps) != RSP_OK ||
        rsp_tlv_find(comps.value, comps.len, 0x30, &comp) != RSP_OK)
        return RSP_ERR_FORMAT;
    if (rsp_tlv_find(comp.value, comp.len, 0x80, &t) != RSP_OK || t.len != 1)
        return RSP_ERR_FORMAT;
    *type = t.value[0];
    if (rsp_tlv_find(comp.value, comp.len, 0x86, data) != RSP_OK || data->len == 0 || data->len > RSP_SAIP_KEY_MAX)
        return RSP_ERR_FORMAT;
    return RSP_OK;
}

rsp_err rsp_saip_sd_keys_get(const rsp_saip_package *pkg, uint8_t kvn, rsp_saip_sd_keys *out, rsp_diag *diag)
{
    if (!pkg || !out)
        return RSP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    const rsp_saip_pe *pe = first_pe(pkg, RSP_SAIP_TAG_SD);
    if (!pe)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "the package has no securityDomain element");
    rsp_tlv list, ko;
    if (rsp_tlv_find(pe->value.p, pe->value.len, 0xA2, &list) != RSP_OK)
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "the securityDomain element has no keyList");
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, list.value, list.len, SAIP_TLV_FLAGS);
    rsp_err e;
    while ((e = rsp_tlv_next(&r, &ko)) == RSP_OK) {
        uint8_t id = 0, v = 0, type = 0;
        rsp_tlv data;
        if (ko.tag != 0x30 || key_object(&ko, &id, &v, &type, &data) != RSP_OK) {
            rsp_saip_sd_keys_wipe(out);
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, (size_t)(ko.raw - pkg->data.p), "keyList: malformed key object");
        }
        if (kvn ? v != kvn : (out->kvn && v != out->kvn))
            continue;
        out->kvn = v;
        if (id == 0x01) {
            memcpy(out->kic, data.value, data.len), out->kic_len = data.len, out->type = type;
        } else if (id == 0x02) {
            memcpy(out->kid, data.value, data.len), out->kid_len = data.len;
        }
    }
    if (e != RSP_ERR_END) {
        rsp_saip_sd_keys_wipe(out);
        return rsp_diag_set(diag, RSP_ERR_FORMAT, "keyList: %s", r.diag.msg);
    }
    if (!out->kic_len || !out->kid_len) {
        rsp_saip_sd_keys_wipe(out);
        return rsp_diag_set(diag, RSP_ERR_NOT_FOUND, "no KIc/KID key set %02X in the securityDomain element", kvn);
    }
    return RSP_OK;
}

rsp_err rsp_saip_sd_aid(const rsp_saip_package *pkg, uint8_t aid[16], size_t *len)
{
    const rsp_saip_pe *pe = pkg ? first_pe(pkg, RSP_SAIP_TAG_SD) : NULL;
    rsp_tlv inst, t;
    if (!pe || rsp_tlv_find(pe->value.p, pe->value.len, 0xA1, &inst) != RSP_OK)
        return RSP_ERR_NOT_FOUND;
    rsp_tlv_reader r;
    rsp_tlv_reader_init(&r, inst.value, inst.len, SAIP_TLV_FLAGS);
    unsigned k = 0;
    while (rsp_tlv_next(&r, &t) == RSP_OK)
        if (t.tag == 0x4F && ++k == 3) { /* load package, class, instance */
            if (t.len < 5 || t.len > 16)
                return RSP_ERR_FORMAT;
            memcpy(aid, t.value, t.len);
            *len = t.len;
            return RSP_OK;
        }
    return RSP_ERR_NOT_FOUND;
}

rsp_err rsp_saip_sd_tars(const rsp_saip_package *pkg, uint32_t *tars, size_t max, size_t *n, uint8_t *min_security)
{
    const rsp_saip_pe *pe = pkg ? first_pe(pkg, RSP_SAIP_TAG_SD) : NULL;
    rsp_tlv inst, ap, f;
    *n = 0;
    *min_security = 0;
    if (!pe || rsp_tlv_find(pe->value.p, pe->value.len, 0xA1, &inst) != RSP_OK ||
        rsp_tlv_find(inst.value, inst.len, 0xEA, &ap) != RSP_OK || rsp_tlv_find(ap.value, ap.len, 0x80, &f) != RSP_OK)
        return RSP_ERR_NOT_FOUND;
    const uint8_t *p = f.value;
    size_t len = f.len, i = 4; /* priority, timers, menu text length, menu entries */
    if (len < 4 || (size_t)p[3] * 2 > len - 4)
        return RSP_ERR_FORMAT;
    i += (size_t)p[3] * 2 + 1; /* the menu entries, the number of channels */
    if (i >= len || p[i] > len - i - 1)
        return RSP_ERR_FORMAT;
    if (p[i] >= 2)
        *min_security = p[i + 2]; /* MSL parameter, then the MSL data: SPI byte 1 as in rfm elements */
    i += 1 + (size_t)p[i];
    if (i >= len || p[i] % 3 || p[i] > len - i - 1)
        return RSP_ERR_FORMAT;
    for (size_t k = 0; k < p[i] && *n < max; k += 3)
        tars[(*n)++] = rsp_be24(p + i + 1 + k);
    return *n ? RSP_OK : RSP_ERR_NOT_FOUND;
}

/* PE-RFM: header A0, instanceAID 4F, tarList A0 { 04 TAR... }, minimumSecurityLevel 81,
 * uiccAccessDomain 04, uiccAdminAccessDomain 04, adfRFMAccess 30 { 80 adfAID, 81, 82 }. The PE header
 * is the first A0; the tarList the second. */
static rsp_err rfm_one(const rsp_saip_pe *pe, rsp_saip_rfm *o)
{
    memset(o, 0, sizeof(*o));
    rsp_tlv_reader r;
    rsp_tlv t, x;
    rsp_tlv_reader_init(&r, pe->value.p, pe->value.len, SAIP_TLV_FLAGS);
    unsigned a0 = 0;
    rsp_err e;
    while ((e = rsp_tlv_next(&r, &t)) == RSP_OK) {
        if (t.tag == 0x4F && t.len >= 5 && t.len <= 16) {
            o->instance_aid = rsp_bytes_of(t.value, t.len);
        } else if (t.tag == 0xA0 && ++a0 == 2) {
            rsp_tlv_reader tr;
            rsp_tlv_reader_init(&tr, t.value, t.len, SAIP_TLV_FLAGS);
            while ((e = rsp_tlv_next(&tr, &x)) == RSP_OK) {
                if (x.tag != 0x04 || x.len != 3)
                    return RSP_ERR_FORMAT;
                if (o->n_tars < RSP_SAIP_RFM_TARS)
                    o->tars[o->n_tars++] = rsp_be24(x.value);
            }
            if (e != RSP_ERR_END)
                return e;
        } else if (t.tag == 0x81 && t.len == 1) {
            o->min_security = t.value[0];
        } else if (t.tag == 0x30) {
            if (rsp_tlv_find(t.value, t.len, 0x80, &x) != RSP_OK || x.len < 5 || x.len > 16)
                return RSP_ERR_FORMAT;
            o->has_adf = true;
            o->adf_aid = rsp_bytes_of(x.value, x.len);
        }
    }
    return e == RSP_ERR_END && o->n_tars ? RSP_OK : RSP_ERR_FORMAT;
}

rsp_err rsp_saip_rfm_list(const rsp_saip_package *pkg, rsp_saip_rfm *out, size_t max, size_t *n, rsp_diag *diag)
{
    if (!pkg || !n || (!out && max))
        return RSP_ERR_INVAL;
    *n = 0;
    for (size_t i = 0; i < pkg->n_pes && *n < max; i++) {
        const rsp_saip_pe *pe = &pkg->pes[i];
        if (pe->tag != RSP_SAIP_TAG_RFM)
            continue;
        if (rfm_one(pe, &out[*n]) != RSP_OK)
            return rsp_diag_set_at(diag, RSP_ERR_FORMAT, pe->offset, "rfm element %zu: malformed", i);
        (*n)++;
    }
    return RSP_OK;
}
