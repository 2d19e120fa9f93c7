#include "cli/app.hpp"

#include <fmt/core.h>

#include "cli/global_options.hpp"
#include "exec/interrupt.hpp"
#include "util/error.hpp"

namespace ferry::cli {

int run(int argc, char** argv) {
  CLI::App app{"ferry: move a running LXD or Incus container to another host with seconds of downtime"};
  app.set_version_flag("--version", std::string("ferry ") + FERRY_VERSION);
  app.require_subcommand(1);
  GlobalOptions options;
  add_global_options(app, options);
  int exit_code = 0;
  exec::install_interrupt_handlers();
  register_move_commands(app, options, &exit_code);
  register_dns_commands(app, options, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version exit 0; every other parse error is a usage error: exit code 2.
    int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(ExitCode::usage);
  }
  return exit_code;
}

}  // namespace ferry::cli
