// Options every ferry command accepts.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

namespace ferry::cli {

struct GlobalOptions {
  bool json = false;       // machine-readable output on stdout, one JSON document
  bool dry_run = false;    // print the plan and the exact commands, change nothing
  bool verbose = false;    // echo every command ferry runs to stderr
  std::string state_dir;   // journals and locks; default /var/lib/ferry
  std::string ssh_config;  // passed to ssh as -F, for ferry's own connections

  std::string resolved_state_dir() const;
};

// Adds the global options to a (sub)command so they are accepted in any position.
void add_global_options(CLI::App& app, GlobalOptions& options);

// Each command group registers its subcommands here; the handler returns the exit code.
using ExitSink = int*;
void register_dns_commands(CLI::App& app, GlobalOptions& options, ExitSink exit_code);
void register_move_commands(CLI::App& app, GlobalOptions& options, ExitSink exit_code);

// The layout version of every --json document (docs/json.md): raised when a field changes its
// meaning or goes away; a new field does not raise it.
inline constexpr int kJsonSchemaVersion = 1;
// A --json document as printed: the body with its schema_version.
std::string json_document(nlohmann::json body, int indent = -1);

// Prints a command's result: the JSON document on stdout with --json, else text (errors on stderr).
int emit(const GlobalOptions& options, int code, const nlohmann::json& report, const std::string& text);

}  // namespace ferry::cli
