// Error values that cross module boundaries: what failed, where, and what to do about it.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace ferry {

// Documented exit codes (docs/ferry.1.md, "EXIT STATUS").
enum class ExitCode : int {
  ok = 0,
  failure = 1,         // an operation failed; the message says which host and command
  usage = 2,           // bad command line or migration file
  preflight = 3,       // a preflight check failed; nothing was changed
  locked = 4,          // another ferry holds the lock for this instance
  rolled_back = 5,     // the move failed before the switch; the source runs again
  needs_decision = 6,  // ferry stopped and waits for the operator (e.g. --cutover-anyway)
  interrupted = 130,
};

struct Error {
  std::string what;     // one sentence: what failed
  std::string host;     // which host, empty if none
  std::string command;  // the command as the user could run it, empty if none
  std::string detail;   // stderr tail or the reason
  std::string hint;     // what the user can do next
  ExitCode code = ExitCode::failure;

  Error& on(std::string h) { host = std::move(h); return *this; }
  Error& with_hint(std::string h) { hint = std::move(h); return *this; }
  Error& with_code(ExitCode c) { code = c; return *this; }
  std::string message() const;  // multi-line text for the terminal
};

inline Error make_error(std::string what, std::string detail = {}) {
  Error e;
  e.what = std::move(what);
  e.detail = std::move(detail);
  return e;
}

struct Unexpected {
  Error error;
};
inline Unexpected fail(Error e) { return Unexpected{std::move(e)}; }
inline Unexpected fail(std::string what, std::string detail = {}) {
  return Unexpected{make_error(std::move(what), std::move(detail))};
}

// A value or an Error: the tl::expected shape, small enough to own (no std::expected in C++20).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}
  Result(Unexpected u) : state_(std::move(u.error)) {}
  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(state_); }
  Error& error() { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected u) : error_(std::move(u.error)), failed_(true) {}
  bool has_value() const { return !failed_; }
  explicit operator bool() const { return !failed_; }
  const Error& error() const { return error_; }
  Error& error() { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace ferry

// Propagates an error from an expression returning Result<...>.
#define FERRY_TRY(expr)                                          \
  do {                                                           \
    auto ferry_try_result_ = (expr);                             \
    if (!ferry_try_result_) return ::ferry::Unexpected{std::move(ferry_try_result_.error())}; \
  } while (0)
