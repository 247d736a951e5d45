#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "rsp/x509.h"
#include "x509_int.h"

static X509 *read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

int rsp_x509__add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return 0;
    int ok = X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return ok;
}

static int build_san(const rsp_x509_template *t, char *out, size_t outlen)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *const *d = t->dns; d && *d; d++)
        n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%sDNS:%s", n ? "," : "", *d);
    for (const char *const *d = t->ips; d && *d; d++)
        n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%sIP:%s", n ? "," : "", *d);
    return n < outlen;
}

rsp_err rsp_x509_issue(const rsp_x509_template *t, const rsp_eckey *subject_key, const rsp_eckey *issuer_key,
                       const char *issuer_cert_pem, const char *out_path)
{
    rsp_err rc = RSP_ERR_CRYPTO;
    X509 *x = X509_new(), *issuer = NULL;
    X509_NAME *name = NULL;
    FILE *f = NULL;
    if (!x)
        return RSP_ERR_NOMEM;
    if (issuer_cert_pem && !(issuer = read_cert(issuer_cert_pem))) {
        rc = RSP_ERR_IO;
        goto done;
    }
    name = X509_NAME_new();
    if (!name || X509_set_version(x, 2) != 1 || ASN1_INTEGER_set(X509_get_serialNumber(x), t->serial) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(x), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), (long)t->days * 86400L) ||
        X509_set_pubkey(x, (EVP_PKEY *)rsp_ec_evp_pkey(subject_key)) != 1)
        goto done;
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)t->common_name, -1, -1, 0) != 1 ||
        (t->organisation &&
         X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)t->organisation, -1, -1, 0) != 1))
        goto done;
    if (X509_set_subject_name(x, name) != 1 ||
        X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) != 1)
        goto done;
    X509 *iss = issuer ? issuer : x;
    if (!rsp_x509__add_ext(x, iss, NID_subject_key_identifier, "hash") ||
        !rsp_x509__add_ext(x, iss, NID_authority_key_identifier, "keyid:always"))
        goto done;
    if (t->is_ca) {
        if (!rsp_x509__add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE") ||
            !rsp_x509__add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"))
            goto done;
    } else {
        char san[1024];
        if (!rsp_x509__add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE") ||
            !rsp_x509__add_ext(x, iss, NID_key_usage, "critical,digitalSignature,keyAgreement") ||
            !rsp_x509__add_ext(x, iss, NID_ext_key_usage, "serverAuth,clientAuth") ||
            !build_san(t, san, sizeof(san)) ||
            (san[0] && !rsp_x509__add_ext(x, iss, NID_subject_alt_name, san)))
            goto done;
    }
    if (X509_sign(x, (EVP_PKEY *)rsp_ec_evp_pkey(issuer_key), EVP_sha256()) <= 0)
        goto done;
    rc = RSP_ERR_IO;
    f = fopen(out_path, "w");
    if (f && PEM_write_X509(f, x) == 1)
        rc = RSP_OK;
done:
    if (f && fclose(f) != 0)
        rc = RSP_ERR_IO;
    X509_NAME_free(name);
    X509_free(issuer);
    X509_free(x);
    return rc;
}

rsp_err rsp_x509_subject(const char *pem_path, char *out, size_t outlen)
{
    X509 *x = read_cert(pem_path);
    if (!x)
        return RSP_ERR_FORMAT;
    BIO *b = BIO_new(BIO_s_mem());
    rsp_err rc = RSP_ERR_CRYPTO;
    if (b && X509_NAME_print_ex(b, X509_get_subject_name(x), 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        int n = BIO_read(b, out, (int)outlen - 1);
        out[n > 0 ? n : 0] = '\0';
        rc = RSP_OK;
    }
    BIO_free(b);
    X509_free(x);
    return rc;
}

rsp_err rsp_x509_verify(const char *cert_pem, const char *ca_pem)
{
    X509 *x = read_cert(cert_pem), *ca = read_cert(ca_pem);
    X509_STORE *st = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    rsp_err rc = RSP_ERR_FORMAT;
    if (x && ca && st && ctx && X509_STORE_add_cert(st, ca) == 1 && X509_STORE_CTX_init(ctx, st, x, NULL) == 1)
        rc = X509_verify_cert(ctx) == 1 ? RSP_OK : RSP_ERR_VERIFY;
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(st);
    X509_free(ca);
    X509_free(x);
    return rc;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int rsp_x509__time_seconds(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    *out = days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400 +
           tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return 1;
}
