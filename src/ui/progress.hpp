// Transfer progress on stderr. On a terminal every live stream has a line, and the lines of the
// streams running at once (a container's volumes are sent in parallel) are redrawn in place as
// one block: bytes of the total, percent, rate, ETA. Otherwise each stream prints a plain line
// every few seconds; with --json nothing. Other messages go through print_line, which prints
// them above the block instead of through it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace ferry::ui {

std::string format_bytes(uint64_t bytes);
std::string format_duration(double seconds);

// Pure: one stream's line. expected 0: the total is unknown (only bytes and rate).
std::string render_progress(const std::string& label, uint64_t bytes, uint64_t expected, double elapsed_seconds,
                            bool final);

// One line of text on stderr, above the progress block if one is on the terminal.
void print_line(const std::string& text);

struct ProgressRow;

class ProgressLine {
 public:
  ProgressLine(std::string label, uint64_t expected_bytes, bool enabled);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
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
  std::shared_ptr<ProgressRow> row_;  // its line in the terminal's block
};

}  // namespace ferry::ui
