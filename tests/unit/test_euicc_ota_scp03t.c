/* SCP03t carried in SCP80 packets (the SMS-only download, docs/ENCODINGS.md "SCP03t over SCP80"), card
 * side: each SCP03t body (84; 85 + first 86; each further 86) is the secured data of one concatenated
 * SMS packet to the ISD-P's TAR, exactly as the SM-DP hands them to ES3.SendData; the PoR's response
 * data is the ISD-P's answer as it is (84 answer, nothing, EUICCResponse). Checks: the whole TS.48
 * package installs over SMS only and the session lives across packets; a 1 KB segment needs 9 SMS
 * (from the SMS sizes of SGP02.md "SCP80 over SMS": a fact from outside, not our split); an expanded
 * script (AA) to the same ISD-P still runs as a script; a reset (the card process killed) mid-download
 * leaves the ISD-P created and empty, the old session's next segment is answered 9F 03 and a new 84
 * starts again; a DELETE of the ISD-P mid-download ends the session (an ISD-P made again at the same
 * TAR cannot continue it); malformed bodies (bad MAC, truncated TLV) answer 9F xx and install nothing. */
#include "test_euicc_fixture.h"

#define TAR 0x000020u

/* SM-SR -> card: one SCP80 packet (SPI 16 39) with data as secured data to tar; the PoR's status and
 * response data. *parts: how many SMS the packet took. */
static uint8_t sms_raw(fx *x, rsp_euicc *c, uint32_t tar, const uint8_t *data, size_t len, rsp_buf *resp,
                       size_t *parts)
{
    const uint8_t spi[2] = {0x16, 0x39};
    rsp_buf tp[16];
    size_t nt = 0;
    x->cntr++;
    fx_sms_packet(x, tar, spi, x->cntr, data, len, tp, &nt);
    if (parts)
        *parts = nt;
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    fx_feed(x, c, tp, nt, &out);
    rsp_buf por = RSP_BUF_INIT;
    fx_por_ud(&out, &por);
    assert_true(por.len > 0);
    uint8_t ki = (uint8_t)(x->kvn << 4 | 2);
    rsp_scp80_hdr h = {{0x16, 0x39}, ki, ki, {0}, {0}, 0, 0};
    rsp_scp80_keys k = {x->kic, 16, x->kid, 16};
    uint8_t *work = malloc(por.len + 3);
    assert_non_null(work);
    rsp_scp80_por p;
    assert_int_equal(rsp_scp80_por_open(&k, &h, por.data, por.len, work, por.len + 3, &p, NULL), RSP_OK);
    assert_true(p.cc_valid);
    rsp_buf_reset(resp);
    rsp_buf_append(resp, p.data, p.data_len);
    uint8_t st = p.status;
    free(work);
    rsp_buf_free(&por);
    rsp_euicc_out_clear(&out);
    return st;
}

/* The SM-DP's SendData bodies for pkg, as lib/smdp/es8.c cuts them: the session opened with the card's
 * 84 answer. bodies[0] = 85 + first 86, then one 86 each. */
static size_t scp03t_open(fx *x, rsp_euicc *c, const rsp_scp03_keys *keys, rsp_scp03_session *s)
{
    uint8_t hc[8];
    rsp_random(hc, 8);
    rsp_buf b = RSP_BUF_INIT, r = RSP_BUF_INIT;
    assert_int_equal(rsp_scp03t_host_init(keys->kvn, 0x01, hc, &b), RSP_OK);
    size_t parts = 0;
    assert_int_equal(sms_raw(x, c, TAR, b.data, b.len, &r, &parts), RSP_SCP80_POR_OK);
    assert_int_equal(parts, 1);
    assert_true(r.len > 2 && r.data[0] == 0x84); /* the answer as it is, no R-APDU script around it */
    memset(s, 0, sizeof(*s));
    assert_int_equal(rsp_scp03t_host_begin(s, keys, hc, r.data, r.len, NULL), RSP_OK);
    rsp_buf_free(&b);
    rsp_buf_free(&r);
    return parts;
}

/* Sends segments [from, to) of pkg (1-based n as es8.c: segment 1 goes with 85); returns the last answer. */
static void send_segments(fx *x, rsp_euicc *c, rsp_scp03_session *s, const rsp_buf *pkg, size_t from, size_t to,
                          rsp_buf *last)
{
    size_t nseg = (pkg->len + RSP_SCP03T_SEGMENT - 1) / RSP_SCP03T_SEGMENT;
    for (size_t n = from; n < to && n <= nseg; n++) {
        rsp_buf b = RSP_BUF_INIT;
        if (n == 1)
            assert_int_equal(rsp_scp03t_host_auth(s, 0x33, &b), RSP_OK);
        size_t off = (n - 1) * RSP_SCP03T_SEGMENT;
        size_t len = pkg->len - off < RSP_SCP03T_SEGMENT ? pkg->len - off : RSP_SCP03T_SEGMENT;
        assert_int_equal(rsp_scp03t_host_wrap(s, pkg->data + off, len, RSP_SCP03T_SEGMENT, &b), RSP_OK);
        size_t parts = 0;
        assert_int_equal(sms_raw(x, c, TAR, b.data, b.len, last, &parts), RSP_SCP80_POR_OK);
        /* 1,024 plaintext bytes -> 86 82 04 18 (1,048) [+ 85 11 ...]: with CPL..CC and padding about
         * 1,100 bytes, 9 SMS of 140 bytes less their UDH (8 then 6 bytes: SGP02.md "SCP80 over SMS") */
        if (len == RSP_SCP03T_SEGMENT)
            assert_int_equal(parts, 9);
        if (n < nseg)
            assert_int_equal(last->len, 0); /* a segment before the last: nothing to answer */
        rsp_buf_free(&b);
    }
}

static void assert_installed(const rsp_buf *resp)
{
    rsp_saip_euicc_response r;
    assert_int_equal(rsp_saip_euicc_response_decode(resp->data, resp->len, &r, NULL), RSP_OK);
    assert_false(r.installation_aborted);
    assert_int_equal(r.n_pe_status, 1);
    assert_int_equal(r.pe_status[0].status, RSP_SAIP_ST_OK);
    rsp_saip_euicc_response_free(&r);
}

static void test_download_by_sms_only(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    rsp_buf pkg = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    fx_package("TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der", "894450100000000500", "001010000000500", 0, &pkg);
    assert_int_equal(fx_create_isdp(&x, c, TAR, 0x8000), 0x9000);
    rsp_scp03_keys keys;
    fx_keyest(&x, c, 0, TAR, &keys); /* AA scripts to the same ISD-P TAR: still scripts */
    rsp_scp03_session s;
    scp03t_open(&x, c, &keys, &s);
    size_t nseg = (pkg.len + RSP_SCP03T_SEGMENT - 1) / RSP_SCP03T_SEGMENT;
    assert_true(nseg >= 3);
    send_segments(&x, c, &s, &pkg, 1, 3, &resp);
    assert_int_equal(fx_prof(c, TAR).lcs, 0x07); /* nothing installed before the last segment */
    send_segments(&x, c, &s, &pkg, 3, nseg + 1, &resp);
    assert_installed(&resp);
    rsp_euicc_profile_info p = fx_prof(c, TAR);
    assert_int_equal(p.lcs, 0x1F);
    assert_int_equal(p.used, (int64_t)pkg.len);
    assert_string_equal(p.msisdn, "001010000000500");
    /* the session ended with the install: another segment is out of sequence */
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_scp03t_host_wrap(&s, pkg.data, 16, RSP_SCP03T_SEGMENT, &b), RSP_OK);
    assert_int_equal(sms_raw(&x, c, TAR, b.data, b.len, &resp, NULL), RSP_SCP80_POR_OK);
    tu_assert_hex(resp.data, resp.len, "9F03");
    /* and a script to the installed ISD-P's TAR still runs as a script (GET STATUS is an ISD-R
     * command: the ISD-P refuses it with an SW, inside an R-APDU script) */
    assert_true(fx_sms1(&x, c, TAR, "80F2400200", NULL) != 0);
    rsp_scp03_close(&s);
    rsp_buf_free(&b);
    rsp_buf_free(&resp);
    rsp_buf_free_secret(&pkg);
    fx_teardown(&x);
}

static void test_reset_and_delete_mid_download(void **state)
{
    (void)state;
    fx x;
    fx_setup(&x, NULL, 1);
    rsp_euicc *c = fx_card(&x, 0);
    rsp_buf pkg = RSP_BUF_INIT, resp = RSP_BUF_INIT;
    fx_package("TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der", "894450100000000600", "001010000000600", 0, &pkg);
    assert_int_equal(fx_create_isdp(&x, c, TAR, 0x8000), 0x9000);
    rsp_scp03_keys keys;
    fx_keyest(&x, c, 0, TAR, &keys);
    rsp_scp03_session s;
    scp03t_open(&x, c, &keys, &s);
    send_segments(&x, c, &s, &pkg, 1, 3, &resp);
    /* the card's process dies (RAM gone): the ISD-P is created and empty, as over HTTPS */
    rsp_euicc_reset(c, x.now);
    assert_int_equal(fx_prof(c, TAR).lcs, 0x07);
    assert_int_equal(fx_prof(c, TAR).used, 0);
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(rsp_scp03t_host_wrap(&s, pkg.data + 2 * RSP_SCP03T_SEGMENT, RSP_SCP03T_SEGMENT,
                                          RSP_SCP03T_SEGMENT, &b),
                     RSP_OK);
    assert_int_equal(sms_raw(&x, c, TAR, b.data, b.len, &resp, NULL), RSP_SCP80_POR_OK);
    tu_assert_hex(resp.data, resp.len, "9F03");
    rsp_scp03_close(&s);
    /* a new 84 starts over; half way, a bad MAC: 9F 02, the session and its partial package are gone */
    scp03t_open(&x, c, &keys, &s);
    send_segments(&x, c, &s, &pkg, 1, 2, &resp);
    rsp_buf_reset(&b);
    assert_int_equal(rsp_scp03t_host_wrap(&s, pkg.data + RSP_SCP03T_SEGMENT, RSP_SCP03T_SEGMENT, RSP_SCP03T_SEGMENT,
                                          &b),
                     RSP_OK);
    b.data[b.len - 1] ^= 0x01;
    assert_int_equal(sms_raw(&x, c, TAR, b.data, b.len, &resp, NULL), RSP_SCP80_POR_OK);
    assert_int_equal(resp.len, 2);
    assert_int_equal(resp.data[0], 0x9F);
    rsp_scp03_close(&s);
    /* truncated TLV (86 says 0x418 bytes, 3 come): 9F xx, nothing installed */
    scp03t_open(&x, c, &keys, &s);
    const uint8_t trunc[7] = {0x86, 0x82, 0x04, 0x18, 0x00, 0x01, 0x02};
    assert_int_equal(sms_raw(&x, c, TAR, trunc, sizeof(trunc), &resp, NULL), RSP_SCP80_POR_OK);
    assert_int_equal(resp.len, 2);
    assert_int_equal(resp.data[0], 0x9F);
    rsp_scp03_close(&s);
    assert_int_equal(fx_prof(c, TAR).lcs, 0x07);

    /* a session open, then the ISD-P is deleted (by SMS to the ISD-R) and made again at the same TAR
     * with new keys: the old session's next segment is out of sequence, not installed */
    scp03t_open(&x, c, &keys, &s);
    send_segments(&x, c, &s, &pkg, 1, 2, &resp);
    char aid[33], cmd[80];
    fx_isdp_hex(TAR, aid);
    snprintf(cmd, sizeof(cmd), "80E40040124F10%s", aid);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x9000);
    assert_int_equal(fx_create_isdp(&x, c, TAR, 0x8000), 0x9000);
    rsp_scp03_keys keys2;
    fx_keyest(&x, c, 0, TAR, &keys2);
    size_t nseg = (pkg.len + RSP_SCP03T_SEGMENT - 1) / RSP_SCP03T_SEGMENT;
    for (size_t n = 2; n <= nseg; n++) {
        rsp_buf_reset(&b);
        size_t off = (n - 1) * RSP_SCP03T_SEGMENT;
        size_t len = pkg.len - off < RSP_SCP03T_SEGMENT ? pkg.len - off : RSP_SCP03T_SEGMENT;
        assert_int_equal(rsp_scp03t_host_wrap(&s, pkg.data + off, len, RSP_SCP03T_SEGMENT, &b), RSP_OK);
        assert_int_equal(sms_raw(&x, c, TAR, b.data, b.len, &resp, NULL), RSP_SCP80_POR_OK);
        tu_assert_hex(resp.data, resp.len, "9F03");
    }
    rsp_scp03_close(&s);
    assert_int_equal(fx_prof(c, TAR).lcs, 0x07);
    /* the new ISD-P's own download installs */
    scp03t_open(&x, c, &keys2, &s);
    send_segments(&x, c, &s, &pkg, 1, nseg + 1, &resp);
    assert_installed(&resp);
    assert_int_equal(fx_prof(c, TAR).lcs, 0x1F);
    rsp_scp03_close(&s);
    /* an SCP03t body to the ISD-R is no SCP03t: it runs (and fails) as a compact script, not 9F xx */
    const uint8_t init[12] = {0x84, 0x0A, 0x30, 0x01, 1, 2, 3, 4, 5, 6, 7, 8};
    assert_int_equal(sms_raw(&x, c, 0x000001, init, sizeof(init), &resp, NULL), RSP_SCP80_POR_OK);
    assert_false(resp.len == 2 && resp.data[0] == 0x9F);
    assert_false(resp.len && resp.data[0] == 0x84);
    rsp_buf_free(&b);
    rsp_buf_free(&resp);
    rsp_buf_free_secret(&pkg);
    fx_teardown(&x);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_download_by_sms_only),
        cmocka_unit_test(test_reset_and_delete_mid_download),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
