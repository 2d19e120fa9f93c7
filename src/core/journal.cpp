#include "core/journal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fmt/core.h>

#include "util/files.hpp"

namespace ferry::core {

std::string utc_now_iso() { return utc_iso(std::chrono::system_clock::now()); }

std::string utc_iso(std::chrono::system_clock::time_point now) {
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm;
  ::gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

std::vector<JournalRecord> Journal::parse(const std::string& text) {
  std::vector<JournalRecord> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // no newline: a torn last line
    auto j = nlohmann::json::parse(text.substr(start, end - start), nullptr, false);
    start = end + 1;
    if (j.is_discarded() || !j.is_object() || !j.contains("event")) continue;
    out.push_back({j.value("t", ""), j.value("event", ""), j.value("step", ""), j.value("data", nlohmann::json())});
  }
  return out;
}

Status Journal::check_version(const std::vector<JournalRecord>& records, const std::string& path) {
  if (records.empty()) return {};
  auto& first = records.front();
  bool header = first.event == "journal" && first.data.is_object() && first.data.value("format", "") == "ferry-journal";
  int version = header ? first.data.value("version", 0) : 0;
  if (version == kJournalVersion) return {};
  Error e = make_error(header ? fmt::format("the journal {} is of version {}; this ferry reads version {}", path, version, kJournalVersion)
                              : fmt::format("the journal {} is of an older format (before version {})", path, kJournalVersion));
  e.detail = "ferry does not guess at a journal it was not written to read: the state of a move could be misread";
  e.hint = "finish or abort that move with the ferry that began it; or, once both hosts are as you want them, "
           "move the journal aside (" + path + ") and run again";
  e.code = ExitCode::usage;
  return fail(e);
}

Result<Journal> Journal::open(const std::string& path) {
  Journal j;
  j.path_ = path;
  auto dir = path.substr(0, path.rfind('/'));
  FERRY_TRY(make_dirs(dir));
  j.fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (!j.fd_.valid()) return fail("cannot open journal " + path, std::strerror(errno));
  auto text = read_file(path);
  if (!text) return Unexpected{text.error()};
  j.records_ = parse(*text);
  FERRY_TRY(check_version(j.records_, path));
  // A torn last line would glue onto the next record: end the file with a newline first.
  if (!text->empty() && text->back() != '\n') (void)!::write(j.fd_.get(), "\n", 1);
  return j;
}

Status Journal::append(const std::string& event, const std::string& step, const nlohmann::json& data) {
  // The header goes with the first record, not with the opening: a refused move leaves no trace.
  if (records_.empty() && event != "journal")
    FERRY_TRY(append("journal", "", {{"format", "ferry-journal"}, {"version", kJournalVersion}}));
  JournalRecord r{utc_now_iso(), event, step, data};
  nlohmann::json j = {{"t", r.time}, {"event", event}};
  if (!step.empty()) j["step"] = step;
  if (!data.is_null()) j["data"] = data;
  std::string line = j.dump() + "\n";
  ssize_t n = ::write(fd_.get(), line.data(), line.size());
  if (n != static_cast<ssize_t>(line.size())) return fail("cannot write journal " + path_, std::strerror(errno));
  if (::fdatasync(fd_.get()) != 0) return fail("cannot sync journal " + path_, std::strerror(errno));
  records_.push_back(std::move(r));
  return {};
}

bool Journal::is_done(const std::string& step) const { return done_data(step).has_value(); }

std::optional<nlohmann::json> Journal::done_data(const std::string& step) const {
  std::optional<nlohmann::json> found;
  for (auto& r : records_) {
    if (r.event == "done" && r.step == step) found = r.data;
    if (r.event == "reset" && step.rfind(r.step, 0) == 0) found.reset();
  }
  return found;
}

std::optional<JournalRecord> Journal::last(const std::string& event) const {
  for (auto it = records_.rbegin(); it != records_.rend(); ++it)
    if (it->event == event) return *it;
  return std::nullopt;
}

nlohmann::json Journal::facts() const {
  nlohmann::json merged = nlohmann::json::object();
  for (auto& r : records_)
    if (r.event == "fact" && r.data.is_object()) merged.update(r.data);
  return merged;
}

}  // namespace ferry::core
