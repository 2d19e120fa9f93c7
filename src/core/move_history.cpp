#include "core/move_history.hpp"

#include <algorithm>
#include <filesystem>

#include "core/move_request.hpp"
#include "util/files.hpp"

namespace ferry::core {

nlohmann::json Leg::to_json() const {
  nlohmann::json j = {{"move_id", move_id}, {"from", source}, {"to", target}, {"began", began}, {"state", state}};
  if (!ended.empty()) j["ended"] = ended;
  if (downtime_seconds) j["downtime_seconds"] = *downtime_seconds;
  return j;
}

std::vector<Leg> legs_of(const std::vector<JournalRecord>& records) {
  std::vector<Leg> legs;
  for (auto& r : records) {
    if (r.event == "start") {
      auto request = MoveRequest::from_json(r.data.value("request", nlohmann::json::object()));
      legs.push_back({r.data.value("move_id", ""), request.source, request.target, r.time, "", "under way", std::nullopt});
    } else if (legs.empty()) {
      continue;
    } else if (r.event == "finished" || r.event == "aborted") {
      legs.back().state = r.event;
      legs.back().ended = r.time;
    } else if (r.event == "done" && r.step == "cutover.health" && r.data.contains("downtime_seconds")) {
      legs.back().downtime_seconds = r.data["downtime_seconds"].get<double>();
    }
  }
  return legs;
}

std::vector<Leg> move_history(const std::string& prefix) {
  namespace fs = std::filesystem;
  std::vector<Leg> legs;
  fs::path parent = fs::path(prefix).parent_path();
  std::string stem = fs::path(prefix).filename().string();
  std::error_code ec;
  for (auto& dir : fs::directory_iterator(parent, ec)) {
    if (!dir.is_directory() || dir.path().filename().string().rfind(stem, 0) != 0) continue;
    for (auto& file : fs::directory_iterator(dir.path(), ec)) {
      std::string name = file.path().filename().string();
      if (name.rfind("journal", 0) != 0 || !name.ends_with(".jsonl")) continue;
      auto text = read_file(file.path().string());
      if (!text) continue;
      for (auto& leg : legs_of(Journal::parse(*text))) legs.push_back(leg);
    }
  }
  // A move id begins with its UTC time (yymmddHHMMSS): the order of the legs.
  std::sort(legs.begin(), legs.end(), [](auto& a, auto& b) { return a.began != b.began ? a.began < b.began : a.move_id < b.move_id; });
  return legs;
}

std::string serving_after(const std::vector<Leg>& legs) {
  for (auto it = legs.rbegin(); it != legs.rend(); ++it)
    if (it->state == "finished") return it->target;
  return "";
}

}  // namespace ferry::core
