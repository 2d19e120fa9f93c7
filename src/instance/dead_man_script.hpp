// The dead-man's program on the source host (core/dead_man.hpp says what it is for and when
// ferry arms it): one constant script that drives the manager's client, its action as argv.
#pragma once

#include <string>
#include <vector>

namespace ferry::instance {

// `sh -c SCRIPT ferry-dead-man ACTION DIR ARGS...`. Actions: arm SECONDS CLIENT NAME PROJECT,
// request-start, disarm, state; each prints the state it leaves (armed, fired or none).
std::vector<std::string> dead_man_argv(const std::string& action, const std::string& dir, const std::vector<std::string>& args);

}  // namespace ferry::instance
