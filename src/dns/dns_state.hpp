// The DNS part of a move on disk: what was found before lowering, what ferry set since, and
// when; one JSON file, <state_dir>/<move>/dns.json, written atomically. Never holds a secret.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dns/record_set.hpp"
#include "util/error.hpp"
#include "util/files.hpp"

namespace ferry::dns {

enum class DnsStage { lowered, switched, finished, aborted };
std::string to_string(DnsStage stage);

struct DnsEvent {
  double at = 0;  // seconds since the epoch
  std::string what;
};

struct DnsState {
  static constexpr int kVersion = 1;
  std::string move;
  std::string zone;
  std::string provider;
  std::uint32_t move_ttl = 60;
  DnsStage stage = DnsStage::lowered;
  std::vector<RecordSet> original;       // as found before lowering
  std::vector<RecordSet> lowered;        // after lowering
  std::vector<RecordSet> target;         // after the switch
  std::vector<RecordSet> final_records;  // after finish
  std::optional<double> lowered_at, lowered_verified_at;
  std::optional<double> switched_at, switch_verified_at;
  std::optional<double> finished_at, aborted_at;
  bool target_served = false;  // once true, abort refuses: moving back is a move
  nlohmann::json plan;         // the DnsPlanInput of the lowering (no secrets), for later steps
  std::vector<DnsEvent> events;

  // The records every authoritative server should answer now.
  const std::vector<RecordSet>& expected_records() const;
  void record(double now, std::string what) { events.push_back({now, std::move(what)}); }
};

nlohmann::json state_to_json(const DnsState& state);
Result<DnsState> state_from_json(const nlohmann::json& j, const std::string& origin);

// The longest TTL that resolvers may still hold from before the lowering: the largest original
// TTL among the RRsets the lowering shortened (0 if it shortened none).
std::uint32_t ttl_before_lowering(const DnsState& state);
// The longest TTL of the records the switch replaced (the lowered ones).
std::uint32_t ttl_before_switch(const DnsState& state);

// When a switch becomes safe: the lowering verified on every server, plus ttl_before_lowering.
// Fails (preflight) if the lowering was never verified.
Result<double> switch_allowed_at(const DnsState& state);
// When finish may restore the TTL: the switch verified on every server, plus ttl_before_switch.
Result<double> finish_allowed_at(const DnsState& state);

std::string state_path(const std::string& state_dir, const std::string& move);  // .../<move>/dns.json

// Missing file: an empty optional (no DNS step ran for this move yet).
Result<std::optional<DnsState>> load_state(const std::string& path);
// Temp file in the same directory, fsync, rename over PATH, fsync the directory
// (util/files.hpp write_file_atomic).
Status save_state(const std::string& path, const DnsState& state);

// An exclusive lock on <dir>/dns.lock while a DNS step runs; fails at once if another ferry holds it.
class StateLock {
 public:
  static Result<StateLock> acquire(const std::string& state_file);
  StateLock(StateLock&&) = default;
  StateLock& operator=(StateLock&&) = default;

 private:
  explicit StateLock(LockFile lock) : lock_(std::move(lock)) {}
  LockFile lock_;
};

// Seconds since the epoch, as stored in the state file.
double now_seconds();
// "2026-11-25T14:16:35Z"
std::string format_time(double seconds);

}  // namespace ferry::dns
