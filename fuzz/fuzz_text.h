/* For the fuzz targets whose parser reads a C string: the input copied into a heap buffer of exactly
 * size + 1 bytes ending in a NUL, so that ASan still catches a read past the text. An input with a NUL
 * inside is read up to it, as the parser would read it. NULL when out of memory (the target returns 0). */
#ifndef FUZZ_TEXT_H
#define FUZZ_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s) {
        memcpy(s, data, size);
        s[size] = '\0';
    }
    return s;
}

#endif
