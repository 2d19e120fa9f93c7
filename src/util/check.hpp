// One check's result, as preflight makes it and a reporter or cli shows it: a value, like
// util::Error, so that the layer that checks hands results up without rendering them.
#pragma once

#include <string>

namespace ferry::util {

struct Check {
  std::string check;    // short name: "target pool", "space", ...
  bool ok = true;
  bool warning = false; // not fatal
  std::string message;  // what was found
  std::string hint;     // what to do
};

}  // namespace ferry::util
