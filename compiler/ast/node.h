#pragma once

#include <cstdint>
#include <string>

#include "catalog/base/check.h"
#include "catalog/base/source_span.h"

namespace sluice::ast {

/// Base of every AST node family: an immutable kind, the span of the text it came from, and a
/// checked downcast. `T` must declare `static constexpr KindT kKind`.
template <typename KindT>
class Node {
 public:
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  KindT kind() const { return kind_; }

  /// Tells whether this node is a `T`.
  template <typename T>
  bool Is() const {
    return kind_ == T::kKind;
  }
  /// Downcasts to `T`; aborts when the kind does not match (a bug, never user input).
  template <typename T>
  T& Cast() {
    SLUICE_CHECK(Is<T>(), "AST cast to the wrong kind: have {}, want {}", static_cast<int>(kind_),
                 static_cast<int>(T::kKind));
    return static_cast<T&>(*this);
  }
  template <typename T>
  const T& Cast() const {
    SLUICE_CHECK(Is<T>(), "AST cast to the wrong kind: have {}, want {}", static_cast<int>(kind_),
                 static_cast<int>(T::kKind));
    return static_cast<const T&>(*this);
  }
  /// Returns the node as a `T`, or nullptr when it is another kind.
  template <typename T>
  const T* As() const {
    return Is<T>() ? static_cast<const T*>(this) : nullptr;
  }

  /// Renders the node as SQL-like text, fully parenthesized; for tests and debugging.
  virtual std::string ToString() const = 0;

  /// The text this node was parsed from.
  base::SourceSpan span;

 protected:
  Node(KindT kind, base::SourceSpan node_span) : span(node_span), kind_(kind) {}

 private:
  KindT kind_;
};

}  // namespace sluice::ast
