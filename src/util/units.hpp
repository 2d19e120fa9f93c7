// Sizes and durations as a person reads them ("1.5 GiB", "2m05s"), for messages in any layer.
#pragma once

#include <cstdint>
#include <string>

namespace ferry::util {

std::string format_bytes(uint64_t bytes);
std::string format_duration(double seconds);

}  // namespace ferry::util
