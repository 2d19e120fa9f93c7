// `ferry dns ...`: placeholder until the DNS providers land.
#include "cli/global_options.hpp"

namespace ferry::cli {

void register_dns_commands(CLI::App&, GlobalOptions&, ExitSink) {}

}  // namespace ferry::cli
