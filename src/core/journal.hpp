// The move's journal: an append-only file of JSON lines, each fsynced before ferry acts on it,
// so that a ferry killed at any point and run again knows exactly which steps are done.
// A torn last line (a kill in mid-write) is ignored. Its first line says its format and version
// (`{"event":"journal","data":{"format":"ferry-journal","version":1}}`); a journal of another
// version, or of the unversioned format before it, is refused, never guessed at.
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace ferry::core {

struct JournalRecord {
  std::string time;
  std::string event;  // plan, begin, done, failed, note, reset, finished
  std::string step;
  nlohmann::json data;
};

inline constexpr int kJournalVersion = 1;

class Journal {
 public:
  // Opens (creating) the journal at path and reads what is there.
  static Result<Journal> open(const std::string& path);
  // Pure: the records a journal file holds (unit-tested with torn lines).
  static std::vector<JournalRecord> parse(const std::string& text);
  // Pure: whether this ferry reads the journal these records are (an empty one: yes).
  static Status check_version(const std::vector<JournalRecord>& records, const std::string& path);

  Status append(const std::string& event, const std::string& step, const nlohmann::json& data = {});
  const std::vector<JournalRecord>& records() const { return records_; }
  const std::string& path() const { return path_; }

  // Steps done since their last reset (a rollback resets the cutover's steps).
  bool is_done(const std::string& step) const;
  std::optional<nlohmann::json> done_data(const std::string& step) const;
  // The newest record of an event ("plan", "finished", ...), if any.
  std::optional<JournalRecord> last(const std::string& event) const;
  // Facts recorded along the way (data of "fact" records), merged, newest wins.
  nlohmann::json facts() const;

 private:
  std::string path_;
  Fd fd_;
  std::vector<JournalRecord> records_;
};

std::string utc_now_iso();
std::string utc_iso(std::chrono::system_clock::time_point at);  // 2026-12-02T03:04:05.678Z

}  // namespace ferry::core
