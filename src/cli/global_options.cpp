#include "cli/global_options.hpp"

#include <cstdio>
#include <cstdlib>

namespace ferry::cli {

std::string GlobalOptions::resolved_state_dir() const {
  if (!state_dir.empty()) return state_dir;
  if (const char* env = std::getenv("FERRY_STATE_DIR"); env && *env) return env;
  return "/var/lib/ferry";
}

void add_global_options(CLI::App& app, GlobalOptions& options) {
  app.add_flag("--json", options.json, "Print one JSON document on stdout instead of text");
  app.add_flag("--dry-run", options.dry_run, "Print the plan and the exact commands; change nothing");
  app.add_flag("-v,--verbose", options.verbose, "Echo every command ferry runs to stderr");
  app.add_option("--state-dir", options.state_dir,
                 "Where journals and locks live (default $FERRY_STATE_DIR or /var/lib/ferry)");
  app.add_option("--ssh-config", options.ssh_config, "ssh client configuration file (ssh -F)");
}

}  // namespace ferry::cli

namespace ferry::cli {

std::string json_document(nlohmann::json body, int indent) {
  if (body.is_object()) body["schema_version"] = kJsonSchemaVersion;
  return body.dump(indent);
}

int emit(const GlobalOptions& options, int code, const nlohmann::json& report, const std::string& text) {
  if (options.json) {
    std::fputs((json_document(report) + "\n").c_str(), stdout);
  } else if (!text.empty()) {
    std::fputs((text + "\n").c_str(), code == 0 ? stdout : stderr);
  }
  std::fflush(stdout);
  return code;
}

}  // namespace ferry::cli
