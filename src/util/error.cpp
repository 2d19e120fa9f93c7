#include "util/error.hpp"

namespace ferry {

std::string Error::message() const {
  std::string text = "error: " + what;
  if (!host.empty()) text += " (on " + host + ")";
  if (!command.empty()) text += "\n  command: " + command;
  if (!detail.empty()) text += "\n  reason: " + detail;
  if (!hint.empty()) text += "\n  what to do: " + hint;
  return text;
}

}  // namespace ferry
