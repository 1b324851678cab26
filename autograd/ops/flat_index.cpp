// SPDX-License-Identifier: MIT
#include "axon/autograd/ops/flat_index.hpp"

#include <string>

namespace axon::autograd::detail {

namespace {

void check_count(const char* op, const FlatIndex& index, std::size_t n, const Shape& shape) {
  if (!index || index->size() != n) {
    throw ShapeError(std::string(op) + ": " + std::to_string(index ? index->size() : 0) +
                     " positions for " + std::to_string(n) + " elements (shape " +
                     shape_str(shape) + ")");
  }
}

}  // namespace

template <class T>
BasicTensor<T> take_flat(const BasicTensor<T>& x, const FlatIndex& index, const Shape& shape) {
  check_count("take_flat", index, shape_numel(shape), shape);
  xt::xarray<T> out = xt::xarray<T>::from_shape(shape);
  const T* px = x.data_ptr();
  const std::size_t* pi = index->data();
  for (std::size_t i = 0; i < out.size(); ++i) {
    out.data()[i] = pi[i] == kNoElement ? T(0) : px[pi[i]];
  }
  return make_result<T>("take_flat", std::move(out), {&x},
                        [ix = x.impl_ptr(), index](const auto& g, const auto&) -> void {
                          if constexpr (is_tensor_v<std::decay_t<decltype(g)>>) {
                            add_grad(ix, put_flat(g, index, ix->value.shape()));
                          } else {
                            xt::xarray<T> dx = xt::zeros<T>(ix->value.shape());
                            const std::size_t* pi = index->data();
                            for (std::size_t i = 0; i < g.size(); ++i) {
                              if (pi[i] != kNoElement) dx.data()[pi[i]] += g.data()[i];
                            }
                            accumulate_grad(*ix, std::move(dx));
                          }
                        });
}

template <class T>
BasicTensor<T> put_flat(const BasicTensor<T>& g, const FlatIndex& index, const Shape& shape) {
  check_count("put_flat", index, g.numel(), g.shape());
  xt::xarray<T> out = xt::zeros<T>(shape);
  const T* pg = g.data_ptr();
  const std::size_t* pi = index->data();
  for (std::size_t i = 0; i < g.numel(); ++i) {
    if (pi[i] != kNoElement) out.data()[pi[i]] += pg[i];
  }
  return make_result<T>("put_flat", std::move(out), {&g},
                        [ig = g.impl_ptr(), index](const auto& d, const auto&) -> void {
                          if constexpr (is_tensor_v<std::decay_t<decltype(d)>>) {
                            add_grad(ig, take_flat(d, index, ig->value.shape()));
                          } else {
                            xt::xarray<T> dg = xt::xarray<T>::from_shape(ig->value.shape());
                            const std::size_t* pi = index->data();
                            for (std::size_t i = 0; i < dg.size(); ++i) {
                              dg.data()[i] = pi[i] == kNoElement ? T(0) : d.data()[pi[i]];
                            }
                            accumulate_grad(*ig, std::move(dg));
                          }
                        });
}

std::vector<std::size_t> strided_positions(const Shape& shape, const Shape& strides,
                                           std::size_t offset) {
  std::vector<std::size_t> out(shape_numel(shape));
  if (out.empty()) return out;
  std::vector<std::size_t> coord(shape.size(), 0);
  std::size_t pos = offset;
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = pos;
    // Advance the row-major odometer, moving pos with it.
    for (std::size_t d = shape.size(); d-- > 0;) {
      if (++coord[d] < shape[d]) {
        pos += strides[d];
        break;
      }
      pos -= (shape[d] - 1) * strides[d];
      coord[d] = 0;
    }
  }
  return out;
}

template BasicTensor<float> take_flat(const BasicTensor<float>&, const FlatIndex&, const Shape&);
template BasicTensor<double> take_flat(const BasicTensor<double>&, const FlatIndex&, const Shape&);
template BasicTensor<float> put_flat(const BasicTensor<float>&, const FlatIndex&, const Shape&);
template BasicTensor<double> put_flat(const BasicTensor<double>&, const FlatIndex&, const Shape&);

}  // namespace axon::autograd::detail
