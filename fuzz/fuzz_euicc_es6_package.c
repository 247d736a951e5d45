/* What ES6 reads of a profile package, on any package: the package comes from an SM-DP, and the card's
 * MNO-SD reads its securityDomain keyList and toolkit TARs, its rfm elements and the files of its mf /
 * usim elements (lib/saip/saip_sd.c, lib/euicc/efs.c). Then every file of the view is changed and
 * written back: the write-back either refuses or gives a package whose view has the changed contents. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "euicc/mno_sd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rsp_saip_package pkg;
    if (rsp_saip_parse(data, size, RSP_SAIP_ALLOW_UNKNOWN | RSP_SAIP_SHALLOW, &pkg, NULL) == RSP_OK) {
        rsp_saip_sd_keys ks;
        uint32_t tars[8];
        size_t n = 0;
        uint8_t msl = 0, aid[16];
        rsp_saip_rfm rfm[8];
        if (rsp_saip_sd_keys_get(&pkg, 0, &ks, NULL) == RSP_OK && (ks.kic_len > 32 || ks.kid_len > 32))
            abort();
        if (rsp_saip_sd_tars(&pkg, tars, 8, &n, &msl) == RSP_OK && n > 8)
            abort();
        if (rsp_saip_sd_aid(&pkg, aid, &n) == RSP_OK && n > 16)
            abort();
        if (rsp_saip_rfm_list(&pkg, rfm, 8, &n, NULL) == RSP_OK && n > 8)
            abort();
        rsp_saip_package_free(&pkg);
    }
    eu_efs fs;
    if (eu_efs_load(data, size, &fs, NULL) != RSP_OK)
        return 0;
    for (size_t i = 0; i < fs.n; i++) {
        fs.f[i].data[0] ^= 0x5A;
        fs.f[i].dirty = fs.dirty = true;
    }
    rsp_buf out = RSP_BUF_INIT;
    eu_efs back;
    if (fs.dirty && eu_efs_encode(&fs, &out, NULL) == RSP_OK) {
        if (eu_efs_load(out.data, out.len, &back, NULL) != RSP_OK)
            abort();
        for (size_t i = 0; i < fs.n; i++) {
            const eu_ef *a = &fs.f[i], *b = eu_efs_find(&back, a->df, a->fid);
            /* a file defined twice keeps its first definition; only that one is compared */
            if (a != eu_efs_find(&fs, a->df, a->fid))
                continue;
            if (!b || b->size != a->size || memcmp(a->data, b->data, a->size) != 0)
                abort();
        }
        eu_efs_free(&back);
    }
    rsp_buf_free(&out);
    eu_efs_free(&fs);
    return 0;
}
