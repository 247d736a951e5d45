/* rsp_hostport_split, the one host:port parser of every daemon's listen address, every client's peer
 * and every callback URL's authority: names, IPv4 and bracketed IPv6 literals, default ports, and the
 * refusals (no host, no port, an unbracketed IPv6 literal, a signed, spaced or too large port). The
 * outside fact: the authorities of RFC 3986's and RFC 2732's own example URLs. And the port file
 * every daemon writes: the number and a newline, replaced whole, no temporary file left behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsp/hostport.h"
#include "testutil.h"

static void ok(const char *s, int dflt, const char *want_host, unsigned want_port)
{
    char host[64] = "untouched";
    uint16_t port = 7;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_hostport_split(s, dflt, host, sizeof(host), &port, &d), RSP_OK);
    assert_string_equal(host, want_host);
    assert_int_equal(port, want_port);
}

/* Refused with a message naming the address and the byte offset of the fault. */
static void bad(const char *s, int dflt, size_t hostsz, size_t at, const char *why)
{
    char host[64] = "untouched";
    uint16_t port = 7;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_hostport_split(s, dflt, host, hostsz, &port, &d), RSP_ERR_INVAL);
    assert_string_equal(host, "untouched");
    assert_int_equal(port, 7);
    assert_non_null(strstr(d.msg, why));
    assert_true(d.has_offset);
    assert_int_equal(d.offset, at);
}

static void test_forms(void **state)
{
    (void)state;
    ok("127.0.0.1:0", RSP_HOSTPORT_REQUIRED, "127.0.0.1", 0); /* a listen address picking its port */
    ok("localhost:2775", RSP_HOSTPORT_REQUIRED, "localhost", 2775);
    ok("[::1]:8443", RSP_HOSTPORT_REQUIRED, "::1", 8443);
    ok("[::]:65535", RSP_HOSTPORT_REQUIRED, "::", 65535);
    ok("smdp.example:00080", RSP_HOSTPORT_REQUIRED, "smdp.example", 80);
    ok("smdp.example", 443, "smdp.example", 443);
    ok("[fe80::1%lo]", 443, "fe80::1%lo", 443);
    ok("a:1", 443, "a", 1);
    /* RFC 3986 3.2.2 and 1.1.2: ldap://[2001:db8::7]/c=GB?objectClass?one; RFC 2732 2's examples */
    ok("[2001:db8::7]", 389, "2001:db8::7", 389);
    ok("[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:80", RSP_HOSTPORT_REQUIRED,
       "FEDC:BA98:7654:3210:FEDC:BA98:7654:3210", 80);
    ok("[3ffe:2a00:100:7031::1]", 80, "3ffe:2a00:100:7031::1", 80);
    ok("[::192.9.5.5]", 80, "::192.9.5.5", 80);
    /* the host fills the buffer but for its NUL */
    char h[4];
    uint16_t p;
    assert_int_equal(rsp_hostport_split("abc:1", RSP_HOSTPORT_REQUIRED, h, sizeof(h), &p, NULL), RSP_OK);
    assert_string_equal(h, "abc");
}

static void test_refused(void **state)
{
    (void)state;
    bad("", 443, 64, 0, "no host");
    bad(":80", RSP_HOSTPORT_REQUIRED, 64, 0, "no host");
    bad("[]:80", RSP_HOSTPORT_REQUIRED, 64, 1, "no host");
    bad("host", RSP_HOSTPORT_REQUIRED, 64, 4, "no port");
    bad("[::1]", RSP_HOSTPORT_REQUIRED, 64, 5, "no port");
    bad("host:", RSP_HOSTPORT_REQUIRED, 64, 5, "port is not a number");
    bad("host:65536", RSP_HOSTPORT_REQUIRED, 64, 5, "port is not a number");
    bad("host:123456", RSP_HOSTPORT_REQUIRED, 64, 5, "port is not a number");
    bad("host:-1", RSP_HOSTPORT_REQUIRED, 64, 5, "port is not a number");
    bad("host:+80", RSP_HOSTPORT_REQUIRED, 64, 5, "port is not a number");
    bad("host: 80", RSP_HOSTPORT_REQUIRED, 64, 5, "port is not a number");
    bad("host:80 ", RSP_HOSTPORT_REQUIRED, 64, 5, "port is not a number");
    bad("host:0x50", RSP_HOSTPORT_REQUIRED, 64, 5, "port is not a number");
    /* an IPv6 literal without brackets is ambiguous ("::1:80"): refused, not split at the last colon */
    bad("::1:80", RSP_HOSTPORT_REQUIRED, 64, 0, "in brackets");
    bad("2001:db8::7", 443, 64, 4, "in brackets");
    bad("[::1", RSP_HOSTPORT_REQUIRED, 64, 0, "'[' without ']'");
    bad("[::1]80", RSP_HOSTPORT_REQUIRED, 64, 5, "':port' expected");
    bad("[::1]x:80", RSP_HOSTPORT_REQUIRED, 64, 5, "':port' expected");
    bad("abcd:1", RSP_HOSTPORT_REQUIRED, 4, 0, "host too long");
    bad("[abcd]:1", RSP_HOSTPORT_REQUIRED, 4, 1, "host too long");
    char h[8];
    uint16_t p;
    assert_int_equal(rsp_hostport_split(NULL, 443, h, sizeof(h), &p, NULL), RSP_ERR_INVAL);
    assert_int_equal(rsp_hostport_split("a:1", 70000, h, sizeof(h), &p, NULL), RSP_ERR_INVAL);
}

static void read_port(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    fclose(f);
}

static void test_port_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_hostport_XXXXXX", path[600], tmp[700], got[32];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/x.port", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    assert_int_equal(rsp_hostport_port_file(path, 41234), RSP_OK);
    read_port(path, got, sizeof(got));
    assert_string_equal(got, "41234\n");
    assert_int_equal(rsp_hostport_port_file(path, 7), RSP_OK); /* a restart replaces it whole */
    read_port(path, got, sizeof(got));
    assert_string_equal(got, "7\n");
    assert_int_not_equal(access(tmp, F_OK), 0);
    snprintf(path, sizeof(path), "%s/no/such/dir/x.port", dir);
    assert_int_equal(rsp_hostport_port_file(path, 1), RSP_ERR_IO);
    char *longp = malloc(5000);
    assert_non_null(longp);
    memset(longp, 'a', 4999);
    longp[4999] = 0;
    assert_int_equal(rsp_hostport_port_file(longp, 1), RSP_ERR_RANGE);
    free(longp);
    snprintf(path, sizeof(path), "%s/x.port", dir);
    unlink(path);
    assert_int_equal(rmdir(dir), 0); /* nothing else was left in it */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_forms), cmocka_unit_test(test_refused),
                                       cmocka_unit_test(test_port_file)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
