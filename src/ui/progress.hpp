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

#include "util/reporter.hpp"

namespace ferry::ui {

// Pure: one stream's line. expected 0: the total is unknown (only bytes and rate).
std::string render_progress(const std::string& label, uint64_t bytes, uint64_t expected, double elapsed_seconds,
                            bool final);

// One line of text on stderr, above the progress block if one is on the terminal.
void print_line(const std::string& text);

struct ProgressRow;

class ProgressLine : public util::ProgressMeter {
 public:
  ProgressLine(std::string label, uint64_t expected_bytes, bool enabled);
  ~ProgressLine() override;
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  void update(uint64_t bytes_done) override;
  void finish(uint64_t bytes_done) override;

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

// The reporter cli hands down: progress lines as above (none with --json), text through
// print_line.
class TerminalReporter : public util::Reporter {
 public:
  explicit TerminalReporter(bool show_progress) : show_progress_(show_progress) {}
  std::unique_ptr<util::ProgressMeter> progress(const std::string& label, uint64_t expected_bytes) override {
    return std::make_unique<ProgressLine>(label, expected_bytes, show_progress_);
  }
  void line(const std::string& text) override { print_line(text); }
  void checks(const std::string& title, const std::vector<util::Check>& results) override;

 private:
  bool show_progress_;
};

}  // namespace ferry::ui
