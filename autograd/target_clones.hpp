// SPDX-License-Identifier: MIT
#pragma once

/// AXON_TARGET_CLONES before a function compiles it twice, for baseline x86-64 (SSE2, what the
/// build targets so the binaries run anywhere) and for AVX2, and picks one at load time for the
/// running CPU (GCC function multiversioning). Use it on hot, memory- or divide-bound elementwise
/// loops. AVX2 alone enables no FMA contraction, so for loops of +, -, *, /, sqrt and conversions
/// (all correctly rounded) both clones give the same bits: results do not depend on the CPU's
/// vector width. Expands to nothing on compilers or targets without the feature.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define AXON_TARGET_CLONES [[gnu::target_clones("avx2", "default")]]
#else
#define AXON_TARGET_CLONES
#endif
