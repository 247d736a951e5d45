/* Test helpers: cmocka includes, hex assertions, and look-ups into ../shared/vectors/VECTORS.txt so
 * vectors are read from the shared file itself rather than copied into tests. */
#ifndef RSP_TESTUTIL_H
#define RSP_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the three headers above first. */
#include <cmocka.h>

#include "rsp/buf.h"

/* Path of a file under ../shared (RSP_SHARED_DIR); static buffer per call site is not used: caller
 * passes out. */
const char *tu_shared_path(const char *rel, char *out, size_t outlen);
/* Whole VECTORS.txt, loaded once per test process (freed at exit). */
const char *tu_vectors(void);
/* Finds `marker` in VECTORS.txt, then the first `key` after it, and returns the hex run that follows
 * (skipping white space and '='), malloc'd. Fails the test if not found. */
char *tu_vec(const char *marker, const char *key);
/* Same, decoded into out (which is reset first). */
void tu_vec_bytes(const char *marker, const char *key, rsp_buf *out);
/* Decodes hex into out (reset first); fails the test on bad hex. */
void tu_hex(const char *hex, rsp_buf *out);
/* Asserts that bytes equal the hex string; prints both on mismatch. */
#define tu_assert_hex(p, len, hex) tu_assert_hex_(p, len, hex, __FILE__, __LINE__)
void tu_assert_hex_(const uint8_t *p, size_t len, const char *hex, const char *file, int line);
/* Reads a file into out (reset first); fails the test if missing. */
void tu_read_file(const char *path, rsp_buf *out);
/* Runs a shell command, capturing stdout into out (malloc'd, NUL-terminated); returns the exit code. */
int tu_run(const char *cmd, char **out);
/* Path of the rsp binary under test (RSP_BIN env, else RSP_BINARY_DIR/rsp). */
const char *tu_rsp_bin(void);

#endif
