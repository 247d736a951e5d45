/* SGP.22 chain verification with the role checks. Signatures, validity and basic constraints are
 * OpenSSL's X509_verify_cert; the SGP.22 rules it does not know (policy = role, one curve per chain,
 * EID within the EUM's prefixes) are pki22_check.c's, applied here.
 *
 * Trust anchors (rsp_pki22_anchors): a daemon verifies every eUICC's chain against the same CI, and
 * decoding a certificate (OpenSSL's X.509 and key decoders) costs more than the signature check
 * (issue 14, Numbers: the CI and the EUM decoded on every authenticateClient were a sixth of the
 * SM-DP+'s CPU). So the CIs are decoded once, and the EUM certificates of chains that verified are kept
 * decoded, keyed by their exact bytes. Every check that depends on the call (the eUICC certificate's
 * signature, validity at the time asked of all three, profiles, curve, EID range) runs on every call.
 * The one check of a cached EUM that cannot change, its signature by the CI over the same bytes with
 * the same key, is not made again (issue 14, Numbers: one ECDSA verify per authenticateClient, a fifth
 * of the protocol's crypto): OpenSSL then checks the eUICC certificate against the EUM as a trusted
 * partial chain (signature, the EUM's validity and name constraints still checked), and the CI's validity
 * is checked here; a CI with name constraints (they bind the eUICC certificate too) or an EUM with policy
 * extensions (OpenSSL reads none of a trust anchor's) always takes the whole chain.
 * rsp_pki22_verify is the one-shot form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki22_int.h"

enum { EUM_CACHE = 8 }; /* EUMs of one SM-DP+'s cards: a few manufacturers */

typedef struct anchor {
    X509 *x;             /* NULL: did not decode or has no usable fields (never matches) */
    rsp_pki22_info info;
    X509_STORE *store;   /* this CI alone */
} anchor;

struct rsp_pki22_anchors {
    anchor *a;
    size_t n;
    struct {
        rsp_buf der;
        X509 *x;
        rsp_pki22_info info;
        X509_STORE *store; /* x alone, trusted, partial chains allowed; NULL: always the whole chain */
        size_t ci;         /* the anchor its chain verified under */
    } eum[EUM_CACHE];
    unsigned eum_next;
};

void rsp_pki22_anchors_free(rsp_pki22_anchors *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        X509_STORE_free(t->a[i].store);
        X509_free(t->a[i].x);
    }
    for (size_t i = 0; i < EUM_CACHE; i++) {
        X509_STORE_free(t->eum[i].store);
        X509_free(t->eum[i].x);
        rsp_buf_free(&t->eum[i].der);
    }
    free(t->a);
    free(t);
}

rsp_err rsp_pki22_anchors_new(const rsp_bytes *cis, size_t n_ci, rsp_pki22_anchors **out, rsp_diag *diag)
{
    if (!out || (n_ci && !cis))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "anchors: no output or no certificates");
    *out = NULL;
    rsp_pki22_anchors *t = calloc(1, sizeof(*t));
    if (!t || (n_ci && !(t->a = calloc(n_ci, sizeof(*t->a))))) {
        free(t);
        return rsp_diag_set(diag, RSP_ERR_NOMEM, "anchors: out of memory");
    }
    t->n = n_ci;
    for (size_t k = 0; k < n_ci; k++) {
        /* an undecodable entry is skipped, as the one-shot check always did: it can anchor nothing */
        anchor *a = &t->a[k];
        a->x = rsp_pki22__decode(cis[k].p, cis[k].len, NULL);
        if (a->x && rsp_pki22__fill_info(a->x, &a->info, NULL) != RSP_OK) {
            X509_free(a->x);
            a->x = NULL;
        }
        if (a->x && (!(a->store = X509_STORE_new()) || X509_STORE_add_cert(a->store, a->x) != 1)) {
            rsp_pki22_anchors_free(t);
            return rsp_diag_set(diag, RSP_ERR_CRYPTO, "anchors: cannot build the trust store");
        }
    }
    *out = t;
    return RSP_OK;
}

/* SGP.22 reads the EUM's directoryName constraint as a serialNumber prefix, which X.509's RDN match
 * never satisfies; rsp_pki22__eid_permitted checks it instead. Every other error stands. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    return ok || X509_STORE_CTX_get_error(ctx) == X509_V_ERR_PERMITTED_VIOLATION;
}

static rsp_err refuse(rsp_pki22_fault *fault, rsp_pki22_fault f, rsp_diag *diag, const char *what, const char *why)
{
    if (fault)
        *fault = f;
    return rsp_diag_set(diag, RSP_ERR_VERIFY, "%s: %s", what, why);
}

/* OpenSSL's chain check over leaf [eum] and the anchor's store with the time given. */
static rsp_err openssl_chain(X509 *leaf, X509 *eum, X509_STORE *st, time_t at, rsp_pki22_fault *fault,
                             rsp_diag *diag)
{
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    rsp_err e = RSP_ERR_CRYPTO;
    if (ctx && untrusted && (!eum || sk_X509_push(untrusted, eum) > 0) &&
        X509_STORE_CTX_init(ctx, st, leaf, untrusted) == 1) {
        X509_STORE_CTX_set_time(ctx, 0, at ? at : time(NULL));
        X509_STORE_CTX_set_verify_cb(ctx, verify_cb);
        if (X509_verify_cert(ctx) == 1) {
            e = RSP_OK;
        } else {
            int err = X509_STORE_CTX_get_error(ctx);
            bool time_fault = err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID;
            e = refuse(fault, time_fault ? RSP_PKI22_EXPIRED : RSP_PKI22_BAD_CERT, diag, "chain",
                       X509_verify_cert_error_string(err));
        }
    }
    sk_X509_free(untrusted); /* the certificates are the caller's */
    X509_STORE_CTX_free(ctx);
    return e;
}

/* An EUM certificate decoded: from the cache when these exact bytes verified before (a reference the
 * caller frees; *slot its entry), else decoded now (*slot -1). NULL with diag set when it does not
 * decode. */
static X509 *eum_get(rsp_pki22_anchors *t, const uint8_t *der, size_t len, rsp_pki22_info *info, int *slot,
                     rsp_diag *diag)
{
    for (size_t i = 0; i < EUM_CACHE; i++)
        if (t->eum[i].x && t->eum[i].der.len == len && !memcmp(t->eum[i].der.data, der, len) &&
            X509_up_ref(t->eum[i].x) == 1) {
            *info = t->eum[i].info;
            *slot = (int)i;
            return t->eum[i].x;
        }
    *slot = -1;
    X509 *x = rsp_pki22__decode(der, len, diag);
    if (x && rsp_pki22__fill_info(x, info, diag) != RSP_OK) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* Kept only after its chain verified under anchor ci: certificates that fail cannot push good ones out. */
static void eum_put(rsp_pki22_anchors *t, const uint8_t *der, size_t len, X509 *x, const rsp_pki22_info *info,
                    size_t ci)
{
    unsigned k = t->eum_next++ % EUM_CACHE;
    X509_STORE_free(t->eum[k].store);
    t->eum[k].store = NULL;
    X509_free(t->eum[k].x);
    t->eum[k].x = NULL;
    if (rsp_buf_set(&t->eum[k].der, der, len) != RSP_OK || X509_up_ref(x) != 1)
        return; /* the slot stays empty: its bytes and its certificate never disagree */
    t->eum[k].x = x;
    t->eum[k].info = *info;
    t->eum[k].ci = ci;
    /* policy extensions of a trust anchor are not read by OpenSSL: such an EUM keeps the whole chain */
    bool policies = X509_get_ext_by_NID(x, NID_policy_constraints, -1) >= 0 ||
                    X509_get_ext_by_NID(x, NID_policy_mappings, -1) >= 0 ||
                    X509_get_ext_by_NID(x, NID_inhibit_any_policy, -1) >= 0;
    X509_STORE *st = policies ? NULL : X509_STORE_new();
    if (st && (X509_STORE_add_cert(st, x) != 1 || X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN) != 1)) {
        X509_STORE_free(st);
        st = NULL;
    }
    t->eum[k].store = st;
}

/* What OpenSSL would check of the CI in the whole chain that can differ from the call that cached an
 * EUM under it: its validity at the time asked. A CI with name constraints takes the whole chain. */
static bool ci_unchanged(X509 *ci, time_t at)
{
    time_t when = at ? at : time(NULL);
    return X509_get_ext_by_NID(ci, NID_name_constraints, -1) < 0 &&
           X509_cmp_time(X509_get0_notBefore(ci), &when) < 0 && X509_cmp_time(X509_get0_notAfter(ci), &when) > 0;
}

rsp_err rsp_pki22_verify_with(rsp_pki22_anchors *t, const uint8_t *leaf, size_t leaf_len, rsp_pki22_role expect,
                              const uint8_t *eum, size_t eum_len, time_t at, rsp_pki22_info *leaf_info,
                              rsp_pki22_info *eum_info, size_t *ci_index, rsp_pki22_fault *fault, rsp_diag *diag)
{
    if (fault)
        *fault = RSP_PKI22_BAD_CERT;
    if (!t || (unsigned)expect >= RSP_PKI22_ROLE_COUNT || (expect == RSP_PKI22_EUICC) != (eum != NULL))
        return rsp_diag_set(diag, RSP_ERR_INVAL, "an eUICC certificate is verified with its EUM, no other role is");
    X509 *xl = NULL, *xe = NULL;
    rsp_pki22_info li, ei;
    int slot = -1;
    rsp_err e = RSP_ERR_FORMAT;
    if (!(xl = rsp_pki22__decode(leaf, leaf_len, diag)) || rsp_pki22__fill_info(xl, &li, diag) ||
        (eum && !(xe = eum_get(t, eum, eum_len, &ei, &slot, diag))))
        goto done;
    if (li.role != (int)expect) {
        e = refuse(fault, RSP_PKI22_BAD_ROLE, diag, "leaf", "the certificate policy is not the role expected");
        goto done;
    }
    if (xe && ei.role != RSP_PKI22_EUM) {
        e = refuse(fault, RSP_PKI22_BAD_ROLE, diag, "EUM", "the certificate policy is not the EUM's");
        goto done;
    }
    /* The anchor is the trusted CI whose SKI the top of the chain names; SGP.22 picks CIs by this id. */
    const rsp_pki22_info *top = xe ? &ei : &li;
    const uint8_t *want = expect == RSP_PKI22_CI ? top->ski : top->aki;
    size_t want_len = expect == RSP_PKI22_CI ? top->ski_len : top->aki_len, k = 0;
    for (; k < t->n; k++)
        if (t->a[k].x && t->a[k].info.ski_len == want_len && want_len && !memcmp(t->a[k].info.ski, want, want_len))
            break;
    if (k == t->n) {
        e = refuse(fault, RSP_PKI22_CI_UNKNOWN, diag, "chain", "no trusted CI has the issuer's key identifier");
        goto done;
    }
    const rsp_pki22_info *ci = &t->a[k].info;
    const char *why = ci->role == RSP_PKI22_CI ? rsp_pki22__profile_fault(ci, RSP_PKI22_CI)
                                               : "the trusted CI lacks the CI policy";
    if (why) {
        e = refuse(fault, RSP_PKI22_BAD_CERT, diag, "CI", why);
        goto done;
    }
    /* We issue TLS keys on P-256 only, but SGP.26 has a brainpool TLS certificate under its brainpool CI. */
    bool tls = rsp_pki22_role_is_tls(expect);
    if ((li.curve != ci->curve && !(tls && li.curve == RSP_CURVE_P256)) || (xe && ei.curve != ci->curve)) {
        e = refuse(fault, RSP_PKI22_BAD_CURVE, diag, "chain", "a key is not on the curve of its chain");
        goto done;
    }
    if ((why = rsp_pki22__profile_fault(&li, expect)) != NULL ||
        (xe && (why = rsp_pki22__profile_fault(&ei, RSP_PKI22_EUM)) != NULL)) {
        e = refuse(fault, RSP_PKI22_BAD_CERT, diag, "profile", why);
        goto done;
    }
    if (xe && (li.aki_len != ei.ski_len || memcmp(li.aki, ei.ski, li.aki_len))) {
        e = refuse(fault, RSP_PKI22_BAD_CERT, diag, "eUICC", "its AKI is not the EUM's SKI");
        goto done;
    }
    /* an EUM whose chain to this CI verified before: its signature stands, the rest is checked */
    bool partial = xe && slot >= 0 && t->eum[slot].store && t->eum[slot].ci == k && ci_unchanged(t->a[k].x, at);
    if ((e = partial ? openssl_chain(xl, NULL, t->eum[slot].store, at, fault, diag)
                     : openssl_chain(xl, xe, t->a[k].store, at, fault, diag)) != RSP_OK)
        goto done;
    if (xe && !rsp_pki22__eid_permitted(&ei, &li)) {
        e = refuse(fault, RSP_PKI22_EID_RANGE, diag, "eUICC", "the EID is outside the EUM's permitted prefixes");
        goto done;
    }
    if (xe && slot < 0)
        eum_put(t, eum, eum_len, xe, &ei, k);
    if (leaf_info)
        *leaf_info = li;
    if (eum_info && xe)
        *eum_info = ei;
    if (ci_index)
        *ci_index = k;
    if (fault)
        *fault = RSP_PKI22_OK;
done:
    X509_free(xl);
    X509_free(xe);
    return e;
}

rsp_err rsp_pki22_verify(const uint8_t *leaf, size_t leaf_len, rsp_pki22_role expect, const uint8_t *eum,
                         size_t eum_len, const rsp_bytes *cis, size_t n_ci, time_t at, rsp_pki22_info *leaf_info,
                         size_t *ci_index, rsp_pki22_fault *fault, rsp_diag *diag)
{
    if (fault)
        *fault = RSP_PKI22_BAD_CERT;
    rsp_pki22_anchors *t = NULL;
    rsp_err e = rsp_pki22_anchors_new(cis, n_ci, &t, diag);
    if (e == RSP_OK)
        e = rsp_pki22_verify_with(t, leaf, leaf_len, expect, eum, eum_len, at, leaf_info, NULL, ci_index, fault,
                                  diag);
    rsp_pki22_anchors_free(t);
    return e;
}
