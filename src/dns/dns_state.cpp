#include "dns/dns_state.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace ferry::dns {

namespace fs = std::filesystem;

std::string to_string(DnsStage stage) {
  switch (stage) {
    case DnsStage::lowered: return "lowered";
    case DnsStage::switched: return "switched";
    case DnsStage::finished: return "finished";
    case DnsStage::aborted: return "aborted";
  }
  return "?";
}

const std::vector<RecordSet>& DnsState::expected_records() const {
  switch (stage) {
    case DnsStage::lowered: return lowered;
    case DnsStage::switched: return target;
    case DnsStage::finished: return final_records;
    case DnsStage::aborted: return original;
  }
  return original;
}

namespace {

nlohmann::json optional_time(const std::optional<double>& t) {
  if (!t) return nullptr;
  return *t;
}

std::optional<double> read_time(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return std::nullopt;
  return j[key].get<double>();
}

}  // namespace

nlohmann::json state_to_json(const DnsState& s) {
  nlohmann::json events = nlohmann::json::array();
  for (const auto& e : s.events) events.push_back({{"at", e.at}, {"time", format_time(e.at)}, {"what", e.what}});
  return nlohmann::json{{"format", "ferry-dns-state"},
                        {"version", DnsState::kVersion},
                        {"move", s.move},
                        {"zone", s.zone},
                        {"provider", s.provider},
                        {"move_ttl", s.move_ttl},
                        {"stage", to_string(s.stage)},
                        {"original", s.original},
                        {"lowered", s.lowered},
                        {"target", s.target},
                        {"final", s.final_records},
                        {"lowered_at", optional_time(s.lowered_at)},
                        {"lowered_verified_at", optional_time(s.lowered_verified_at)},
                        {"switched_at", optional_time(s.switched_at)},
                        {"switch_verified_at", optional_time(s.switch_verified_at)},
                        {"finished_at", optional_time(s.finished_at)},
                        {"aborted_at", optional_time(s.aborted_at)},
                        {"target_served", s.target_served},
                        {"plan", s.plan.is_null() ? nlohmann::json::object() : s.plan},
                        {"events", events}};
}

Result<DnsState> state_from_json(const nlohmann::json& j, const std::string& origin) {
  auto bad = [&](const std::string& why) {
    return fail(make_error(fmt::format("cannot read the DNS state {}", origin), why)
                    .with_hint("it is ferry's own file; if it was edited by hand, restore it or remove it "
                               "and check the zone yourself"));
  };
  try {
    if (j.value("format", "") != "ferry-dns-state") return bad("not a ferry DNS state file");
    int version = j.at("version").get<int>();
    if (version != DnsState::kVersion)
      return bad(fmt::format("version {} (this ferry reads version {})", version, DnsState::kVersion));
    DnsState s;
    s.move = j.at("move").get<std::string>();
    s.zone = j.at("zone").get<std::string>();
    s.provider = j.at("provider").get<std::string>();
    s.move_ttl = j.at("move_ttl").get<std::uint32_t>();
    const std::string stage = j.at("stage").get<std::string>();
    bool known = false;
    for (auto st : {DnsStage::lowered, DnsStage::switched, DnsStage::finished, DnsStage::aborted})
      if (stage == to_string(st)) {
        s.stage = st;
        known = true;
      }
    if (!known) return bad("unknown stage '" + stage + "'");
    s.original = j.at("original").get<std::vector<RecordSet>>();
    s.lowered = j.at("lowered").get<std::vector<RecordSet>>();
    s.target = j.value("target", std::vector<RecordSet>{});
    s.final_records = j.value("final", std::vector<RecordSet>{});
    s.lowered_at = read_time(j, "lowered_at");
    s.lowered_verified_at = read_time(j, "lowered_verified_at");
    s.switched_at = read_time(j, "switched_at");
    s.switch_verified_at = read_time(j, "switch_verified_at");
    s.finished_at = read_time(j, "finished_at");
    s.aborted_at = read_time(j, "aborted_at");
    s.target_served = j.value("target_served", false);
    s.plan = j.value("plan", nlohmann::json::object());
    for (const auto& e : j.value("events", nlohmann::json::array()))
      s.events.push_back({e.at("at").get<double>(), e.at("what").get<std::string>()});
    return s;
  } catch (const std::exception& e) {
    return bad(e.what());
  }
}

std::uint32_t ttl_before_lowering(const DnsState& s) {
  std::uint32_t longest = 0;
  for (const auto& o : s.original) {
    const auto* l = find_rrset(s.lowered, key_of(o));
    if (l && l->ttl < o.ttl) longest = std::max(longest, o.ttl);
  }
  return longest;
}

std::uint32_t ttl_before_switch(const DnsState& s) {
  std::uint32_t longest = 0;
  for (const auto& l : s.lowered) longest = std::max(longest, l.ttl);
  return longest;
}

Result<double> switch_allowed_at(const DnsState& s) {
  if (!s.lowered_verified_at)
    return fail(make_error("the lowered TTL was never seen on every authoritative server")
                    .with_hint("run ferry dns verify until it passes; the wait for the old TTL starts then")
                    .with_code(ExitCode::preflight));
  return *s.lowered_verified_at + ttl_before_lowering(s);
}

Result<double> finish_allowed_at(const DnsState& s) {
  if (!s.switch_verified_at)
    return fail(make_error("the switch was never seen on every authoritative server")
                    .with_hint("run ferry dns verify until it passes; the wait for the old TTL starts then")
                    .with_code(ExitCode::preflight));
  return *s.switch_verified_at + ttl_before_switch(s);
}

std::string state_path(const std::string& state_dir, const std::string& move) {
  return (fs::path(state_dir) / move / "dns.json").string();
}

Result<std::optional<DnsState>> load_state(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::optional<DnsState>{};
    return fail(make_error(fmt::format("cannot read the DNS state {}", path), std::strerror(errno)));
  }
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(text.str(), nullptr, false);
  if (j.is_discarded())
    return fail(make_error(fmt::format("cannot read the DNS state {}", path), "not valid JSON"));
  auto state = state_from_json(j, path);
  if (!state) return fail(state.error());
  return std::optional<DnsState>(std::move(*state));
}

Status save_state(const std::string& path, const DnsState& state) {
  FERRY_TRY(make_dirs(fs::path(path).parent_path().string()));
  return write_file_atomic(path, state_to_json(state).dump(2) + "\n");
}

Result<StateLock> StateLock::acquire(const std::string& state_file) {
  const fs::path dir = fs::path(state_file).parent_path();
  FERRY_TRY(make_dirs(dir.string()));
  auto lock = LockFile::acquire((dir / "dns.lock").string(), "the DNS steps of move " + dir.filename().string());
  if (!lock) return fail(lock.error());
  return StateLock(std::move(*lock));
}

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string format_time(double seconds) {
  std::time_t t = static_cast<std::time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace ferry::dns
