// SPDX-License-Identifier: MIT
#include "axon/autograd/grad_sink.hpp"

namespace axon::autograd::detail {

template <class T>
LeafGradients<T>*& leaf_sink() {
  thread_local LeafGradients<T>* sink = nullptr;
  return sink;
}

template LeafGradients<float>*& leaf_sink<float>();
template LeafGradients<double>*& leaf_sink<double>();

}  // namespace axon::autograd::detail
