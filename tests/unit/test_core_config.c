/* INI configuration: parsing, quoting, comments, malformed lines (with line numbers), environment
 * overrides, typed getters with table defaults, unknown keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsp/config.h"
#include "rsp/log.h"
#include "testutil.h"

static const rsp_config_setting table[] = {
    {"store", "uri", RSP_CONFIG_STR, "sqlite:/tmp/x.db", 0, 0, NULL, 0, "t", "store"},
    {"smpp", "port", RSP_CONFIG_INT, "2775", 1, 65535, NULL, 0, "t", "port"},
    {"smpp", "password", RSP_CONFIG_STR, "", 0, 0, NULL, RSP_CONFIG_SECRET, "t", "pw"},
    {"smpp", "system_id", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "t", "no default"},
    {"es4", "binding", RSP_CONFIG_ENUM, "both", 0, 0, "soap,json,both", 0, "t", "b"},
    {"es4", "verbose", RSP_CONFIG_BOOL, "false", 0, 0, NULL, 0, "t", "v"},
    {"my-sec.x", "a-b", RSP_CONFIG_STR, NULL, 0, 0, NULL, 0, "t", "env name mangling"},
};
#define NT (sizeof table / sizeof table[0])

static rsp_config *mk(const char *text, rsp_err want, rsp_diag *d)
{
    rsp_config *c = NULL;
    assert_int_equal(rsp_config_new(table, NT, &c), RSP_OK);
    rsp_diag_clear(d);
    assert_int_equal(rsp_config_parse(c, text, strlen(text), "t.ini", d), want);
    return c;
}

static void test_parse_and_get(void **state)
{
    (void)state;
    rsp_diag d;
    const char *ini =
        "; comment\n"
        "# another\n"
        "\n"
        "[store]\n"
        "  uri = postgresql://db/rsp   ; trailing comment\n"
        "[smpp]\r\n"
        "port=2776\r\n"
        "password = \"p;a#s\\\"s \\\\ \"  # quoted keeps ; and #\n"
        "system_id = 'lit\\eral'\n"
        "[ es4 ]\n"
        "binding = JSON\n"
        "verbose = yes\n";
    rsp_config *c = mk(ini, RSP_OK, &d);
    const char *s = NULL;
    int64_t i = 0;
    bool b = false;
    int x = -1;
    assert_int_equal(rsp_config_get_str(c, "store", "uri", &s), RSP_OK);
    assert_string_equal(s, "postgresql://db/rsp");
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &i), RSP_OK);
    assert_int_equal(i, 2776);
    assert_int_equal(rsp_config_get_str(c, "smpp", "password", &s), RSP_OK);
    assert_string_equal(s, "p;a#s\"s \\ ");
    assert_int_equal(rsp_config_get_str(c, "smpp", "system_id", &s), RSP_OK);
    assert_string_equal(s, "lit\\eral");
    assert_int_equal(rsp_config_get_enum(c, "es4", "binding", &x), RSP_OK);
    assert_int_equal(x, 1);
    assert_int_equal(rsp_config_get_bool(c, "es4", "verbose", &b), RSP_OK);
    assert_true(b);
    /* Not in the table, or asked with the wrong type: a programming error. */
    assert_int_equal(rsp_config_get_str(c, "store", "nope", &s), RSP_ERR_NOT_FOUND);
    assert_int_equal(rsp_config_get_int(c, "store", "uri", &i), RSP_ERR_NOT_FOUND);
    size_t unknown = 9;
    assert_int_equal(rsp_config_check(c, &d, &unknown), RSP_OK);
    assert_int_equal(unknown, 0);
    rsp_config_free(c);
}

static void test_defaults(void **state)
{
    (void)state;
    rsp_diag d;
    rsp_config *c = mk("", RSP_OK, &d);
    const char *s = NULL;
    int64_t i = 0;
    bool b = true;
    assert_int_equal(rsp_config_get_str(c, "store", "uri", &s), RSP_OK);
    assert_string_equal(s, "sqlite:/tmp/x.db");
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &i), RSP_OK);
    assert_int_equal(i, 2775);
    assert_int_equal(rsp_config_get_bool(c, "es4", "verbose", &b), RSP_OK);
    assert_false(b);
    assert_false(rsp_config_is_set(c, "smpp", "port"));
    /* No default and unset. */
    assert_int_equal(rsp_config_get_str(c, "smpp", "system_id", &s), RSP_ERR_NOT_FOUND);
    rsp_config_free(c);
}

static void test_malformed_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *want;
    } cases[] = {
        {"[store]\nuri\n", "t.ini:2: expected 'key = value'"},
        {"uri = x\n", "t.ini:1: key outside any [section]"},
        {"[store\n", "t.ini:1: missing ']'"},
        {"[]\n", "t.ini:1: bad section name"},
        {"[a b]\n", "t.ini:1: bad section name"},
        {"[s] x\n", "t.ini:1: text after ']'"},
        {"[s]\n\n\n = v\n", "t.ini:4: bad key name"},
        {"[s]\nk y = v\n", "t.ini:2: bad key name"},
        {"[s]\nk = \"abc\n", "t.ini:2: unterminated quoted value"},
        {"[s]\nk = 'abc\n", "t.ini:2: unterminated quoted value"},
        {"[s]\nk = \"a\\q\"\n", "t.ini:2: unknown escape"},
        {"[s]\nk = \"a\" b\n", "t.ini:2: text after the closing quote"},
        {"[s]\nk = a\x01\n", "t.ini:2: control character"},
        {"[s]\nk = 1\n; c\nk = 2\n", "t.ini:4: duplicate key 'k' in [s] (first on line 2)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rsp_diag d;
        rsp_config *c = mk(cases[i].text, RSP_ERR_FORMAT, &d);
        if (strstr(d.msg, cases[i].want) == NULL)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, d.msg, cases[i].want);
        assert_true(d.has_offset);
        rsp_config_free(c);
    }
    /* NUL inside the text. */
    rsp_config *c = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_config_new(table, NT, &c), RSP_OK);
    assert_int_equal(rsp_config_parse(c, "[s]\nk = a\0b\n", 11, "t.ini", &d), RSP_ERR_FORMAT);
    assert_non_null(strstr(d.msg, "t.ini:2: NUL byte"));
    assert_int_equal(d.offset, 4);
    /* A malformed file changes nothing: earlier good values stay. */
    assert_int_equal(rsp_config_parse(c, "[smpp]\nport = 1\n", 16, "a", NULL), RSP_OK);
    assert_int_equal(rsp_config_parse(c, "[smpp]\nport = 2\nbad\n", 20, "b", NULL), RSP_ERR_FORMAT);
    int64_t v = 0;
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &v), RSP_OK);
    assert_int_equal(v, 1);
    /* A later file overrides. */
    assert_int_equal(rsp_config_parse(c, "[smpp]\nport = 3\n", 16, "c", NULL), RSP_OK);
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &v), RSP_OK);
    assert_int_equal(v, 3);
    rsp_config_free(c);
}

static void test_types_and_unknown(void **state)
{
    (void)state;
    rsp_diag d;
    int64_t i = 0;
    int x = 0;
    bool b = false;
    size_t unknown = 0;
    rsp_config *c = mk("[smpp]\nport = 70000\n[es4]\nbinding = xml\nverbose = maybe\n"
                       "[store]\nurl = typo\n[nosuch]\nk = v\n", RSP_OK, &d);
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &i), RSP_ERR_RANGE);
    assert_int_equal(rsp_config_get_enum(c, "es4", "binding", &x), RSP_ERR_RANGE);
    assert_int_equal(rsp_config_get_bool(c, "es4", "verbose", &b), RSP_ERR_FORMAT);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_config_check(c, &d, &unknown), RSP_ERR_RANGE);
    assert_int_equal(unknown, 2);
    assert_non_null(strstr(d.msg, "t.ini:2: [smpp] port: out of range"));
    rsp_config_free(c);

    c = mk("[store]\nurl = typo\n", RSP_OK, &d);
    rsp_diag_clear(&d);
    assert_int_equal(rsp_config_check(c, &d, &unknown), RSP_ERR_NOT_FOUND);
    assert_non_null(strstr(d.msg, "t.ini:2: unknown key 'url' in [store]"));
    rsp_config_free(c);

    c = mk("[smpp]\nport = 12x\n", RSP_OK, &d);
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &i), RSP_ERR_FORMAT);
    rsp_config_free(c);
    c = mk("[smpp]\nport = 99999999999999999999999\n", RSP_OK, &d);
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &i), RSP_ERR_RANGE);
    rsp_config_free(c);
}

static void test_env_overrides(void **state)
{
    (void)state;
    char name[64];
    assert_int_equal(rsp_config_env_name("smpp", "system_id", name, sizeof name), RSP_OK);
    assert_string_equal(name, "RSP_SMPP_SYSTEM_ID");
    assert_int_equal(rsp_config_env_name("my-sec.x", "a-b", name, sizeof name), RSP_OK);
    assert_string_equal(name, "RSP_MY_SEC_X_A_B");
    assert_int_equal(rsp_config_env_name("s", "k", name, 4), RSP_ERR_OVERFLOW);
    rsp_diag d;
    rsp_config *c = mk("[smpp]\nport = 2776\n", RSP_OK, &d);
    const char *env[] = {"PATH=/bin", "RSP_SMPP_PORT=9000", "RSP_SMPP_PORTX=1",
                         "RSP_MY_SEC_X_A_B=mangled", "RSP_PG_DSN=host=x", "RSP_SMPP_SYSTEM_ID=",
                         NULL};
    assert_int_equal(rsp_config_apply_env(c, env), RSP_OK);
    int64_t i = 0;
    const char *s = NULL;
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &i), RSP_OK);
    assert_int_equal(i, 9000);
    assert_int_equal(rsp_config_get_str(c, "my-sec.x", "a-b", &s), RSP_OK);
    assert_string_equal(s, "mangled");
    assert_int_equal(rsp_config_get_str(c, "smpp", "system_id", &s), RSP_OK);
    assert_string_equal(s, ""); /* set, even if empty */
    size_t unknown = 1;
    assert_int_equal(rsp_config_check(c, NULL, &unknown), RSP_OK);
    assert_int_equal(unknown, 0);
    rsp_config_free(c);
}

static void test_builtin_table(void **state)
{
    (void)state;
    size_t n = 0;
    const rsp_config_setting *t = rsp_config_settings(&n);
    assert_true(n > 20);
    rsp_config *c = NULL;
    assert_int_equal(rsp_config_new(NULL, 0, &c), RSP_OK);
    /* Every default parses as its own type, and no setting appears twice. */
    for (size_t i = 0; i < n; i++) {
        assert_non_null(t[i].doc);
        assert_ptr_equal(rsp_config_setting_find(t, n, t[i].section, t[i].key), &t[i]);
        if (!t[i].def)
            continue;
        int64_t v;
        bool b;
        int x;
        const char *s;
        rsp_err e = t[i].type == RSP_CONFIG_INT    ? rsp_config_get_int(c, t[i].section, t[i].key, &v)
                    : t[i].type == RSP_CONFIG_BOOL ? rsp_config_get_bool(c, t[i].section, t[i].key, &b)
                    : t[i].type == RSP_CONFIG_ENUM ? rsp_config_get_enum(c, t[i].section, t[i].key, &x)
                                                   : rsp_config_get_str(c, t[i].section, t[i].key, &s);
        if (e != RSP_OK)
            fail_msg("default of [%s] %s: %s", t[i].section, t[i].key, rsp_err_name(e));
    }
    const char *s = NULL;
    assert_int_equal(rsp_config_get_str(c, "store", "uri", &s), RSP_OK);
    assert_int_equal(strncmp(s, "sqlite:", 7), 0);
    rsp_config_free(c);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/rsp-config-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("[smpp]\nport = 1234\n", f);
    fclose(f);
    rsp_config *c = NULL;
    rsp_diag d;
    rsp_diag_clear(&d);
    assert_int_equal(rsp_config_new(table, NT, &c), RSP_OK);
    assert_int_equal(rsp_config_load(c, path, &d), RSP_OK);
    int64_t i = 0;
    assert_int_equal(rsp_config_get_int(c, "smpp", "port", &i), RSP_OK);
    assert_int_equal(i, 1234);
    unlink(path);
    assert_int_equal(rsp_config_load(c, path, &d), RSP_ERR_IO);
    assert_non_null(strstr(d.msg, path));
    rsp_config_free(c);
}

int main(void)
{
    rsp_log_set_level(RSP_SS_CORE, RSP_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_and_get),  cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_malformed_lines), cmocka_unit_test(test_types_and_unknown),
        cmocka_unit_test(test_env_overrides),  cmocka_unit_test(test_builtin_table),
        cmocka_unit_test(test_load_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
