// The one function that turns argument vectors into shell words. Every argument that crosses
// ssh (or goes through `sh -c`) is quoted here; nothing else in ferry builds shell strings.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::exec {

// One argument as a POSIX shell word that the shell turns back into exactly `arg`.
std::string shell_quote(std::string_view arg);

// argv as one command line for a POSIX shell: each argument quoted, separated by spaces.
std::string shell_join(const std::vector<std::string>& argv);

}  // namespace ferry::exec
