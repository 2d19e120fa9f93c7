#include "ui/progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <vector>

#include <fmt/core.h>

#include "ui/checks_text.hpp"
#include "util/units.hpp"

namespace ferry::ui {

using util::format_bytes;
using util::format_duration;

std::string render_progress(const std::string& label, uint64_t bytes, uint64_t expected, double elapsed, bool final) {
  double rate = elapsed > 0 ? bytes / elapsed : 0;
  std::string line = fmt::format("{}  {}", label, format_bytes(bytes));
  if (expected > 0) {
    double pct = std::min(100.0, 100.0 * bytes / expected);
    int filled = static_cast<int>(pct / 5);
    line += fmt::format(" of {} [{}{}] {:3.0f}%", format_bytes(expected), std::string(filled, '#'),
                        std::string(20 - filled, '.'), pct);
  }
  line += fmt::format("  {}/s", format_bytes(static_cast<uint64_t>(rate)));
  if (final) line += fmt::format("  in {}", format_duration(elapsed));
  else if (expected > bytes && rate > 0) line += fmt::format("  ETA {}", format_duration((expected - bytes) / rate));
  return line;
}

struct ProgressRow {
  std::string text;
  bool done = false;
};

namespace {

// The terminal's block: the rows of the streams that ran at once, on screen from `drawn` lines up.
struct Board {
  std::mutex mu;
  std::vector<std::shared_ptr<ProgressRow>> rows;
  size_t drawn = 0;

  // To the first column of the block's first line.
  std::string home() const {
    if (drawn == 0) return "";
    return drawn > 1 ? fmt::format("\r\033[{}A", drawn - 1) : "\r";
  }
  std::string rows_text() const {
    std::string out;
    for (size_t i = 0; i < rows.size(); ++i) out += "\033[K" + rows[i]->text + (i + 1 < rows.size() ? "\n" : "");
    return out;
  }
  // Redraws the block; once every row is done it stays as it is and the next block starts below.
  void redraw() {
    std::string out = home() + rows_text();
    drawn = rows.size();
    if (std::all_of(rows.begin(), rows.end(), [](auto& r) { return r->done; })) {
      out += "\n";
      rows.clear();
      drawn = 0;
    }
    std::fputs(out.c_str(), stderr);
    std::fflush(stderr);
  }
};

Board& board() {
  static Board b;
  return b;
}

}  // namespace

void print_line(const std::string& text) {
  auto& b = board();
  std::lock_guard lock(b.mu);
  if (b.drawn == 0) {
    std::fprintf(stderr, "%s\n", text.c_str());
    return;
  }
  std::string out = b.home() + "\033[J" + text + "\n" + b.rows_text();
  std::fputs(out.c_str(), stderr);
  std::fflush(stderr);
}

void TerminalReporter::checks(const std::string& title, const std::vector<util::Check>& results) {
  print_line("ferry: " + title + ":\n" + format_checks(results));
}

ProgressLine::ProgressLine(std::string label, uint64_t expected, bool enabled)
    : label_(std::move(label)), expected_(expected), enabled_(enabled), tty_(::isatty(2)),
      started_(std::chrono::steady_clock::now()), last_draw_(started_) {
  if (!enabled_ || !tty_) return;
  row_ = std::make_shared<ProgressRow>();
  row_->text = render_progress(label_, 0, expected_, 0, false);
  auto& b = board();
  std::lock_guard lock(b.mu);
  b.rows.push_back(row_);
  b.redraw();
}

ProgressLine::~ProgressLine() {
  if (!row_ || finished_) return;
  auto& b = board();
  std::lock_guard lock(b.mu);
  row_->done = true;  // stopped part way (an error, a signal): its last figures stay
  b.redraw();
}

void ProgressLine::update(uint64_t bytes) {
  auto now = std::chrono::steady_clock::now();
  auto since = std::chrono::duration<double>(now - last_draw_).count();
  if (since < (tty_ ? 0.2 : 5.0)) return;
  last_draw_ = now;
  draw(bytes, false);
}

void ProgressLine::finish(uint64_t bytes) {
  if (finished_) return;
  if (expected_ > 0) expected_ = bytes;  // the estimate's job is done: the end is 100%
  draw(bytes, true);
  finished_ = true;
}

void ProgressLine::draw(uint64_t bytes, bool final) {
  if (!enabled_) return;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  std::string line = render_progress(label_, bytes, expected_, elapsed, final);
  auto& b = board();
  std::lock_guard lock(b.mu);
  if (!row_) {
    std::fprintf(stderr, "%s\n", line.c_str());
    return;
  }
  row_->text = line;
  row_->done = final;
  b.redraw();
}

}  // namespace ferry::ui
