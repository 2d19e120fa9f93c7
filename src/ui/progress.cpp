#include "ui/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include <fmt/core.h>

namespace ferry::ui {

std::string format_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) { v /= 1024; ++u; }
  return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

std::string format_duration(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", int(s) / 60, int(s) % 60);
  return fmt::format("{}h{:02}m", int(s) / 3600, (int(s) % 3600) / 60);
}

ProgressLine::ProgressLine(std::string label, uint64_t expected, bool enabled)
    : label_(std::move(label)), expected_(expected), enabled_(enabled), tty_(::isatty(2)),
      started_(std::chrono::steady_clock::now()), last_draw_(started_) {}

ProgressLine::~ProgressLine() {
  if (!finished_ && enabled_ && tty_) std::fputs("\n", stderr);
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
  draw(bytes, true);
  finished_ = true;
}

void ProgressLine::draw(uint64_t bytes, bool final) {
  if (!enabled_) return;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  double rate = elapsed > 0 ? bytes / elapsed : 0;
  std::string line = fmt::format("{}  {}", label_, format_bytes(bytes));
  if (expected_ > 0) {
    double pct = std::min(100.0, 100.0 * bytes / expected_);
    int filled = static_cast<int>(pct / 5);
    line += fmt::format(" / {} [{}{}] {:3.0f}%", format_bytes(expected_), std::string(filled, '#'),
                        std::string(20 - filled, '.'), pct);
  }
  line += fmt::format("  {}/s", format_bytes(static_cast<uint64_t>(rate)));
  if (final) line += fmt::format("  in {}", format_duration(elapsed));
  else if (expected_ > bytes && rate > 0) line += fmt::format("  ETA {}", format_duration((expected_ - bytes) / rate));
  if (tty_) std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  else std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace ferry::ui
