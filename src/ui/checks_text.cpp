#include "ui/checks_text.hpp"

namespace ferry::ui {

std::string format_checks(const std::vector<util::Check>& results) {
  std::string out;
  for (auto& c : results) {
    out += (c.ok ? (c.warning ? "  warn " : "  ok   ") : "  FAIL ") + c.check + ": " + c.message + "\n";
    if ((!c.ok || c.warning) && !c.hint.empty()) out += "         fix: " + c.hint + "\n";
  }
  return out;
}

}  // namespace ferry::ui
