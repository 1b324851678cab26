// SPDX-License-Identifier: MIT
#include "axon/io/serialize.hpp"

#include <map>

#include "axon/autograd/error.hpp"
#include "axon/autograd/shape.hpp"

namespace axon::io {

namespace {

/// "a, b, c" with at most `limit` names, then "... and N more".
std::string join_names(const std::vector<std::string>& names, std::size_t limit = 20) {
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i) {
    out += (i ? ", '" : "'") + names[i] + "'";
  }
  if (names.size() > limit) out += " ... and " + std::to_string(names.size() - limit) + " more";
  return out;
}

std::vector<std::size_t> as_shape(const autograd::Shape& shape) {
  return std::vector<std::size_t>(shape.begin(), shape.end());
}

}  // namespace

template <class T>
std::vector<TensorRef> tensor_refs(const nn::BasicModule<T>& module, const std::string& prefix) {
  std::vector<TensorRef> refs;
  for (const auto& [name, tensor] : module.state_dict()) {
    refs.push_back({prefix + name, dtype_of<T>(), as_shape(tensor.shape()), tensor.data_ptr()});
  }
  return refs;
}

template <class T>
void save(const nn::BasicModule<T>& module, const std::string& path, const Metadata& metadata) {
  // The refs point into the module's tensors, which the module keeps alive.
  write_safetensors(path, tensor_refs(module), metadata);
}

namespace detail {

template <class T>
PlannedLoad<T> plan_load(nn::BasicModule<T>& module, const std::vector<TensorInfo>& tensors,
                         const std::string& source, bool strict, const std::string& prefix,
                         const SafetensorsFile* file) {
  PlannedLoad<T> plan;
  std::map<std::string_view, const TensorInfo*> in_file;
  for (const TensorInfo& t : tensors) {
    if (t.name.compare(0, prefix.size(), prefix) == 0) {
      in_file.emplace(std::string_view(t.name).substr(prefix.size()), &t);
    }
  }
  std::map<std::string_view, bool> used;
  const auto state = module.state_dict();
  for (const auto& [name, tensor] : state) {
    const auto it = in_file.find(name);
    if (it == in_file.end()) {
      plan.result.missing_keys.push_back(name);
      continue;
    }
    used[it->first] = true;
    const TensorInfo& info = *it->second;
    if (info.shape != as_shape(tensor.shape())) {
      throw ShapeError(source + ": tensor '" + info.name + "' has shape " +
                       autograd::shape_str(autograd::Shape(info.shape.begin(), info.shape.end())) +
                       " in the file but the module's '" + name + "' has shape " +
                       autograd::shape_str(tensor.shape()));
    }
    if (file && info.dtype != dtype_of<T>() && !file->converts_exactly<T>(info)) {
      throw ValueError(source + ": tensor '" + info.name + "' has dtype " + dtype_name(info.dtype) +
                       ", whose values do not all convert exactly to " + dtype_name(dtype_of<T>()));
    }
    plan.copies.emplace_back(tensor, &info);
  }
  for (const auto& [name, info] : in_file) {
    if (!used.count(name)) plan.result.unexpected_keys.push_back(info->name);
  }
  if (strict && (!plan.result.missing_keys.empty() || !plan.result.unexpected_keys.empty())) {
    std::string msg = source + ": the file does not match " + module.name() + ":";
    if (!plan.result.missing_keys.empty()) {
      msg += " missing tensors " + join_names(plan.result.missing_keys) + ";";
    }
    if (!plan.result.unexpected_keys.empty()) {
      msg += " unexpected tensors " + join_names(plan.result.unexpected_keys) + ";";
    }
    msg.pop_back();
    throw ValueError(msg + " (load with strict = false to skip them)");
  }
  return plan;
}

template <class T>
void commit_load(const PlannedLoad<T>& plan, const SafetensorsFile& file) {
  for (const auto& [tensor, info] : plan.copies) {
    autograd::BasicTensor<T> destination = tensor;  // a handle: writes reach the module's storage
    file.copy_to(*info, destination.mutable_data_ptr());
  }
}

}  // namespace detail

template <class T>
LoadResult load(nn::BasicModule<T>& module, const SafetensorsFile& file, bool strict,
                const std::string& prefix) {
  detail::PlannedLoad<T> plan =
      detail::plan_load(module, file.tensors(), file.source(), strict, prefix, &file);
  detail::commit_load(plan, file);
  return std::move(plan.result);
}

template <class T>
LoadResult load(nn::BasicModule<T>& module, const std::string& path, bool strict) {
  // Names and shapes are checked on the header, before the data is read.
  const SafetensorsFile file = SafetensorsFile::read(path, [&](const Header& header) {
    detail::plan_load(module, header.tensors, path, strict, "", nullptr);
  });
  return load(module, file, strict);
}

#define AXON_IO_INSTANTIATE(T)                                                                     \
  template std::vector<TensorRef> tensor_refs(const nn::BasicModule<T>&, const std::string&);      \
  template void save(const nn::BasicModule<T>&, const std::string&, const Metadata&);              \
  template LoadResult load(nn::BasicModule<T>&, const std::string&, bool);                         \
  template LoadResult load(nn::BasicModule<T>&, const SafetensorsFile&, bool, const std::string&); \
  template detail::PlannedLoad<T> detail::plan_load(                                               \
      nn::BasicModule<T>&, const std::vector<TensorInfo>&, const std::string&, bool,               \
      const std::string&, const SafetensorsFile*);                                                 \
  template void detail::commit_load(const detail::PlannedLoad<T>&, const SafetensorsFile&);
AXON_IO_INSTANTIATE(float)
AXON_IO_INSTANTIATE(double)
#undef AXON_IO_INSTANTIATE

}  // namespace axon::io
