// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>

/// A check that OpenBLAS runs kernels fit for this CPU.
///
/// OpenBLAS chooses its kernels from the CPU's model when the library loads. On a virtual machine
/// whose CPU reports a generic model, Debian's OpenBLAS (0.3.21) can fall back to its Prescott
/// (SSE3) kernels although the CPU has AVX-512: on a 16-core Sapphire Rapids VM that made sgemm
/// 25 GFLOP/s per core instead of 150, and training about 5x slower, with nothing said. The kernel
/// cannot be changed once the library is loaded; the environment variable OPENBLAS_CORETYPE
/// (set before the program starts) chooses it. train::set_num_threads prints the warning below
/// once per process when it applies.
namespace axon::autograd {

/// The warning for OpenBLAS kernels `core` (openblas_get_corename()) on a CPU with the given
/// instruction sets: empty when the kernels use what the CPU has or when they were chosen by hand
/// (`coretype_set`: OPENBLAS_CORETYPE is in the environment), else one line naming the kernels,
/// the CPU's widest vector instructions and the OPENBLAS_CORETYPE value to set.
std::string blas_kernel_warning(std::string_view core, bool cpu_has_avx2, bool cpu_has_avx512f,
                                bool coretype_set = false);

/// blas_kernel_warning() for this process's OpenBLAS, CPU and environment; empty on CPUs other
/// than x86-64.
std::string blas_kernel_warning();

/// Prints blas_kernel_warning() to standard error, once per process, when it is not empty.
void warn_if_slow_blas_kernel();

}  // namespace axon::autograd
