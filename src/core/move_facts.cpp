#include "core/move_facts.hpp"

namespace ferry::core {

namespace {

using nlohmann::json;

template <typename T>
std::optional<T> optional_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

template <typename T>
T value_of(const json& j, const char* key, T fallback) {
  return optional_of<T>(j, key).value_or(std::move(fallback));
}

// Present, even if null (null says "it was unset").
std::optional<json> recorded(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() ? std::nullopt : std::optional<json>(*it);
}

}  // namespace

MoveFacts MoveFacts::from_json(const json& j) {
  MoveFacts f;
  if (!j.is_object()) return f;
  f.source_autostart = recorded(j, "source_autostart");
  if (j.contains("return_target") && j["return_target"].is_object()) f.return_target = ReturnTarget::from_json(j["return_target"]);
  f.target_last_used_at = value_of<std::string>(j, "target_last_used_at", "");
  f.trial_original = recorded(j, "trial_original");
  if (f.trial_original && f.trial_original->is_null()) f.trial_original.reset();
  f.measured_start_seconds = optional_of<double>(j, "measured_start_seconds");
  f.measured_stop_seconds = optional_of<double>(j, "measured_stop_seconds");
  f.measured_freeze_seconds = optional_of<double>(j, "measured_freeze_seconds");
  f.prediction = j.value("prediction", json(nullptr));
  f.source_was_running = optional_of<bool>(j, "source_was_running");
  f.source_autostart_off = value_of<bool>(j, "source_autostart_off", false);
  f.source_autostart_at_stop = j.value("source_autostart_at_stop", json(nullptr));
  f.stop_requested_ms = optional_of<long long>(j, "stop_requested_ms");
  f.target_forwarding_removed = value_of<bool>(j, "target_forwarding_removed", false);
  f.dead_man = value_of<std::string>(j, "dead_man", "");
  f.dead_man_seconds = value_of<int>(j, "dead_man_seconds", 0);
  f.dead_man_fires_at = value_of<std::string>(j, "dead_man_fires_at", "");
  f.forwarding = j.value("forwarding", json(nullptr));
  return f;
}

MoveFacts read_facts(const Journal& journal) { return MoveFacts::from_json(journal.facts()); }

}  // namespace ferry::core
