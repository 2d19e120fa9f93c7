// `ferry dns lower|switch|verify|abort|finish|status`: the DNS steps of a move, by hand.
// Repeatable options take one value per occurrence (allow_extra_args(false)): a greedy list
// would swallow the `--` before the exec provider's program, and its options with it.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/global_options.hpp"
#include "dns/dns_move.hpp"
#include "dns/dns_plan.hpp"

namespace ferry::cli {

namespace {

using namespace ferry::dns;

struct DnsArgs {
  std::string migration_file, move, instance, provider, zone, primary, key_file, api_url, api_key_file, server_id;
  std::vector<std::string> names, news, records, servers, command;
  std::uint32_t ttl = 0;
  double timeout = 0, verify_timeout = 0, poll_interval = 0, manual_timeout = 0;
  bool force = false;
  bool no_query = false;
  bool insecure_api = false;
  CLI::App* sub = nullptr;
  bool given(const char* option) const { return sub->count(option) > 0; }
};

const char* kSummary[][2] = {
    {"lower", "Record the names' records and TTLs, set the move TTL (default 60 s), verify on every server"},
    {"switch", "Replace the old addresses with the new ones in one compare-and-swap update, verify on every server"},
    {"verify", "Ask every authoritative server whether it answers what the current step set"},
    {"abort", "Put the original records back (until the target has served clients)"},
    {"finish", "Restore the original TTL on the new records, once the lowered TTL has passed since the switch"},
    {"status", "Show the move's DNS state, the waits, and what each authoritative server answers"},
};

void add_dns_options(CLI::App& sub, DnsArgs& a) {
  sub.add_option("-f,--migration-file", a.migration_file, "Migration file (TOML) with a [dns] table")
      ->check(CLI::ExistingFile);
  sub.add_option("--move", a.move, "The move's name: its DNS state is <state-dir>/<move>/dns.json");
  sub.add_option("--instance", a.instance, "The instance being moved; names the move when --move is not given");
  sub.add_option("--provider", a.provider, "rfc2136 (default), powerdns, exec or manual");
  sub.add_option("--zone", a.zone, "The DNS zone holding the names, e.g. example.org.");
  sub.add_option("--name", a.names, "A name to move (relative to the zone, or absolute); repeatable")
      ->allow_extra_args(false);
  sub.add_option("--new", a.news, "A new address for every --name (IPv4 and/or IPv6); repeatable")
      ->allow_extra_args(false);
  sub.add_option("--record", a.records, "NAME=ADDR[,ADDR...]: a name and its own new addresses; repeatable")
      ->allow_extra_args(false);
  sub.add_option("--dns-server", a.servers,
                 "HOST[:PORT] of an authoritative server to verify on; repeatable (default: the zone's NS set)")
      ->allow_extra_args(false);
  sub.add_option("--primary", a.primary,
                 "HOST[:PORT] where rfc2136 updates go and records are read (default: the first --dns-server, "
                 "else the SOA MNAME)");
  sub.add_option("--key-file", a.key_file, "TSIG key file (BIND key statement, or NAME:SECRET) for rfc2136");
  sub.add_option("--ttl", a.ttl, "The move TTL in seconds (default 60)");
  sub.add_option("--timeout", a.timeout, "Seconds to wait for each server or API request (default 5)");
  sub.add_option("--verify-timeout", a.verify_timeout,
                 "Seconds for every server to answer the new data (default 30)");
  sub.add_option("--api-url", a.api_url, "PowerDNS API base URL, e.g. https://dns.example:8081");
  sub.add_option("--api-key-file", a.api_key_file, "File holding the PowerDNS API key");
  sub.add_option("--pdns-server-id", a.server_id, "PowerDNS server id in the API (default localhost)");
  sub.add_flag("--insecure-api", a.insecure_api,
               "Allow a plain http:// PowerDNS API URL (its key then crosses the network unencrypted)");
  sub.add_option("--poll-interval", a.poll_interval, "manual: seconds between looks at the primary (default 1)");
  sub.add_option("--manual-timeout", a.manual_timeout, "manual: seconds to wait for your change (default 3600)");
  sub.add_flag("--force", a.force, "switch/finish before the old TTL has passed (prints a warning)");
  sub.add_option("command", a.command, "exec provider: the program and its arguments, after --")->take_all();
  if (sub.get_name() == "status") sub.add_flag("--no-query", a.no_query, "Do not ask the servers; show the state only");
}

Result<DnsPlanInput> command_line_input(const DnsArgs& a, std::vector<std::string>* new_for_all) {
  DnsPlanInput in;
  if (!a.move.empty()) in.move = a.move;
  else if (!a.instance.empty()) in.move = a.instance;
  if (a.given("--provider")) in.provider = a.provider;
  if (a.given("--zone")) in.zone = a.zone;
  if (a.given("--ttl")) in.ttl = a.ttl;
  if (a.given("--dns-server")) in.servers = a.servers;
  if (a.given("--primary")) in.primary = a.primary;
  if (a.given("--key-file")) in.key_file = a.key_file;
  if (a.given("--timeout")) in.timeout = a.timeout;
  if (a.given("--verify-timeout")) in.verify_timeout = a.verify_timeout;
  if (a.given("--api-url")) in.api_url = a.api_url;
  if (a.given("--api-key-file")) in.api_key_file = a.api_key_file;
  if (a.given("--pdns-server-id")) in.server_id = a.server_id;
  if (a.insecure_api) in.insecure_api = true;
  if (a.given("--poll-interval")) in.poll_interval = a.poll_interval;
  if (a.given("--manual-timeout")) in.manual_timeout = a.manual_timeout;
  if (!a.command.empty()) in.command = a.command;
  std::vector<RecordSpec> specs;
  for (const auto& n : a.names) specs.push_back({n, a.news});
  for (const auto& r : a.records) {
    auto eq = r.find('=');
    RecordSpec spec{r.substr(0, eq), {}};
    if (eq != std::string::npos) {
      std::string list = r.substr(eq + 1);
      std::size_t start = 0;
      while (start <= list.size()) {
        auto comma = list.find(',', start);
        std::string item = list.substr(start, comma - start);
        if (!item.empty()) spec.new_addresses.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    if (spec.name.empty())
      return fail(make_error(fmt::format("--record '{}' has no name", r)).with_hint("write --record NAME=ADDR[,ADDR]").with_code(ExitCode::usage));
    specs.push_back(spec);
  }
  if (!specs.empty()) in.records = specs;
  if (a.names.empty() && !a.news.empty()) *new_for_all = a.news;
  return in;
}

std::string change_line(const RRsetChange& c) {
  auto side = [](const std::optional<RecordSet>& r) -> std::string {
    if (!r || r->addresses.empty()) return "(none)";
    return fmt::format("{} TTL {}", fmt::join(r->addresses, " "), r->ttl);
  };
  return fmt::format("  {}: {} -> {}", c.key.describe(), side(c.before), side(c.after));
}

std::string rrsets_text(const std::vector<RecordSet>& sets) {
  if (sets.empty()) return "    (none)\n";
  std::string out;
  for (const auto& s : sets) out += "    " + s.describe() + "\n";
  return out;
}

void print_text(const DnsStepReport& r, const GlobalOptions& g) {
  std::string out;
  out += fmt::format("ferry dns {}: move {}, zone {}, provider {}{}\n", r.action, r.move, r.zone, r.provider,
                     r.provider_target.empty() ? "" : " (" + r.provider_target + ")");
  if (r.action == "status" && r.state) {
    const auto& s = *r.state;
    out += fmt::format("Stage: {}{}\n", to_string(s.stage), s.target_served ? " (the target has served clients)" : "");
    out += "Original records:\n" + rrsets_text(s.original);
    if (!s.lowered.empty()) out += fmt::format("Lowered (move TTL {} s):\n", s.move_ttl) + rrsets_text(s.lowered);
    if (!s.target.empty()) out += "Switched to:\n" + rrsets_text(s.target);
    if (!s.final_records.empty()) out += "Finished as:\n" + rrsets_text(s.final_records);
    for (const auto& e : s.events) out += fmt::format("  {}  {}\n", format_time(e.at), e.what);
  } else if (r.dry_run) {
    out += "Dry run: nothing is sent and nothing is written.\n";
    if (r.change.empty() || r.already_done) {
      out += "Nothing to change: the records already are as this step wants them.\n";
    } else {
      for (const auto& c : r.change.changes) out += change_line(c) + "\n";
      out += "The request ferry would send:\n" + r.request;
      if (!r.request.empty() && r.request.back() != '\n') out += "\n";
    }
  } else if (r.action != "verify") {
    if (r.already_done) out += "Already done: the records are as this step wants them.\n";
    else if (r.applied) {
      out += "Changed:\n";
      for (const auto& c : r.change.changes) out += change_line(c) + "\n";
    }
    if (g.verbose && r.applied) out += "Sent:\n" + r.request + "\n";
  }
  if (r.verification) {
    const auto& v = *r.verification;
    if (v.ok) {
      std::vector<std::string> names;
      for (const auto& s : v.servers) names.push_back(s.server.to_string());
      out += fmt::format("Verified on every authoritative server ({}) in {:.1f} s.\n", fmt::join(names, ", "),
                         v.elapsed_seconds);
    } else if (r.action == "status") {
      for (const auto& s : v.servers) out += "  " + s.describe() + "\n";
    }
  }
  if (r.next_step_at && r.ok()) {
    const double left = *r.next_step_at - now_seconds();
    const char* next = r.state && r.state->stage == DnsStage::lowered ? "switch" : "finish";
    if (left > 0)
      out += fmt::format("The {} is safe from {} (in {:.0f} s).\n", next, format_time(*r.next_step_at), std::ceil(left));
    else if (r.state && (r.state->stage == DnsStage::lowered || r.state->stage == DnsStage::switched))
      out += fmt::format("The {} is safe now.\n", next);
  }
  if (!r.dry_run && r.action != "status" && r.state) out += "State: " + r.state_file + "\n";
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
}

int fail_early(const std::string& action, const Error& e, const GlobalOptions& g) {
  if (g.json) {
    nlohmann::json j{{"action", action},
                     {"ok", false},
                     {"error",
                      {{"what", e.what},
                       {"message", e.what},
                       {"host", e.host},
                       {"detail", e.detail},
                       {"hint", e.hint},
                       {"command", e.command},
                       {"exit_code", static_cast<int>(e.code)}}}};
    std::cout << json_document(j, 2) << std::endl;
  }
  std::cerr << e.message() << std::endl;
  return static_cast<int>(e.code);
}

int run_dns_command(const std::string& action, const DnsArgs& a, const GlobalOptions& g) {
  std::vector<std::string> new_for_all;
  auto cli = command_line_input(a, &new_for_all);
  if (!cli) return fail_early(action, cli.error(), g);
  DnsPlanInput input;
  if (!a.migration_file.empty()) {
    auto file = load_dns_section(a.migration_file);
    if (!file) return fail_early(action, file.error(), g);
    input = *file;
  }
  merge_into(input, *cli);
  const std::string state_dir = g.resolved_state_dir();
  auto layered = layered_plan_input(state_dir, input);
  if (!layered) return fail_early(action, layered.error(), g);
  if (!new_for_all.empty()) {
    if (!layered->records || layered->records->empty())
      return fail_early(action,
                        make_error("--new without names").with_hint("give --name NAME for the names it applies to")
                            .with_code(ExitCode::usage),
                        g);
    for (auto& r : *layered->records) r.new_addresses = new_for_all;
  }
  if (layered->command && layered->provider.value_or("rfc2136") != "exec" && !a.command.empty())
    return fail_early(action,
                      make_error(fmt::format("unexpected arguments: {}", fmt::join(a.command, " ")))
                          .with_hint("a program after -- is only for --provider exec")
                          .with_code(ExitCode::usage),
                      g);
  auto plan = finalize_plan(*layered);
  if (!plan) return fail_early(action, plan.error(), g);

  NoticeSink notices = [json = g.json](const std::string& text) {
    std::FILE* to = json ? stderr : stdout;
    std::fputs(text.c_str(), to);
    std::fflush(to);
  };
  DnsMove move(std::move(*plan), state_dir, notices);
  DnsStepOptions options{g.dry_run, a.force};
  DnsStepReport report;
  if (action == "lower") report = move.lower(options);
  else if (action == "switch") report = move.switch_records(options);
  else if (action == "verify") report = move.verify(options);
  else if (action == "abort") report = move.abort(options);
  else if (action == "finish") report = move.finish(options);
  else report = move.status(!a.no_query);

  for (const auto& w : report.warnings) std::cerr << "warning: " << w << std::endl;
  if (g.json) {
    nlohmann::json j = report;
    std::cout << json_document(j, 2) << std::endl;
  } else {
    print_text(report, g);
  }
  if (report.error) std::cerr << report.error->message() << std::endl;
  return static_cast<int>(report.exit_code());
}

}  // namespace

void register_dns_commands(CLI::App& app, GlobalOptions& options, ExitSink exit_code) {
  auto* dns = app.add_subcommand("dns", "The DNS steps of a move: lower, switch, verify, abort, finish, status");
  dns->require_subcommand(1);
  add_global_options(*dns, options);
  dns->footer(
      "Exit status: 0 done; 1 failed (a server, the API or the program failed, or verification timed out: the "
      "message names the server); 2 bad command line, migration file or key file; 3 refused, nothing changed "
      "(records not as expected, wrong stage); 4 another ferry holds the lock; 6 too early (wait, or --force). "
      "See docs/dns.md.");
  for (const auto& [name, summary] : kSummary) {
    auto* sub = dns->add_subcommand(name, summary);
    auto args = std::make_shared<DnsArgs>();
    args->sub = sub;
    add_dns_options(*sub, *args);
    add_global_options(*sub, options);
    const std::string action = name;
    sub->callback([args, action, &options, exit_code] { *exit_code = run_dns_command(action, *args, options); });
  }
}

}  // namespace ferry::cli
