/* Segmentation of a package for download. SCP03t (SGP.02 4.1.3.3) carries the package as a byte
 * stream in '86' TLVs, so any cut is valid on the wire; grouping whole elements per segment is an
 * optimisation that lets the card process (and report on) each element as soon as it is complete. */
#include <stdlib.h>

#include "rsp/saip.h"

typedef struct seg_list {
    rsp_saip_segment *v;
    size_t n, cap;
} seg_list;

static rsp_err seg_push(seg_list *l, size_t offset, size_t len, size_t first_pe, size_t n_pes, bool aligned)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        rsp_saip_segment *v = realloc(l->v, cap * sizeof(*v));
        if (!v)
            return RSP_ERR_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    rsp_saip_segment s = {offset, len, first_pe, n_pes, aligned};
    l->v[l->n++] = s;
    return RSP_OK;
}

/* Number of elements whose first byte lies in [from, to), counting from element *next on. */
static size_t pes_starting(const rsp_saip_package *pkg, size_t *next, size_t to)
{
    size_t n = 0;
    while (*next < pkg->n_pes && pkg->pes[*next].offset < to) {
        (*next)++;
        n++;
    }
    return n;
}

static rsp_err plan_bytes(const rsp_saip_package *pkg, size_t max_len, seg_list *l)
{
    size_t total = pkg->data.len, next = 0;
    for (size_t off = 0; off < total; off += max_len) {
        size_t len = total - off < max_len ? total - off : max_len;
        size_t first = next, n = pes_starting(pkg, &next, off + len);
        bool aligned = (first < pkg->n_pes && pkg->pes[first].offset == off && n > 0) &&
                       (off + len == total || (next < pkg->n_pes && pkg->pes[next].offset == off + len));
        rsp_err e = seg_push(l, off, len, first, n, aligned);
        if (e)
            return e;
    }
    return RSP_OK;
}

static rsp_err plan_pes(const rsp_saip_package *pkg, size_t max_len, seg_list *l)
{
    size_t i = 0;
    rsp_err e = RSP_OK;
    while (i < pkg->n_pes && !e) {
        const rsp_saip_pe *pe = &pkg->pes[i];
        if (pe->raw.len > max_len) {
            /* An element bigger than a segment: plain byte ranges, the first one carrying its start. */
            for (size_t off = 0; off < pe->raw.len && !e; off += max_len) {
                size_t len = pe->raw.len - off < max_len ? pe->raw.len - off : max_len;
                e = seg_push(l, pe->offset + off, len, i, off == 0, false);
            }
            i++;
            continue;
        }
        size_t first = i, len = 0;
        while (i < pkg->n_pes && len + pkg->pes[i].raw.len <= max_len)
            len += pkg->pes[i++].raw.len;
        e = seg_push(l, pe->offset, len, first, i - first, true);
    }
    return e;
}

rsp_err rsp_saip_segment_plan(const rsp_saip_package *pkg, size_t max_len, bool pe_boundaries,
                              rsp_saip_segment **out, size_t *n)
{
    if (!pkg || !out || !n || max_len < RSP_SAIP_SEGMENT_MIN)
        return RSP_ERR_INVAL;
    seg_list l = {NULL, 0, 0};
    rsp_err e = pe_boundaries ? plan_pes(pkg, max_len, &l) : plan_bytes(pkg, max_len, &l);
    if (e) {
        free(l.v);
        return e;
    }
    *out = l.v;
    *n = l.n;
    return RSP_OK;
}
