// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "axon/io/safetensors.hpp"
#include "axon/nn/module.hpp"

/// Saving and loading a module's state dict (parameters and buffers, dotted names) as a
/// safetensors file that NumPy and PyTorch read (docs/CHECKPOINTS.md):
///
/// ```
/// io::save(model, "model.safetensors", {{"epochs", "10"}});
/// io::load(model, "model.safetensors");                          // strict: names must match
/// auto result = io::load(model, "model.safetensors", false);     // lists missing/unexpected
/// ```
namespace axon::io {

/// What a non-strict load skipped.
struct LoadResult {
  std::vector<std::string> missing_keys;     ///< in the module, not in the file (left as they were)
  std::vector<std::string> unexpected_keys;  ///< in the file, not in the module (ignored)
};

/// Writes the module's state dict atomically (the previous file stays intact until the new one
/// is complete), with `metadata` under "__metadata__". Tensors keep the module's scalar type
/// (F32 for Module, F64 for ModuleD). IOError when the file cannot be written.
template <class T>
void save(const nn::BasicModule<T>& module, const std::string& path, const Metadata& metadata = {});

/// Reads `path` and copies its tensors into the module's parameters and buffers in place.
/// Everything is checked before anything is copied, so a failed load leaves the module as it was:
/// IOError for a malformed file (see parse_header), ShapeError naming the file, the tensor and
/// both shapes when a shape differs, ValueError when a dtype does not convert exactly to T and,
/// with `strict`, when keys are missing or unexpected (without it they are returned). Memory:
/// the file's size plus its header's index.
template <class T>
LoadResult load(nn::BasicModule<T>& module, const std::string& path, bool strict = true);

/// The same from a file already read. Only tensors whose names start with `prefix` are
/// considered (and the prefix is removed before matching the module's names).
template <class T>
LoadResult load(nn::BasicModule<T>& module, const SafetensorsFile& file, bool strict = true,
                const std::string& prefix = "");

/// The module's tensors as TensorRefs for write_safetensors, named `prefix` + dotted name. The
/// references point into the module's storage.
template <class T>
std::vector<TensorRef> tensor_refs(const nn::BasicModule<T>& module,
                                   const std::string& prefix = "");

namespace detail {
/// A checked load that has not copied anything yet: (destination, source entry) pairs.
template <class T>
struct PlannedLoad {
  std::vector<std::pair<autograd::BasicTensor<T>, const TensorInfo*>> copies;
  LoadResult result;
};
/// Checks a load of the `prefix`ed entries of `tensors` (from the file named `source`) into
/// `module`: names and shapes, and with `file` (which holds the data) exact dtype conversions.
/// Throws as load() does.
template <class T>
PlannedLoad<T> plan_load(nn::BasicModule<T>& module, const std::vector<TensorInfo>& tensors,
                         const std::string& source, bool strict, const std::string& prefix,
                         const SafetensorsFile* file);
/// Copies a planned load; cannot fail.
template <class T>
void commit_load(const PlannedLoad<T>& plan, const SafetensorsFile& file);
}  // namespace detail

}  // namespace axon::io
