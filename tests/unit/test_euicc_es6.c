/* ES6 on the card model and the Operator's side of it (include/rsp/es6.h): a TS.48 package downloaded
 * and enabled, then reached through its own MNO-SD with the package's keys: EF.IMSI read (the IMSI the
 * package was personalised with) and updated, still updated after a power cut; EF.SMSP records; a
 * replayed counter (02), a wrong CC (01), too little security (0A), an unknown TAR (09), a disabled
 * profile's and a NoRAMRFM package's TARs (09), each changing nothing; GET STATUS on the RAM TAR;
 * malformed RFM commands answered with their status words; malformed PoRs refused by the answer
 * parser; and VECTORS.txt §A3 (a real card's RFM packet, 3DES, TAR B00010) rebuilt byte for byte by
 * the Operator-side builder. */
#include "test_euicc_fixture.h"

#include "euicc/mno_sd.h"
#include "rsp/es6.h"

static const uint8_t TS48_KEY[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t SPI[2] = {0x16, 0x39};

typedef struct op {
    uint8_t kvn, alg;             /* KIc/KID low nibble: 2 AES, 5 3DES */
    uint8_t kic[16], kid[16];
    uint64_t cntr;
    uint8_t spi[2];
} op;

static void op_init(op *o)
{
    memset(o, 0, sizeof(*o));
    o->kvn = 2; /* TS.48: KVN 02 is the AES key set (keyType 88) */
    o->alg = 2;
    memcpy(o->kic, TS48_KEY, 16);
    memcpy(o->kid, TS48_KEY, 16);
    memcpy(o->spi, SPI, 2);
}

/* Sends script to tar under o's keys and counter; fills ans (RSP_OK) or returns the parser's error. */
static rsp_err send_script(fx *x, rsp_euicc *c, op *o, uint32_t tar, const rsp_buf *script, rsp_es6_answer *ans)
{
    uint8_t ki = (uint8_t)(o->kvn << 4 | o->alg);
    rsp_scp80_hdr h = {{o->spi[0], o->spi[1]}, ki, ki, {(uint8_t)(tar >> 16), (uint8_t)(tar >> 8), (uint8_t)tar}, {0}, 0, 0};
    for (int i = 0; i < 5; i++)
        h.cntr[i] = (uint8_t)(o->cntr >> (8 * (4 - i)));
    rsp_scp80_keys k = {o->kic, 16, o->kid, 16};
    rsp_buf parts[16], tp[16];
    size_t n = 0;
    for (int i = 0; i < 16; i++)
        rsp_buf_init(&parts[i]);
    assert_int_equal(rsp_es6_packet(&k, &h, script->data, script->len, (uint8_t)o->cntr, parts, 16, &n, NULL), RSP_OK);
    for (size_t i = 0; i < n; i++) {
        rsp_sms_tpdu t;
        memset(&t, 0, sizeof(t));
        t.type = RSP_SMS_DELIVER;
        rsp_sms_addr_set(&t.addr, 0x91, "447700900555");
        t.ud = parts[i].data;
        t.ud_len = parts[i].len;
        rsp_buf_init(&tp[i]);
        assert_int_equal(rsp_sms_tpdu_build(&t, &tp[i]), RSP_OK);
    }
    rsp_euicc_out out;
    memset(&out, 0, sizeof(out));
    fx_feed(x, c, tp, n, &out);
    rsp_buf por = RSP_BUF_INIT;
    fx_por_ud(&out, &por);
    rsp_euicc_out_clear(&out);
    for (int i = 0; i < 16; i++)
        rsp_buf_free(&parts[i]);
    assert_true(por.len > 0);
    /* the PoR goes back to the sender, not to the SM-SR */
    rsp_err e = rsp_es6_answer_parse(&k, &h, por.data, por.len, ans, NULL);
    rsp_buf_free(&por);
    return e;
}

static void req(fx *x, rsp_euicc *c, op *o, uint32_t tar, const rsp_es6_cmd *cmd, rsp_es6_answer *ans)
{
    rsp_buf s = RSP_BUF_INIT;
    assert_int_equal(rsp_es6_script(cmd, &s), RSP_OK);
    o->cntr++;
    assert_int_equal(send_script(x, c, o, tar, &s, ans), RSP_OK);
    rsp_buf_free(&s);
}

static void read_imsi(fx *x, rsp_euicc *c, op *o, char imsi[16])
{
    rsp_es6_cmd cmd = {RSP_ES6_READ, {0x7FF0, 0x6F07}, 2, 0, NULL, 0};
    rsp_es6_answer a;
    req(x, c, o, RSP_ES6_TAR_RFM_USIM, &cmd, &a);
    assert_int_equal(a.status, 0);
    assert_true(a.secured);
    assert_int_equal(a.sw, 0x9000);
    assert_int_equal(a.executed, 3);
    assert_int_equal(rsp_saip_imsi_decode(a.data, a.data_len, imsi), RSP_OK);
}

/* A card with `file` downloaded into ISD-P tar and enabled (IMSI imsi). */
static rsp_euicc *card_with(fx *x, const char *file, uint32_t tar, const char *imsi)
{
    fx_setup(x, NULL, 1);
    rsp_euicc *c = fx_card(x, 0);
    rsp_buf pkg = RSP_BUF_INIT;
    fx_package(file, "894450100000000600", imsi, 0, &pkg);
    rsp_scp03_keys keys;
    fx_download(x, c, 0, tar, &pkg, &keys);
    char cmd[80];
    fx_sd_aid("3A03", tar, cmd);
    assert_int_equal(fx_sms1(x, c, 1, cmd, NULL), 0x9000);
    assert_int_equal(fx_prof(c, tar).lcs, 0x3F);
    rsp_buf_free_secret(&pkg);
    return c;
}

static void test_read_update_durable(void **state)
{
    (void)state;
    fx x;
    rsp_euicc *c = card_with(&x, "TS48v7_SAIP2.3_NoBERTLV.der", 0x30, "001019876543210");
    op o;
    op_init(&o);
    char imsi[16];
    read_imsi(&x, c, &o, imsi);
    assert_string_equal(imsi, "001019876543210");
    /* UPDATE BINARY of EF.IMSI, then READ BINARY: the new value */
    uint8_t enc[9];
    assert_int_equal(rsp_saip_imsi_encode("001017777777777", enc), RSP_OK);
    rsp_es6_cmd up = {RSP_ES6_UPDATE, {0x7FF0, 0x6F07}, 2, 0, enc, 9};
    rsp_es6_answer a;
    req(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &up, &a);
    assert_int_equal(a.status, 0);
    assert_int_equal(a.sw, 0x9000);
    read_imsi(&x, c, &o, imsi);
    assert_string_equal(imsi, "001017777777777");
    /* a power cut: RAM back to what NVM holds; the update and the counter survive */
    rsp_euicc_reset(c, x.now);
    read_imsi(&x, c, &o, imsi);
    assert_string_equal(imsi, "001017777777777");
    /* the UICC RFM instance starts at the MF: EF.ICCID (2FE2) is there, ADF.USIM is not */
    rsp_es6_cmd iccid = {RSP_ES6_READ, {0x2FE2}, 1, 0, NULL, 0};
    req(&x, c, &o, RSP_ES6_TAR_RFM_UICC, &iccid, &a);
    assert_int_equal(a.sw, 0x9000);
    assert_int_equal(a.data_len, 10);
    assert_int_equal(a.data[0], 0x98); /* 89.. nibble-swapped */
    rsp_es6_cmd adf = {RSP_ES6_READ, {0x7FF0, 0x6F07}, 2, 0, NULL, 0};
    req(&x, c, &o, RSP_ES6_TAR_RFM_UICC, &adf, &a);
    assert_int_equal(a.sw, 0x6A82);
    assert_int_equal(a.executed, 1);
    fx_teardown(&x);
}

static void test_records_and_status(void **state)
{
    (void)state;
    fx x;
    rsp_euicc *c = card_with(&x, "TS48v7_SAIP2.3_NoBERTLV.der", 0x30, "001019876543211");
    op o;
    op_init(&o);
    rsp_es6_answer a;
    /* EF.SMSP: 2 records of 42 bytes, no content in the package: FF */
    rsp_es6_cmd rr = {RSP_ES6_READ_RECORD, {0x7FF0, 0x6F42}, 2, 2, NULL, 0};
    req(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &rr, &a);
    assert_int_equal(a.sw, 0x9000);
    assert_int_equal(a.data_len, 42);
    for (size_t i = 0; i < 42; i++)
        assert_int_equal(a.data[i], 0xFF);
    uint8_t rec[42];
    for (size_t i = 0; i < 42; i++)
        rec[i] = (uint8_t)i;
    rsp_es6_cmd ur = {RSP_ES6_UPDATE_RECORD, {0x7FF0, 0x6F42}, 2, 2, rec, 42};
    req(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &ur, &a);
    assert_int_equal(a.sw, 0x9000);
    req(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &rr, &a);
    assert_memory_equal(a.data, rec, 42);
    rr.record = 1; /* record 1 untouched */
    req(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &rr, &a);
    assert_int_equal(a.data[0], 0xFF);
    rr.record = 3;
    req(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &rr, &a);
    assert_int_equal(a.sw, 0x6A83);
    ur.data_len = 41; /* a record of the wrong size */
    req(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &ur, &a);
    assert_int_equal(a.sw, 0x6700);
    /* GET STATUS on the MNO-SD's own TAR (B20100 in its toolkit parameters): the four RFM instances */
    rsp_es6_cmd gs = {RSP_ES6_APPLET_STATUS, {0}, 0, 0, NULL, 0};
    req(&x, c, &o, RSP_ES6_TAR_RAM, &gs, &a);
    assert_int_equal(a.sw, 0x9000);
    rsp_es6_app apps[8];
    size_t n = 0;
    assert_int_equal(rsp_es6_apps_parse(a.data, a.data_len, apps, 8, &n, NULL), RSP_OK);
    assert_int_equal(n, 4);
    uint8_t first[9] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0x00, 0x01};
    assert_int_equal(apps[0].aid_len, 9);
    assert_memory_equal(apps[0].aid, first, 9);
    /* the package's second MNO-SD TAR (000000) answers the same */
    req(&x, c, &o, 0x000000, &gs, &a);
    assert_int_equal(a.sw, 0x9000);
    /* GET STATUS is not an RFM command */
    req(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &gs, &a);
    assert_int_equal(a.sw, 0x6E00);
    fx_teardown(&x);
}

static void test_refusals_change_nothing(void **state)
{
    (void)state;
    fx x;
    rsp_euicc *c = card_with(&x, "TS48v7_SAIP2.3_NoBERTLV.der", 0x30, "001019876543212");
    op o;
    op_init(&o);
    o.spi[0] = 0x1E; /* counter exactly one higher: proves the stored counter did not move */
    char imsi[16];
    read_imsi(&x, c, &o, imsi);
    uint8_t enc[9];
    assert_int_equal(rsp_saip_imsi_encode("001015555555555", enc), RSP_OK);
    rsp_es6_cmd up = {RSP_ES6_UPDATE, {0x7FF0, 0x6F07}, 2, 0, enc, 9};
    rsp_buf s = RSP_BUF_INIT;
    assert_int_equal(rsp_es6_script(&up, &s), RSP_OK);
    rsp_es6_answer a;
    /* replayed counter: 02, unsecured */
    assert_int_equal(send_script(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &s, &a), RSP_OK);
    assert_int_equal(a.status, RSP_SCP80_CNTR_LOW);
    assert_false(a.secured);
    /* wrong KID: 01 */
    o.cntr++;
    o.kid[3] ^= 0x40;
    assert_int_equal(send_script(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &s, &a), RSP_OK);
    assert_int_equal(a.status, RSP_SCP80_CHK_FAILED);
    o.kid[3] ^= 0x40;
    /* no checksum: 0A (the rfm element asks for a CC) */
    uint8_t spi[2] = {o.spi[0], o.spi[1]};
    o.spi[0] = 0x18;
    assert_int_equal(send_script(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &s, &a), RSP_OK);
    assert_int_equal(a.status, RSP_SCP80_LOW_SECURITY);
    memcpy(o.spi, spi, 2);
    /* a key version the MNO-SD does not have: 06; a TAR of the RFM range nobody answers to: 09 */
    o.kvn = 7;
    assert_int_equal(send_script(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &s, &a), RSP_OK);
    assert_int_equal(a.status, RSP_SCP80_SECURITY_ERROR);
    o.kvn = 2;
    assert_int_equal(send_script(&x, c, &o, 0xB00999, &s, &a), RSP_OK);
    assert_int_equal(a.status, RSP_SCP80_TAR_UNKNOWN);
    /* nothing moved: the counter is still the last good one, EF.IMSI unchanged */
    char again[16];
    o.cntr--; /* read_imsi adds one: exactly one above the last accepted */
    read_imsi(&x, c, &o, again);
    assert_string_equal(again, imsi);
    /* KVN 01 (3DES) of the same MNO-SD works too, with its own counter */
    op o1;
    op_init(&o1);
    o1.kvn = 1;
    o1.alg = 5;
    read_imsi(&x, c, &o1, again);
    assert_string_equal(again, imsi);
    /* the profile disabled (the provisioning profile enabled again): its TARs are unknown */
    char cmd[80];
    fx_sd_aid("3A03", 0x10, cmd);
    assert_int_equal(fx_sms1(&x, c, 1, cmd, NULL), 0x9000);
    assert_int_equal(send_script(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &s, &a), RSP_OK);
    assert_int_equal(a.status, RSP_SCP80_TAR_UNKNOWN);
    rsp_buf_free(&s);
    fx_teardown(&x);
}

static void test_noramrfm(void **state)
{
    (void)state;
    fx x;
    rsp_euicc *c = card_with(&x, "TS48v7_SAIP2.3_NoBERTLV_NoRAMRFM.der", 0x30, "001019876543213");
    op o;
    op_init(&o);
    rsp_es6_cmd cmd = {RSP_ES6_READ, {0x7FF0, 0x6F07}, 2, 0, NULL, 0};
    rsp_buf s = RSP_BUF_INIT;
    assert_int_equal(rsp_es6_script(&cmd, &s), RSP_OK);
    rsp_es6_answer a;
    o.cntr = 1;
    assert_int_equal(send_script(&x, c, &o, RSP_ES6_TAR_RFM_USIM, &s, &a), RSP_OK);
    assert_int_equal(a.status, RSP_SCP80_TAR_UNKNOWN);
    assert_int_equal(send_script(&x, c, &o, RSP_ES6_TAR_RAM, &s, &a), RSP_OK);
    assert_int_equal(a.status, RSP_SCP80_TAR_UNKNOWN);
    rsp_buf_free(&s);
    fx_teardown(&x);
}

/* The card's RFM interpreter on malformed and refused commands, straight on a file system view. */
static void test_rfm_malformed(void **state)
{
    (void)state;
    rsp_buf pkg = RSP_BUF_INIT;
    fx_package("TS48v7_SAIP2.3_NoBERTLV.der", "894450100000000700", "001019876543214", 0, &pkg);
    eu_efs fs;
    assert_int_equal(eu_efs_load(pkg.data, pkg.len, &fs, NULL), RSP_OK);
    assert_non_null(eu_efs_find(&fs, EU_DF_ADF, 0x6F07));
    assert_non_null(eu_efs_find(&fs, EU_DF_MF, 0x2FE2));
    eu_rfm s;
    eu_rfm_init(&s, &fs, &fs.pkg, false, true);
    static const struct { const char *capdu; uint16_t sw; } cases[] = {
        {"00", 0x6700},                 /* not an APDU */
        {"00A4", 0x6700},
        {"00A4000C0300", 0x6700},       /* Lc 3, one byte of data */
        {"00A4000C036F0707", 0x6700},   /* select by FID with 3 bytes */
        {"00A4000C00", 0x6700},         /* no FID */
        {"00A4030C026F07", 0x6A86},     /* P1 03 */
        {"00A4000C02AAAA", 0x6A82},     /* no such file */
        {"00B0000000", 0x6986},         /* no EF selected */
        {"10A4000C026F07", 0x6E00},     /* CLA */
        {"00CA000000", 0x6D00},         /* INS */
        {"00A4000C026F07", 0x9000},
        {"00A4000C026F07", 0x9000},     /* the EF's parent DF holds it (an EF has no children) */
        {"00B2010400", 0x6981},         /* READ RECORD of a transparent EF */
        {"00B0800000", 0x6A81},         /* SFI */
        {"00B0000900", 0x6B00},         /* offset at the end */
        {"00D6000802AAAA", 0x6700},     /* runs past the end */
        {"00B0000802", 0x6282},         /* Le 2 with one byte left */
        {"00B0000800", 0x9000},         /* Le 00: to the end of the file (ISO 7816-4) */
        {"00A4080C047FF06F42", 0x9000}, /* path from the MF */
        {"00B2000400", 0x6A83},         /* record 0 */
        {"00B2010500", 0x6A86},         /* relative mode */
        {"00B0000000", 0x6981},         /* READ BINARY of a record EF */
        {"00A4040C05A0000000FF", 0x6A82}, /* not the ADF's name */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rsp_buf c = RSP_BUF_INIT, r = RSP_BUF_INIT;
        tu_hex(cases[i].capdu, &c);
        assert_int_equal(eu_rfm_exec(&s, c.data, c.len, &r), RSP_OK);
        assert_true(r.len >= 2);
        uint16_t sw = rsp_be16(r.data + r.len - 2);
        if (sw != cases[i].sw)
            fail_msg("case %zu (%s): SW %04X, expected %04X", i, cases[i].capdu, sw, cases[i].sw);
        rsp_buf_free(&c);
        rsp_buf_free(&r);
    }
    assert_false(fs.dirty);
    /* an update written back re-encodes only that file; the rest of the package is byte for byte */
    eu_ef *imsi = eu_efs_find(&fs, EU_DF_ADF, 0x6F07);
    imsi->data[1] ^= 0x10;
    imsi->dirty = fs.dirty = true;
    rsp_buf out = RSP_BUF_INIT;
    assert_int_equal(eu_efs_encode(&fs, &out, NULL), RSP_OK);
    assert_int_equal(out.len, pkg.len);
    size_t diff = 0;
    for (size_t i = 0; i < pkg.len; i++)
        diff += out.data[i] != pkg.data[i];
    assert_int_equal(diff, 1);
    rsp_buf_free_secret(&out);
    eu_efs_free(&fs);
    rsp_buf_free_secret(&pkg);
}

/* PoRs from the network that the Operator's parser must refuse. */
static void test_answer_malformed(void **state)
{
    (void)state;
    uint8_t key[16];
    memcpy(key, TS48_KEY, 16);
    rsp_scp80_keys k = {key, 16, key, 16};
    rsp_scp80_hdr h = {{0x16, 0x39}, 0x22, 0x22, {0xB0, 0x01, 0x40}, {0, 0, 0, 0, 7}, 0, 0};
    /* a good PoR to build variants from: the card side's builder */
    static const uint8_t resp[] = {0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00};
    uint8_t por[128], work[140];
    size_t n = 0;
    assert_int_equal(rsp_scp80_por_build(&k, &h, 0, resp, sizeof(resp), por, sizeof(por), &n, NULL), RSP_OK);
    rsp_es6_answer a;
    assert_int_equal(rsp_es6_answer_parse(&k, &h, por, n, &a, NULL), RSP_OK);
    assert_int_equal(a.sw, 0x9000);
    assert_int_equal(a.executed, 1);
    /* every truncation is refused or read as an error PoR, never believed as 9000 */
    for (size_t cut = 0; cut < n; cut++) {
        rsp_err e = rsp_es6_answer_parse(&k, &h, por, cut, &a, NULL);
        assert_true(e != RSP_OK || a.status != 0);
    }
    /* a flipped bit anywhere after the UDH: never an accepted answer */
    for (size_t i = 3; i < n; i++) {
        memcpy(work, por, n);
        work[i] ^= 0x01;
        rsp_err e = rsp_es6_answer_parse(&k, &h, work, n, &a, NULL);
        assert_true(e != RSP_OK || a.status != 0);
    }
    /* the answer to another counter (a secured PoR echoes it) */
    rsp_scp80_hdr h2 = h;
    h2.cntr[4] = 8;
    assert_int_equal(rsp_es6_answer_parse(&k, &h2, por, n, &a, NULL), RSP_ERR_PROTOCOL);
    /* a response that is not an R-APDU script */
    static const uint8_t junk[] = {0xAB, 0x05, 0x23, 0x09, 0x90, 0x00, 0x00};
    assert_int_equal(rsp_scp80_por_build(&k, &h, 0, junk, sizeof(junk), por, sizeof(por), &n, NULL), RSP_OK);
    assert_int_equal(rsp_es6_answer_parse(&k, &h, por, n, &a, NULL), RSP_ERR_FORMAT);
    /* GET STATUS answers */
    rsp_es6_app apps[2];
    size_t na = 0;
    rsp_buf g = RSP_BUF_INIT;
    tu_hex("E30F4F09A000000559101000019F7001", &g);
    assert_int_equal(rsp_es6_apps_parse(g.data, g.len, apps, 2, &na, NULL), RSP_ERR_FORMAT); /* cut short */
    rsp_buf_reset(&g);
    tu_hex("E30B4F09A000000559101000019F", &g);
    assert_int_equal(rsp_es6_apps_parse(g.data, g.len, apps, 2, &na, NULL), RSP_ERR_FORMAT); /* no life cycle */
    rsp_buf_reset(&g);
    tu_hex("E2009000", &g);
    assert_int_equal(rsp_es6_apps_parse(g.data, g.len, apps, 2, &na, NULL), RSP_ERR_TAG);
    rsp_buf_reset(&g);
    tu_hex("E3114F09A000000559101000019F700107C500", &g);
    assert_int_equal(rsp_es6_apps_parse(g.data, g.len, apps, 2, &na, NULL), RSP_OK);
    assert_int_equal(na, 1);
    assert_int_equal(apps[0].lcs, 7);
    rsp_buf_free(&g);
    /* paths */
    uint16_t path[RSP_ES6_PATH_MAX];
    size_t np = 0;
    assert_int_equal(rsp_es6_path_parse("7FF0/6F07", path, &np), RSP_OK);
    assert_int_equal(np, 2);
    assert_int_equal(path[1], 0x6F07);
    const char *badp[] = {"", "7FF", "7FF0/", "/7FF0", "7FF0//6F07", "7FG0", "7FF06F07", "1/2/3/4/5/6/7/8/9"};
    for (size_t i = 0; i < sizeof(badp) / sizeof(badp[0]); i++)
        assert_int_equal(rsp_es6_path_parse(badp[i], path, &np), RSP_ERR_FORMAT);
}

/* VECTORS.txt §A3: pySim's RFM packet to a real sysmoISIM-SJA2 (TAR B00010, 3DES KVN 1), both
 * counters, rebuilt byte for byte by rsp_es6_packet; and its PoR opened by rsp_es6_answer_parse. */
static void test_vector_a3(void **state)
{
    (void)state;
    rsp_buf kic = RSP_BUF_INIT, kid = RSP_BUF_INIT, apdus = RSP_BUF_INIT, want = RSP_BUF_INIT, por = RSP_BUF_INIT;
    tu_hex("F09C43EE1A0391665CC9F05AF4E0BD10", &kic);
    tu_hex("01981F4A20999F62AF99988007BAF6CA", &kid);
    tu_hex("a0a40000027f20a0c0000016", &apdus);
    rsp_scp80_keys k = {kic.data, 16, kid.data, 16};
    static const struct { uint8_t spi1; uint64_t cntr; const char *ud, *por; } v[] = {
        {0x06, 0, "02700000281506191515b00010da1d6cbbd0d11ce4330d844c7408340943e843f67a6d7b0674730881605fd62d",
         "027100002c12b000107ddf58d1780f771638b3975759f4296cf5c31efc87a16a1b61921426baa16da1b5ba1a9951d59a39"},
        {0x16, 0x64, "02700000281516191515b000103a4f599e94f2b5dcfbbda984761b7977df6514c57a580fb4844787c436d2eade",
         "027100002c12b0001049fb0315f6c6401b553867f412cefaf9355b38271178edb342a3bc9cc7e670cdc1f45eea6ffcbb39"},
    };
    for (size_t i = 0; i < 2; i++) {
        rsp_scp80_hdr h = {{v[i].spi1, 0x19}, 0x15, 0x15, {0xB0, 0x00, 0x10}, {0, 0, 0, 0, (uint8_t)v[i].cntr}, 0, 0};
        rsp_buf parts[2];
        rsp_buf_init(&parts[0]);
        rsp_buf_init(&parts[1]);
        size_t n = 0;
        assert_int_equal(rsp_es6_packet(&k, &h, apdus.data, apdus.len, 0, parts, 2, &n, NULL), RSP_OK);
        assert_int_equal(n, 1);
        rsp_buf_reset(&want);
        tu_hex(v[i].ud, &want);
        assert_int_equal(parts[0].len, want.len);
        assert_memory_equal(parts[0].data, want.data, want.len);
        rsp_buf_free(&parts[0]);
        rsp_buf_free(&parts[1]);
        /* its PoR: RSC 00, CC verified, a compact response (1 command, SW 9000, 22 bytes of FCP) */
        rsp_buf_reset(&por);
        tu_hex(v[i].por, &por);
        rsp_es6_answer a;
        assert_int_equal(rsp_es6_answer_parse(&k, &h, por.data, por.len, &a, NULL), RSP_OK);
        assert_int_equal(a.status, 0);
        assert_true(a.secured);
        assert_int_equal(a.sw, 0x9000);
    }
    rsp_buf_free(&kic);
    rsp_buf_free(&kid);
    rsp_buf_free(&apdus);
    rsp_buf_free(&want);
    rsp_buf_free(&por);
}

/* The state blob: v3 carries the MNO-SD counters; a v2 blob (before ES6) still reads, with none. */
static void test_state_v2_reads(void **state)
{
    (void)state;
    eu_state st, back;
    memset(&st, 0, sizeof(st));
    eu_profile *p = eu_profile_add(&st);
    assert_non_null(p);
    p->tar = 0x30;
    p->lcs = 0x3F;
    snprintf(p->iccid, sizeof(p->iccid), "89445010000000006001");
    p->ota_n = 1;
    p->ota_kvn[0] = 2;
    memcpy(p->ota_cntr[0], "\0\0\0\1\2", 5);
    rsp_buf b = RSP_BUF_INIT;
    assert_int_equal(eu_state_encode(&st, &b), RSP_OK);
    assert_int_equal(b.data[0], 3);
    assert_int_equal(eu_state_decode(b.data, b.len, &back), RSP_OK);
    assert_int_equal(back.np, 1);
    assert_int_equal(back.p[0].ota_n, 1);
    assert_memory_equal(back.p[0].ota_cntr[0], "\0\0\0\1\2", 5);
    eu_state_free(&back);
    /* the same card as version 2 wrote it: no counter bytes after the profile (no notifications) */
    p->ota_n = 0;
    rsp_buf_reset(&b);
    assert_int_equal(eu_state_encode(&st, &b), RSP_OK);
    assert_int_equal(b.data[b.len - 1], 0); /* ota_n, the last byte */
    b.data[0] = 2;
    assert_int_equal(eu_state_decode(b.data, b.len - 1, &back), RSP_OK);
    assert_int_equal(back.p[0].tar, 0x30);
    assert_int_equal(back.p[0].ota_n, 0);
    eu_state_free(&back);
    /* v2 with the v3 byte still there, a v1 and a v4 blob: refused */
    assert_int_equal(eu_state_decode(b.data, b.len, &back), RSP_ERR_DB);
    b.data[0] = 1;
    assert_int_equal(eu_state_decode(b.data, b.len - 1, &back), RSP_ERR_DB);
    b.data[0] = 4;
    assert_int_equal(eu_state_decode(b.data, b.len, &back), RSP_ERR_DB);
    rsp_buf_free(&b);
    eu_state_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_update_durable), cmocka_unit_test(test_records_and_status),
        cmocka_unit_test(test_refusals_change_nothing), cmocka_unit_test(test_noramrfm),
        cmocka_unit_test(test_rfm_malformed), cmocka_unit_test(test_answer_malformed),
        cmocka_unit_test(test_vector_a3), cmocka_unit_test(test_state_v2_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
