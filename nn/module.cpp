// SPDX-License-Identifier: MIT
#include "axon/nn/module.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <ostream>
#include <set>
#include <sstream>
#include <typeinfo>

namespace axon::nn {

namespace {

/// "axon::nn::BasicLinear<float>" -> "BasicLinear"; "(anonymous namespace)::Block<double>" ->
/// "Block".
std::string unqualified_type_name(const std::type_info& type) {
  int status = 0;
  char* raw = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string full = (status == 0 && raw) ? raw : type.name();
  std::free(raw);
  std::string out;
  int depth = 0;
  for (std::size_t i = 0; i < full.size(); ++i) {
    const char c = full[i];
    if (c == '<' || c == '(') ++depth;
    if (depth == 0 && c == ':' && i + 1 < full.size() && full[i + 1] == ':') {
      out.clear();  // drop the qualification seen so far
      ++i;
      continue;
    }
    if (depth == 0) out += c;
    if (c == '>' || c == ')') --depth;
  }
  return out.empty() ? full : out;
}

/// Splits "a.b.c" into {"a", "b", "c"}.
std::vector<std::string> split_dotted(const std::string& name) {
  std::vector<std::string> parts(1);
  for (char c : name) {
    if (c == '.') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  return parts;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

/// The entries of `named` whose tensor is not an earlier entry's (a module or tensor shared by
/// two parents is listed once, under its first name, as PyTorch's named_parameters()).
template <class T>
StateDict<T> unique_tensors(StateDict<T> named) {
  std::set<const void*> seen;
  StateDict<T> out;
  for (auto& entry : named) {
    if (seen.insert(entry.second.impl_ptr().get()).second) out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

template <class T>
std::string BasicModule<T>::name() const {
  return unqualified_type_name(typeid(*this));
}

template <class T>
void BasicModule<T>::check_new_name(const std::string& name, const char* what) const {
  const std::string where = this->name() + ": " + what + " '" + name + "': ";
  if (name.empty() || name.find('.') != std::string::npos) {
    throw ValueError(where + "names must be non-empty and contain no '.'");
  }
  for (const auto& e : parameters_) {
    if (e.name == name) throw ValueError(where + "name already used by a parameter");
  }
  for (const auto& e : buffers_) {
    if (e.name == name) throw ValueError(where + "name already used by a buffer");
  }
  for (const auto& c : children_) {
    if (c.first == name) throw ValueError(where + "name already used by a child module");
  }
}

template <class T>
auto BasicModule<T>::register_parameter(const std::string& name, Tensor tensor) -> Tensor& {
  check_new_name(name, "register_parameter");
  if (!tensor.defined() || !tensor.is_leaf()) {
    throw ValueError(this->name() + ": register_parameter '" + name +
                     "': the tensor must be a defined leaf (detach() a computed value first)");
  }
  tensor.requires_grad_(true);
  parameters_.push_back({name, std::move(tensor)});
  return parameters_.back().tensor;
}

template <class T>
auto BasicModule<T>::register_buffer(const std::string& name, Tensor tensor) -> Tensor& {
  check_new_name(name, "register_buffer");
  if (!tensor.defined()) {
    throw ValueError(this->name() + ": register_buffer '" + name + "': undefined tensor");
  }
  buffers_.push_back({name, std::move(tensor)});
  return buffers_.back().tensor;
}

template <class T>
void BasicModule<T>::add_child(const std::string& name, std::shared_ptr<BasicModule> module) {
  check_new_name(name, "register_module");
  if (!module) throw ValueError(this->name() + ": register_module '" + name + "': null module");
  children_.emplace_back(name, std::move(module));
}

template <class T>
void BasicModule<T>::collect(const std::string& prefix, bool params, bool recurse,
                             StateDict<T>& out) const {
  for (const auto& e : params ? parameters_ : buffers_) out.emplace_back(prefix + e.name, e.tensor);
  if (!recurse) return;
  for (const auto& [name, child] : children_)
    child->collect(prefix + name + ".", params, true, out);
}

template <class T>
auto BasicModule<T>::parameters(bool recurse) const -> std::vector<Tensor> {
  std::vector<Tensor> out;
  for (auto& entry : named_parameters(recurse)) out.push_back(std::move(entry.second));
  return out;
}

template <class T>
StateDict<T> BasicModule<T>::named_parameters(bool recurse) const {
  StateDict<T> out;
  collect("", true, recurse, out);
  return unique_tensors(std::move(out));
}

template <class T>
auto BasicModule<T>::buffers(bool recurse) const -> std::vector<Tensor> {
  std::vector<Tensor> out;
  for (auto& entry : named_buffers(recurse)) out.push_back(std::move(entry.second));
  return out;
}

template <class T>
StateDict<T> BasicModule<T>::named_buffers(bool recurse) const {
  StateDict<T> out;
  collect("", false, recurse, out);
  return unique_tensors(std::move(out));
}

template <class T>
auto BasicModule<T>::children() const -> std::vector<std::shared_ptr<BasicModule>> {
  std::vector<std::shared_ptr<BasicModule>> out;
  for (const auto& c : children_) out.push_back(c.second);
  return out;
}

template <class T>
auto BasicModule<T>::named_children() const
    -> std::vector<std::pair<std::string, std::shared_ptr<BasicModule>>> {
  return children_;
}

template <class T>
auto BasicModule<T>::named_modules() -> std::vector<std::pair<std::string, BasicModule*>> {
  std::vector<std::pair<std::string, BasicModule*>> out{{"", this}};
  for (const auto& [name, child] : children_) {
    for (const auto& [sub, module] : child->named_modules()) {
      out.emplace_back(sub.empty() ? name : name + "." + sub, module);
    }
  }
  return out;
}

template <class T>
void BasicModule<T>::apply(const std::function<void(BasicModule&)>& fn) {
  for (const auto& c : children_) c.second->apply(fn);
  fn(*this);
}

template <class T>
auto BasicModule<T>::find_tensor(const std::string& dotted_name, bool params) -> Tensor* {
  const auto parts = split_dotted(dotted_name);
  BasicModule* m = this;
  for (std::size_t i = 0; i + 1 < parts.size() && m; ++i) {
    BasicModule* next = nullptr;
    for (const auto& c : m->children_) {
      if (c.first == parts[i]) next = c.second.get();
    }
    m = next;
  }
  if (!m) return nullptr;
  for (auto& e : params ? m->parameters_ : m->buffers_) {
    if (e.name == parts.back()) return &e.tensor;
  }
  return nullptr;
}

template <class T>
auto BasicModule<T>::parameter(const std::string& dotted_name) -> Tensor& {
  if (Tensor* t = find_tensor(dotted_name, true)) return *t;
  throw ValueError(name() + ": no parameter named '" + dotted_name + "'");
}

template <class T>
auto BasicModule<T>::buffer(const std::string& dotted_name) -> Tensor& {
  if (Tensor* t = find_tensor(dotted_name, false)) return *t;
  throw ValueError(name() + ": no buffer named '" + dotted_name + "'");
}

template <class T>
StateDict<T> BasicModule<T>::state_dict() const {
  // Per module: parameters, then buffers, then the children (PyTorch's order).
  StateDict<T> out;
  collect("", true, false, out);
  collect("", false, false, out);
  for (const auto& [name, child] : children_) {
    for (auto& [key, tensor] : child->state_dict()) out.emplace_back(name + "." + key, tensor);
  }
  return out;
}

template <class T>
void BasicModule<T>::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  std::vector<std::string> missing, unexpected;
  std::vector<std::pair<Tensor, const Tensor*>> copies;  // (destination, source)
  std::set<std::string> known;
  for (const auto& [key, dst] : state_dict()) {
    known.insert(key);
    const auto it = state.find(key);
    if (it == state.end()) {
      missing.push_back(key);
      continue;
    }
    const Tensor& src = it->second;
    if (!src.defined() || src.shape() != dst.shape()) {
      throw ShapeError("load_state_dict: '" + key + "': the state has shape " +
                       (src.defined() ? autograd::shape_str(src.shape()) : "(undefined)") +
                       " but the module's tensor has shape " + autograd::shape_str(dst.shape()));
    }
    copies.emplace_back(dst, &src);
  }
  for (const auto& [key, _] : state) {
    if (!known.count(key)) unexpected.push_back(key);
  }
  if (strict && (!missing.empty() || !unexpected.empty())) {
    std::string msg = "load_state_dict into " + name() + ":";
    if (!missing.empty()) msg += " missing keys: " + join(missing) + ";";
    if (!unexpected.empty()) msg += " unexpected keys: " + join(unexpected) + ";";
    msg.pop_back();
    throw ValueError(msg);
  }
  for (auto& [dst, src] : copies) {
    if (dst.impl_ptr() != src->impl_ptr()) dst.mutable_data() = src->data();
  }
}

template <class T>
void BasicModule<T>::load_state_dict(const StateDict<T>& state, bool strict) {
  std::map<std::string, Tensor> map;
  for (const auto& [key, tensor] : state) {
    if (!map.emplace(key, tensor).second) {
      throw ValueError("load_state_dict into " + name() + ": duplicate key '" + key + "'");
    }
  }
  load_state_dict(map, strict);
}

template <class T>
void BasicModule<T>::train(bool on) {
  training_ = on;
  for (const auto& c : children_) c.second->train(on);
}

template <class T>
void BasicModule<T>::zero_grad() {
  for (auto& p : parameters()) p.zero_grad();
}

template <class T>
std::size_t BasicModule<T>::num_parameters(bool trainable_only) const {
  std::size_t n = 0;
  for (const auto& p : parameters()) n += (!trainable_only || p.requires_grad()) ? p.numel() : 0;
  return n;
}

template <class T>
void BasicModule<T>::print(std::ostream& os, int indent) const {
  const std::string pad(static_cast<std::size_t>(indent) + 2, ' ');
  const std::size_t count = num_parameters();
  const std::string note = count ? "  # " + std::to_string(count) + " parameters" : "";
  os << name() << '(';
  if (children_.empty()) {
    os << extra_repr() << ')' << note;
    return;
  }
  os << note << '\n';
  if (!extra_repr().empty()) os << pad << extra_repr() << '\n';
  for (const auto& [child_name, child] : children_) {
    os << pad << '(' << child_name << "): ";
    child->print(os, indent + 2);
    os << '\n';
  }
  os << std::string(static_cast<std::size_t>(indent), ' ') << ')';
}

template <class T>
std::string BasicModule<T>::repr() const {
  std::ostringstream os;
  print(os, 0);
  return os.str();
}

template <class T>
std::ostream& operator<<(std::ostream& os, const BasicModule<T>& module) {
  return os << module.repr();
}

template class BasicModule<float>;
template class BasicModule<double>;
template std::ostream& operator<<(std::ostream&, const BasicModule<float>&);
template std::ostream& operator<<(std::ostream&, const BasicModule<double>&);

}  // namespace axon::nn
