/* The fleet: an index of cards kept in RAM (EID, MSISDN, next notification time), each card's durable
 * state loaded from the database on first use. Opening 100,000 cards reads three short columns per
 * card; nothing else is touched until a card gets an input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "euicc_int.h"
#include "rsp/crl.h"
#include "rsp/saip.h"
#include "rsp/tlv.h"

static int cmp_eid(const void *a, const void *b)
{
    return strcmp((*(rsp_euicc *const *)a)->eid, (*(rsp_euicc *const *)b)->eid);
}

static int cmp_msisdn(const void *a, const void *b)
{
    return strcmp((*(rsp_euicc *const *)a)->msisdn, (*(rsp_euicc *const *)b)->msisdn);
}

static rsp_err fleet_new(const char *dir, bool create, rsp_diag *diag, rsp_euicc_fleet **out)
{
    *out = NULL;
    rsp_euicc_fleet *f = calloc(1, sizeof(*f));
    if (!f)
        return RSP_ERR_NOMEM;
    rsp_err e = eu_db_open(dir, create, &f->db, diag);
    if (e) {
        free(f);
        return e;
    }
    /* The CI's CRL, when the operator put one in the fleet folder (docs/OPERATING.md, "Revocation"):
     * re-read whenever the file changes, so a running fleet picks up a new one. */
    if (strcmp(dir, ":memory:") != 0) {
        size_t n = strlen(dir) + sizeof("/ci.crl");
        char *p = malloc(n);
        if (p)
            snprintf(p, n, "%s/ci.crl", dir);
        e = p ? rsp_crl_file_new(p, true, &f->crl) : RSP_ERR_NOMEM;
        free(p);
        if (e) {
            eu_db_close(f->db);
            free(f);
            return e;
        }
    }
    *out = f;
    return RSP_OK;
}

/* Appends a card to the index (callers keep EID order or sort afterwards). */
rsp_err eu_index_add(rsp_euicc_fleet *f, const char *eid, const char *msisdn, int64_t due, rsp_euicc **out)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 1024;
        rsp_euicc **nc = realloc(f->cards, cap * sizeof(*nc));
        rsp_euicc **nm = realloc(f->by_msisdn, cap * sizeof(*nm));
        if (nc)
            f->cards = nc;
        if (nm)
            f->by_msisdn = nm;
        if (!nc || !nm)
            return RSP_ERR_NOMEM;
        f->cap = cap;
    }
    rsp_euicc *c = calloc(1, sizeof(*c));
    if (!c)
        return RSP_ERR_NOMEM;
    c->f = f;
    snprintf(c->eid, sizeof(c->eid), "%s", eid);
    snprintf(c->msisdn, sizeof(c->msisdn), "%s", msisdn);
    c->due = due;
    f->cards[f->n++] = c;
    if (c->msisdn[0])
        f->by_msisdn[f->n_msisdn++] = c;
    *out = c;
    return RSP_OK;
}

static rsp_err scan_one(void *ctx, const char *eid, const char *msisdn, int64_t due)
{
    rsp_euicc *c;
    return eu_index_add(ctx, eid ? eid : "", msisdn ? msisdn : "", due, &c);
}

rsp_err rsp_euicc_fleet_create(const char *dir, rsp_diag *diag, rsp_euicc_fleet **out)
{
    return fleet_new(dir, true, diag, out);
}

rsp_err rsp_euicc_fleet_open(const char *dir, rsp_diag *diag, rsp_euicc_fleet **out)
{
    rsp_euicc_fleet *f;
    rsp_err e = fleet_new(dir, strcmp(dir, ":memory:") == 0, diag, &f);
    if (e)
        return e;
    if ((e = eu_db_scan(f->db, scan_one, f)) != RSP_OK) {
        rsp_euicc_fleet_close(f);
        return rsp_diag_set(diag, e, "%s: reading the card index failed", dir);
    }
    /* The database returns EID order; MSISDN order is ours to make. A download cut by a crash left
     * nothing durable behind (packages are committed whole), so there is nothing to roll back here
     * beyond what SQLite's journal already did. */
    qsort(f->by_msisdn, f->n_msisdn, sizeof(*f->by_msisdn), cmp_msisdn);
    *out = f;
    return RSP_OK;
}

void eu_vol_free(rsp_euicc *c)
{
    if (!c->vol)
        return;
    eu_vol_drop_sessions(c->vol);
    rsp_sms_reasm_free(&c->vol->reasm);
    rsp_wipe(c->vol, sizeof(*c->vol));
    free(c->vol);
    c->vol = NULL;
}

void eu_vol_release_idle(rsp_euicc *c)
{
    eu_vol *v = c->vol;
    if (v && !v->admin_open && !v->ke_active && !v->dl_active && !v->s03_tar && !v->perso_tar &&
        v->selected == EU_APP_ISDR && rsp_sms_reasm_pending(&v->reasm) == 0)
        eu_vol_free(c); /* most cards are idle most of the time: keep their RAM at the index entry */
}

static void card_free(rsp_euicc *c)
{
    eu_vol_free(c);
    if (c->st) {
        eu_state_free(c->st);
        free(c->st);
    }
    free(c);
}

void rsp_euicc_fleet_close(rsp_euicc_fleet *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        card_free(f->cards[i]);
    free(f->cards);
    free(f->by_msisdn);
    eu_db_close(f->db);
    rsp_crl_file_free(f->crl);
    free(f);
}

size_t rsp_euicc_fleet_count(const rsp_euicc_fleet *f) { return f ? f->n : 0; }

rsp_euicc *rsp_euicc_fleet_at(rsp_euicc_fleet *f, size_t i) { return f && i < f->n ? f->cards[i] : NULL; }

rsp_euicc *rsp_euicc_fleet_by_eid(rsp_euicc_fleet *f, const char *eid)
{
    if (!f || !eid || !f->n)
        return NULL;
    rsp_euicc key, *kp = &key;
    snprintf(key.eid, sizeof(key.eid), "%s", eid);
    rsp_euicc **hit = bsearch(&kp, f->cards, f->n, sizeof(*f->cards), cmp_eid);
    return hit ? *hit : NULL;
}

rsp_euicc *rsp_euicc_fleet_by_msisdn(rsp_euicc_fleet *f, const char *msisdn)
{
    if (!f || !msisdn || !msisdn[0] || !f->n_msisdn)
        return NULL;
    rsp_euicc key, *kp = &key;
    snprintf(key.msisdn, sizeof(key.msisdn), "%s", msisdn);
    rsp_euicc **hit = bsearch(&kp, f->by_msisdn, f->n_msisdn, sizeof(*f->by_msisdn), cmp_msisdn);
    return hit ? *hit : NULL;
}

const char *rsp_euicc_eid(const rsp_euicc *c) { return c->eid; }
const char *rsp_euicc_msisdn(const rsp_euicc *c) { return c->msisdn; }

rsp_err rsp_euicc_fleet_begin(rsp_euicc_fleet *f) { return eu_db_begin(f->db); }
rsp_err rsp_euicc_fleet_commit(rsp_euicc_fleet *f) { return eu_db_commit(f->db); }
uint64_t rsp_euicc_fleet_commits(const rsp_euicc_fleet *f) { return f ? eu_db_commits(f->db) : 0; }

/* ---- card state ---- */

rsp_err eu_card_load(rsp_euicc *c)
{
    if (c->st)
        return RSP_OK;
    eu_state *st = calloc(1, sizeof(*st));
    if (!st)
        return RSP_ERR_NOMEM;
    rsp_err e = eu_db_load(c->f->db, c->eid, st);
    if (e) {
        free(st);
        return e;
    }
    c->st = st;
    return RSP_OK;
}

void eu_card_reload(rsp_euicc *c)
{
    if (c->st) {
        eu_state_free(c->st);
        free(c->st);
        c->st = NULL;
    }
    if (eu_card_load(c) == RSP_OK)
        eu_msisdn_update(c);
}

eu_vol *eu_card_vol(rsp_euicc *c)
{
    if (!c->vol) {
        c->vol = calloc(1, sizeof(*c->vol));
        if (c->vol)
            rsp_sms_reasm_init(&c->vol->reasm, 60000);
    }
    return c->vol;
}

rsp_err eu_commit_pkg(rsp_euicc *c, uint32_t pkg_tar, const uint8_t *pkg, size_t len)
{
    eu_notif_recompute_due(c);
    eu_msisdn_update(c);
    rsp_err e = eu_db_save(c->f->db, c->eid, c->msisdn, c->due, c->st, pkg_tar, pkg, len, false);
    if (e)
        eu_card_reload(c); /* RAM must not run ahead of NVM */
    return e;
}

eu_profile *eu_profile_by_tar(eu_state *st, uint32_t tar)
{
    for (unsigned i = 0; i < st->np; i++)
        if (st->p[i].tar == tar)
            return &st->p[i];
    return NULL;
}

eu_profile *eu_profile_enabled(eu_state *st)
{
    for (unsigned i = 0; i < st->np; i++)
        if (st->p[i].lcs == EU_LCS_ENABLED)
            return &st->p[i];
    return NULL;
}

eu_profile *eu_profile_by_aid(eu_state *st, const uint8_t *aid, size_t len)
{
    rsp_aid a;
    uint32_t tar;
    if (rsp_aid_from_bytes(aid, len, &a) != RSP_OK || rsp_aid_isdp_tar(&a, &tar) != RSP_OK)
        return NULL;
    return eu_profile_by_tar(st, tar);
}

void eu_isdp_aid(uint32_t tar, uint8_t out[16])
{
    rsp_aid a;
    if (rsp_aid_isdp(tar, &a) == RSP_OK)
        memcpy(out, a.b, 16);
    else
        memset(out, 0, 16);
}

void eu_msisdn_update(rsp_euicc *c)
{
    eu_profile *p = c->st ? eu_profile_enabled(c->st) : NULL;
    eu_msisdn_set(c, p ? p->msisdn : "");
}

void eu_msisdn_set(rsp_euicc *c, const char *m)
{
    if (strcmp(m, c->msisdn) == 0)
        return;
    rsp_euicc_fleet *f = c->f;
    for (size_t i = 0; i < f->n_msisdn; i++) {
        if (f->by_msisdn[i] == c) {
            memmove(&f->by_msisdn[i], &f->by_msisdn[i + 1], (f->n_msisdn - i - 1) * sizeof(*f->by_msisdn));
            f->n_msisdn--;
            break;
        }
    }
    snprintf(c->msisdn, sizeof(c->msisdn), "%s", m);
    if (!m[0])
        return;
    size_t lo = 0, hi = f->n_msisdn;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(f->by_msisdn[mid]->msisdn, m) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&f->by_msisdn[lo + 1], &f->by_msisdn[lo], (f->n_msisdn - lo) * sizeof(*f->by_msisdn));
    f->by_msisdn[lo] = c;
    f->n_msisdn++;
}
