// SPDX-License-Identifier: MIT
#pragma once

#include <stdexcept>
#include <string>

/// Typed errors thrown by every part of the framework. Each message names the operation and the
/// shapes (or the file and position) involved. Nothing in the library asserts or aborts on user
/// input; catch `axon::Error` to handle them all.
namespace axon {

/// Base of every error the framework throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Operand shapes that do not fit the operation (broadcasting, matmul inner dims, concat, ...).
class ShapeError : public Error {
 public:
  using Error::Error;
};

/// A bad argument value: an axis out of range, a negative size, a non-scalar `item()`, ...
class ValueError : public Error {
 public:
  using Error::Error;
};

/// An index outside a dimension (slice bounds, gather/index_select indices).
class IndexError : public ValueError {
 public:
  using ValueError::ValueError;
};

/// Misuse of the tape: backward through a released graph, backward on a tensor without graph.
class GraphError : public Error {
 public:
  using Error::Error;
};

/// Anomaly mode: a NaN or Inf produced in backward. The message names the op that produced it.
class NumericalError : public Error {
 public:
  using Error::Error;
};

/// A file that cannot be opened, read or parsed; the message names the file and the position.
class IOError : public Error {
 public:
  using Error::Error;
};

}  // namespace axon
