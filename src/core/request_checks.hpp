// Every input of a move checked before anything else happens (no ssh, no journal, no lock):
// names as LXD and Incus accept them, ssh destinations that cannot become ssh options, addresses,
// ports, the health check, hooks, limits. A bad value is a usage error (exit 2) that names the
// flag and shows the value escaped, with what to do.
#pragma once

#include <string>

#include "core/move_request.hpp"
#include "util/error.hpp"

namespace ferry::core {

// Pure: the command line alone.
Status check_request(const MoveRequest& request);

// The value as an operator can read it whatever it holds (quotes, newlines, control bytes):
// a JSON string literal.
std::string escaped(const std::string& value);

}  // namespace ferry::core
