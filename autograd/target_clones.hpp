// SPDX-License-Identifier: MIT
#pragma once

/// AXON_TARGET_CLONES before a function compiles it three times, for baseline x86-64 (SSE2, what
/// the build targets so the binaries run anywhere), AVX2 and AVX-512, and picks one at load time
/// for the running CPU (GCC function multiversioning). Use it on hot, memory- or divide-bound
/// elementwise loops. The project builds with -ffp-contract=off, so no clone fuses a multiply and
/// an add; for loops of +, -, *, /, sqrt and conversions (all correctly rounded) every clone then
/// gives the same bits: results do not depend on the CPU's vector width. Expands to nothing on
/// compilers or targets without the feature.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define AXON_TARGET_CLONES [[gnu::target_clones("avx512f", "avx2", "default")]]
#else
#define AXON_TARGET_CLONES
#endif
