/* The SM-DP's SCP03 session with an ISD-P it downloaded (lib/smdp/isdp.c) against the eUICC model
 * (lib/euicc), with a harness ES3 that carries each C-APDU as the SM-SR does (lib/smsr/es3.c
 * smsr_es3_send_isdp): one SCP80 SMS script to the ISD-R, INSTALL [for personalization] of the ISD-P
 * first, answered with the last R-APDU's data when every SW is 9000. Outside fact: SGP02.md's STORE DATA
 * 3A07 for SMSC +33689924111, `80E288000E3A070BA0090607913386994211F1`, built byte for byte and read
 * back from the card. Also: wrong keys refused by the card cryptogram, PUT KEY of the token key and the
 * master delete it authorises (a wrong token refused), keys sealed at rest (round trip, tamper,
 * another ICCID, another master key, no clear key in the file), the master key file. The name
 * (test_smdpcard_*) links every layer: the card model is lib/euicc. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rsp/smdp.h"
#include "test_euicc_fixture.h"

#define TAR 0x40u
#define ICCID "8944501000000000013"

typedef struct harness {
    fx x;
    rsp_euicc *c;
    unsigned n_send, n_conn;
    bool conn_as_send;          /* a broken SM-SR route: wrapped commands by SendData too */
    bool flip_rmac;             /* the wrapped command's answer altered on its way back */
} harness;

static rsp_err to_card(harness *h, const uint8_t *p, size_t len, rsp_buf *resp, rsp_diag *diag)
{
    char aid[33], perso[80];
    fx_isdp_hex(TAR, aid);
    snprintf(perso, sizeof perso, "80E6200016000010%s000000", aid);
    char *hex = rsp_hex_dup(p, len);
    const char *s[2] = {perso, hex};
    rsp_buf data = RSP_BUF_INIT;
    uint16_t sw = fx_sms_script(&h->x, h->c, 1, s, 2, &data, NULL);
    free(hex);
    rsp_err e = sw == 0x9000 ? RSP_OK : rsp_diag_set(diag, RSP_ERR_DENIED, "refused by the eUICC: SW %04X", sw);
    if (e == RSP_OK && resp) {
        rsp_buf_reset(resp);
        e = rsp_buf_append(resp, data.data, data.len);
    }
    rsp_buf_free(&data);
    return e;
}

static rsp_err h_send(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                      rsp_diag *diag)
{
    harness *h = arg;
    (void)eid;
    assert_string_equal(iccid, ICCID);
    h->n_send++;
    return to_card(h, p, len, resp, diag);
}

static rsp_err h_conn(void *arg, const char *eid, const char *iccid, const uint8_t *p, size_t len, rsp_buf *resp,
                      rsp_diag *diag)
{
    harness *h = arg;
    (void)eid;
    assert_string_equal(iccid, ICCID);
    assert_int_equal(p[0], 0x84); /* only the session's secured commands come this way */
    h->n_conn++;
    rsp_err e = to_card(h, p, len, resp, diag);
    if (e == RSP_OK && h->flip_rmac && p[1] == 0xE2 && resp && resp->len) /* the STORE DATA's R-MAC */
        resp->data[resp->len - 1] ^= 0x01;
    return e;
}

static rsp_smdp_es3 es3_of(harness *h)
{
    rsp_smdp_es3 e;
    memset(&e, 0, sizeof e);
    e.arg = h;
    e.send_data = h_send;
    e.conn = h_conn;
    return e;
}

static void setup_card(harness *h, rsp_scp03_keys *keys)
{
    memset(h, 0, sizeof *h);
    fx_setup(&h->x, NULL, 1);
    h->c = fx_card(&h->x, 0);
    rsp_buf pkg = RSP_BUF_INIT;
    fx_package("TS48v7_SAIP2.3_NoBERTLV.der", "894450100000000300", "001010000000300", 0, &pkg);
    fx_download(&h->x, h->c, 0, TAR, &pkg, keys);
    rsp_buf_free_secret(&pkg);
}

static void test_ucp_outside_fact(void **state)
{
    (void)state;
    rsp_buf a = RSP_BUF_INIT, p = RSP_BUF_INIT;
    tu_hex("A0090607913386994211F1", &p);
    assert_int_equal(rsp_smdp_ucp_apdu(p.data, p.len, &a), RSP_OK);
    tu_assert_hex(a.data, a.len, "80E288000E3A070BA0090607913386994211F1");
    rsp_buf_reset(&a);
    p.data[0] = 0xA3; /* the SM-SR's addressing parameters are not the SM-DP's */
    assert_int_equal(rsp_smdp_ucp_apdu(p.data, p.len, &a), RSP_ERR_INVAL);
    uint8_t big[250] = {0xA0};
    assert_int_equal(rsp_smdp_ucp_apdu(big, sizeof big, &a), RSP_ERR_INVAL);
    assert_int_equal(a.len, 0);
    rsp_buf_free(&a);
    rsp_buf_free(&p);
}

/* The UpdateConnectivityParameters STORE DATA (3A07) of the parameters in hex, built in a. */
static rsp_bytes ucp_cmd(const char *params_hex, rsp_buf *p, rsp_buf *a)
{
    tu_hex(params_hex, p);
    rsp_buf_reset(a);
    assert_int_equal(rsp_smdp_ucp_apdu(p->data, p->len, a), RSP_OK);
    return rsp_buf_view(a);
}

static void test_session_ucp_token_master_delete(void **state)
{
    (void)state;
    harness h;
    rsp_scp03_keys keys;
    setup_card(&h, &keys);
    rsp_smdp_es3 es3 = es3_of(&h);
    char eid[33];
    fx_eid(0, eid);
    rsp_diag d;
    rsp_diag_clear(&d);

    /* 3A07 in the session: the card's profile has the SMSC of the SGP02.md example */
    rsp_buf a = RSP_BUF_INIT, p = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    rsp_bytes cmd = ucp_cmd("A0090607913386994211F1", &p, &a);
    assert_string_equal(fx_prof(h.c, TAR).smsc, "");
    assert_int_equal(rsp_smdp_isdp_session(&es3, eid, ICCID, &keys, &cmd, 1, &resp, &d), RSP_OK);
    assert_string_equal(fx_prof(h.c, TAR).smsc, "33689924111");
    assert_int_equal(h.n_send, 1); /* INITIALIZE UPDATE */
    assert_int_equal(h.n_conn, 2); /* EXTERNAL AUTHENTICATE, the wrapped STORE DATA */

    /* keys that are not the download's: the card cryptogram does not verify, nothing is sent further */
    rsp_scp03_keys bad = keys;
    bad.mac[3] ^= 0x10;
    cmd = ucp_cmd("A0090607913386994211F2", &p, &a);
    h.n_send = h.n_conn = 0;
    assert_int_not_equal(rsp_smdp_isdp_session(&es3, eid, ICCID, &bad, &cmd, 1, &resp, &d), RSP_OK);
    assert_int_equal(h.n_send, 1);
    assert_int_equal(h.n_conn, 0);
    assert_string_equal(fx_prof(h.c, TAR).smsc, "33689924111");

    /* PUT KEY of the token key: the card answers 70 KCV and keeps it */
    uint8_t token[16], kcv[3];
    rsp_random(token, 16);
    rsp_buf_reset(&a);
    assert_int_equal(rsp_smdp_put_token_apdu(&keys, token, &a, kcv), RSP_OK);
    assert_int_equal(a.len, 29);
    tu_assert_hex(a.data, 9, "80D800011870881110");
    cmd = rsp_buf_view(&a);
    assert_false(fx_prof(h.c, TAR).has_token);
    assert_int_equal(rsp_smdp_isdp_session(&es3, eid, ICCID, &keys, &cmd, 1, &resp, &d), RSP_OK);
    assert_true(fx_prof(h.c, TAR).has_token);
    assert_int_equal(resp.len, 4);
    assert_int_equal(resp.data[0], 0x70);
    assert_memory_equal(resp.data + 1, kcv, 3);

    /* master delete: a wrong token is refused (6982), the right one deletes the ISD-P */
    rsp_aid aid;
    assert_int_equal(rsp_aid_isdp(TAR, &aid), RSP_OK);
    uint8_t wrong[16];
    memcpy(wrong, token, 16);
    wrong[0] ^= 1;
    rsp_buf_reset(&a);
    assert_int_equal(rsp_smdp_master_delete_apdu(wrong, aid.b, aid.len, "SM-DP", "MNO1", 1, &a), RSP_OK);
    rsp_diag_clear(&d);
    assert_int_equal(h_send(&h, eid, ICCID, a.data, a.len, &resp, &d), RSP_ERR_DENIED);
    if (!strstr(d.msg, "6982"))
        fail_msg("%s", d.msg);
    assert_int_equal(fx_prof(h.c, TAR).lcs, 0x1F);
    rsp_buf_reset(&a);
    assert_int_equal(rsp_smdp_master_delete_apdu(token, aid.b, aid.len, "SM-DP", "MNO1", 1, &a), RSP_OK);
    tu_assert_hex(a.data, 4, "80E40040");
    assert_int_equal(a.data[5], 0x4F);
    assert_int_equal(h_send(&h, eid, ICCID, a.data, a.len, &resp, &d), RSP_OK);
    assert_int_equal(fx_prof(h.c, TAR).lcs, 0);
    rsp_wipe(token, sizeof token);
    rsp_buf_free(&a);
    rsp_buf_free(&p);
    rsp_buf_free(&resp);
    fx_teardown(&h.x);
}

static bool contains(const rsp_buf *b, const uint8_t k[16])
{
    for (size_t i = 0; i + 16 <= b->len; i++)
        if (memcmp(b->data + i, k, 16) == 0)
            return true;
    return false;
}

/* Bad input "a card answer with a bad MAC": the ISD-P's answer to the wrapped STORE DATA 3A07 comes
 * back with one bit of its R-MAC flipped: the session reports a verification failure, not success. */
static void test_bad_rmac(void **state)
{
    (void)state;
    harness h;
    rsp_scp03_keys keys;
    setup_card(&h, &keys);
    rsp_smdp_es3 es3 = es3_of(&h);
    char eid[33];
    fx_eid(0, eid);
    rsp_diag d;
    rsp_diag_clear(&d);
    rsp_buf a = RSP_BUF_INIT, p = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    rsp_bytes cmd = ucp_cmd("A0090607913386994211F1", &p, &a);
    h.flip_rmac = true;
    assert_int_equal(rsp_smdp_isdp_session(&es3, eid, ICCID, &keys, &cmd, 1, &resp, &d), RSP_ERR_VERIFY);
    assert_true(d.msg[0] != 0);
    assert_int_equal(h.n_conn, 2); /* it was the STORE DATA's answer that failed, not the session's opening */
    /* the same command with the answer intact: success, so the failure above was the R-MAC's */
    h.flip_rmac = false;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_smdp_isdp_session(&es3, eid, ICCID, &keys, &cmd, 1, &resp, &d), RSP_OK);
    rsp_buf_free(&a);
    rsp_buf_free(&p);
    rsp_buf_free(&resp);
    rsp_wipe(&keys, sizeof keys);
    fx_teardown(&h.x);
}

static void test_keys_at_rest(void **state)
{
    (void)state;
    char dir[] = "/tmp/smdp-isdp-XXXXXX";
    assert_non_null(mkdtemp(dir));
    uint8_t mk[32], mk2[32];
    size_t mkl = 0, mkl2 = 0;
    rsp_diag d;
    rsp_diag_clear(&d);
    /* the master key: made once (0600, 64 hex digits), the same one read back */
    assert_int_equal(rsp_smdp_master_key(dir, NULL, mk, &mkl, &d), RSP_OK);
    assert_int_equal(mkl, 32);
    assert_int_equal(rsp_smdp_master_key(dir, NULL, mk2, &mkl2, &d), RSP_OK);
    assert_memory_equal(mk, mk2, 32);
    char path[128];
    snprintf(path, sizeof path, "%s/master.key", dir);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 65);
    /* four processes making it at once (daemon and CLI starting together): one key, the same for all,
     * no temporary file left (each writes its own and links it into place; the losers read the winner's) */
    {
        char d2[64];
        snprintf(d2, sizeof d2, "%s/race", dir);
        assert_int_equal(mkdir(d2, 0700), 0);
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        for (int i = 0; i < 4; i++) {
            pid_t pid = fork();
            assert_true(pid >= 0);
            if (pid == 0) {
                uint8_t k[32] = {0};
                size_t kl = 0;
                int ok = rsp_smdp_master_key(d2, NULL, k, &kl, NULL) == RSP_OK && kl == 32;
                _exit(ok && write(fds[1], k, 32) == 32 ? 0 : 1);
            }
        }
        close(fds[1]);
        for (int i = 0; i < 4; i++) {
            int status = 0;
            assert_true(wait(&status) > 0);
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
        uint8_t got[4][32], mine[32];
        size_t ml = 0;
        for (int i = 0; i < 4; i++)
            assert_int_equal(read(fds[0], got[i], 32), 32);
        close(fds[0]);
        assert_int_equal(rsp_smdp_master_key(d2, NULL, mine, &ml, NULL), RSP_OK);
        for (int i = 0; i < 4; i++)
            assert_memory_equal(got[i], mine, 32);
        char cmd[160], out[16] = "";
        snprintf(cmd, sizeof cmd, "ls %s | grep -c tmp", d2);
        FILE *ls = popen(cmd, "r");
        assert_non_null(ls);
        assert_non_null(fgets(out, sizeof out, ls));
        pclose(ls);
        assert_int_equal(atoi(out), 0);
        rsp_wipe(mine, sizeof mine);
    }
    snprintf(path, sizeof path, "%s/bad.key", dir);
    FILE *f = fopen(path, "w");
    fputs("00112233\n", f);
    fclose(f);
    assert_int_equal(rsp_smdp_master_key(dir, path, mk2, &mkl2, &d), RSP_ERR_FORMAT);
    snprintf(path, sizeof path, "%s/none.key", dir);
    assert_int_equal(rsp_smdp_master_key(dir, path, mk2, &mkl2, &d), RSP_ERR_NOT_FOUND);

    rsp_smdp_isdp_keys k, r;
    memset(&k, 0, sizeof k);
    uint8_t enc[16], mac[16], dek[16];
    for (int i = 0; i < 16; i++)
        enc[i] = (uint8_t)(0xA0 + i), mac[i] = (uint8_t)(0xB0 + i), dek[i] = (uint8_t)(0xC0 + i), k.token[i] = (uint8_t)i;
    assert_int_equal(rsp_scp03_keys_set(&k.keys, 0x30, enc, mac, dek, 16), RSP_OK);
    k.has_token = true;
    assert_int_equal(rsp_smdp_isdp_keys_load(dir, mk, mkl, ICCID, &r, &d), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_smdp_isdp_keys_save(dir, mk, mkl, ICCID, &k), RSP_OK);
    assert_int_equal(rsp_smdp_isdp_keys_load(dir, mk, mkl, ICCID, &r, &d), RSP_OK);
    assert_int_equal(r.keys.kvn, 0x30);
    assert_memory_equal(r.keys.enc, enc, 16);
    assert_memory_equal(r.keys.mac, mac, 16);
    assert_memory_equal(r.keys.dek, dek, 16);
    assert_true(r.has_token);
    assert_memory_equal(r.token, k.token, 16);
    rsp_smdp_isdp_keys_wipe(&r);
    /* the file holds no clear key */
    char kp[160], kp2[160];
    snprintf(kp, sizeof kp, "%s/isdp/%s.key", dir, ICCID);
    rsp_buf b = RSP_BUF_INIT;
    tu_read_file(kp, &b);
    assert_int_equal(b.len, 114);
    assert_false(contains(&b, enc));
    assert_false(contains(&b, dek));
    assert_false(contains(&b, k.token));
    /* another master key, another ICCID's name, one flipped bit: refused */
    mk2[0] = (uint8_t)(mk[0] ^ 1);
    memcpy(mk2 + 1, mk + 1, 31);
    assert_int_equal(rsp_smdp_isdp_keys_load(dir, mk2, 32, ICCID, &r, &d), RSP_ERR_VERIFY);
    snprintf(kp2, sizeof kp2, "%s/isdp/8944501000000000021.key", dir);
    assert_int_equal(rename(kp, kp2), 0);
    assert_int_equal(rsp_smdp_isdp_keys_load(dir, mk, mkl, "8944501000000000021", &r, &d), RSP_ERR_VERIFY);
    assert_int_equal(rename(kp2, kp), 0);
    b.data[40] ^= 1;
    f = fopen(kp, "wb");
    fwrite(b.data, 1, b.len, f);
    fclose(f);
    assert_int_equal(rsp_smdp_isdp_keys_load(dir, mk, mkl, ICCID, &r, &d), RSP_ERR_VERIFY);
    assert_int_equal(rsp_smdp_isdp_keys_load(dir, mk, mkl, "../../etc/x", &r, &d), RSP_ERR_INVAL);
    assert_int_equal(rsp_smdp_isdp_keys_forget(dir, ICCID), RSP_OK);
    assert_int_equal(rsp_smdp_isdp_keys_load(dir, mk, mkl, ICCID, &r, &d), RSP_ERR_NOT_FOUND);
    rsp_buf_free(&b);
    rsp_smdp_isdp_keys_wipe(&k);
    char cmd[96];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ucp_outside_fact),
        cmocka_unit_test(test_session_ucp_token_master_delete),
        cmocka_unit_test(test_keys_at_rest),
        cmocka_unit_test(test_bad_rmac),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
