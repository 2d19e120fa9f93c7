// A transfer's progress on the terminal: one redrawn status line on a terminal (bytes, rate,
// ETA from the size estimate), a plain line every few seconds otherwise, nothing with --json.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace ferry::ui {

std::string format_bytes(uint64_t bytes);
std::string format_duration(double seconds);

class ProgressLine {
 public:
  ProgressLine(std::string label, uint64_t expected_bytes, bool enabled);
  ~ProgressLine();
  void update(uint64_t bytes_done);
  void finish(uint64_t bytes_done);

 private:
  void draw(uint64_t bytes, bool final);
  std::string label_;
  uint64_t expected_;
  bool enabled_;
  bool tty_;
  bool finished_ = false;
  std::chrono::steady_clock::time_point started_, last_draw_;
};

}  // namespace ferry::ui
