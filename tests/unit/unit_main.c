/* One executable per layer for the unit tests (unit_<layer>, CMakeLists.txt): each tests/unit/test_*.c keeps
 * its own `int main(void)`, renamed rsp_unit_<test> by a generated wrapper source, and unit_table.h lists the
 * layer's tests. Linking ~90 ASan executables took about a minute of `make test`; one link per layer keeps the
 * layering check (a layer's tests link only that layer and those below it) at a sixth of the links. Each ctest
 * still runs one test's main in a process of its own, as before. Usage: unit_<layer> TEST | --list. */
#include <stdio.h>
#include <string.h>

#define RSP_UNIT(n) int rsp_unit_##n(void);
#include "unit_table.h"
#undef RSP_UNIT
static const struct {
    const char *name;
    int (*fn)(void);
} unit_tests[] = {
#define RSP_UNIT(n) {#n, rsp_unit_##n},
#include "unit_table.h"
#undef RSP_UNIT
};

int main(int argc, char **argv)
{
    size_t n = sizeof(unit_tests) / sizeof(unit_tests[0]);
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", unit_tests[i].name);
        return 0;
    }
    if (argc == 2)
        for (size_t i = 0; i < n; i++)
            if (strcmp(argv[1], unit_tests[i].name) == 0)
                return unit_tests[i].fn();
    fprintf(stderr, "usage: %s TEST | --list (%s: no such test here)\n", argv[0], argc == 2 ? argv[1] : "none given");
    return 2;
}
