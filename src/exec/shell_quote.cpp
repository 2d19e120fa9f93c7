#include "exec/shell_quote.hpp"

namespace ferry::exec {

namespace {
// Characters that never need quoting in any POSIX shell context we use (argument position).
bool is_plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '/' || c == ',' || c == ':' || c == '@' || c == '%' || c == '+';
}
}  // namespace

std::string shell_quote(std::string_view arg) {
  bool plain = !arg.empty();
  for (char c : arg) plain = plain && is_plain(c);
  if (plain) return std::string(arg);
  // Single quotes preserve everything but the single quote itself, which becomes '\''.
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += '\'';
  return out;
}

std::string shell_join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += shell_quote(arg);
  }
  return out;
}

}  // namespace ferry::exec
