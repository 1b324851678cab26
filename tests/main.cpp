// SPDX-License-Identifier: MIT
// The test runner: doctest's own main (flags such as -tc="name*" and -s work as usual).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
