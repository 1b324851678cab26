// SPDX-License-Identifier: MIT
#pragma once

/// One line at the bottom of an op family's .cpp instantiates its ops for float and double:
///
///     AXON_INSTANTIATE_OPS(relu, leaky_relu, elu)
///
/// The ops are function templates declared in the family's header and defined in its .cpp, so a
/// user's translation unit compiles only the declarations. Each name expands to
/// `template decltype(name<float>) name<float>;` (and the same for double): the signature is
/// taken from the header's declaration, so adding an op never means repeating its parameter list.
/// A name with several templated overloads (`add(a, b)` and `add(a, s)`) is ambiguous in
/// decltype; instantiate those by signature, with an alias template for the function type:
///
///     template <class T> using ScalarOp = BasicTensor<T>(const BasicTensor<T>&, T);
///     AXON_INSTANTIATE_SIGNATURE(ScalarOp, add, mul, div, pow)

#define AXON_INSTANTIATE_OPS(...) AXON_DETAIL_FOR_EACH(AXON_DETAIL_BY_DECLTYPE, _, __VA_ARGS__)
#define AXON_INSTANTIATE_SIGNATURE(Signature, ...) \
  AXON_DETAIL_FOR_EACH(AXON_DETAIL_BY_SIGNATURE, Signature, __VA_ARGS__)

#define AXON_DETAIL_BY_DECLTYPE(unused, name) \
  template decltype(name<float>) name<float>; \
  template decltype(name<double>) name<double>;
#define AXON_DETAIL_BY_SIGNATURE(Signature, name) \
  template Signature<float> name<float>;          \
  template Signature<double> name<double>;

// AXON_DETAIL_FOR_EACH(m, arg, a, b, ...) expands to m(arg, a) m(arg, b) ...: the C++20
// __VA_OPT__ recursion, rescanned up to 4^4 = 256 times (far more names than a family holds).
#define AXON_DETAIL_PARENS ()
#define AXON_DETAIL_EXPAND(...) \
  AXON_DETAIL_EXPAND3(AXON_DETAIL_EXPAND3(AXON_DETAIL_EXPAND3(AXON_DETAIL_EXPAND3(__VA_ARGS__))))
#define AXON_DETAIL_EXPAND3(...) \
  AXON_DETAIL_EXPAND2(AXON_DETAIL_EXPAND2(AXON_DETAIL_EXPAND2(AXON_DETAIL_EXPAND2(__VA_ARGS__))))
#define AXON_DETAIL_EXPAND2(...) \
  AXON_DETAIL_EXPAND1(AXON_DETAIL_EXPAND1(AXON_DETAIL_EXPAND1(AXON_DETAIL_EXPAND1(__VA_ARGS__))))
#define AXON_DETAIL_EXPAND1(...) \
  AXON_DETAIL_EXPAND0(AXON_DETAIL_EXPAND0(AXON_DETAIL_EXPAND0(AXON_DETAIL_EXPAND0(__VA_ARGS__))))
#define AXON_DETAIL_EXPAND0(...) __VA_ARGS__
#define AXON_DETAIL_FOR_EACH(macro, arg, ...) \
  __VA_OPT__(AXON_DETAIL_EXPAND(AXON_DETAIL_FOR_EACH_STEP(macro, arg, __VA_ARGS__)))
#define AXON_DETAIL_FOR_EACH_STEP(macro, arg, first, ...) \
  macro(arg, first)                                       \
      __VA_OPT__(AXON_DETAIL_FOR_EACH_AGAIN AXON_DETAIL_PARENS(macro, arg, __VA_ARGS__))
#define AXON_DETAIL_FOR_EACH_AGAIN() AXON_DETAIL_FOR_EACH_STEP
