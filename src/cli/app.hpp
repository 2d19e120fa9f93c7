// Command-line entry: parses the command line and dispatches to one command.
#pragma once

namespace ferry::cli {

int run(int argc, char** argv);

}  // namespace ferry::cli
