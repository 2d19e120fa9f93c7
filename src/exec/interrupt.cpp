#include "exec/interrupt.hpp"

#include <signal.h>

#include <atomic>
#include <mutex>

namespace ferry::exec {

namespace {
std::atomic<int> g_signal{0};
std::atomic<int> g_shields{0};
std::atomic<int> g_status_requests{0};
// 0: no deadline; otherwise steady_clock's count.
std::atomic<Clock::rep> g_deadline{0};
std::atomic<const std::string*> g_deadline_what{nullptr};

std::mutex g_reporter_mutex;
std::function<void()> g_reporter;

void on_signal(int sig) {
  int none = 0;
  if (!g_signal.compare_exchange_strong(none, sig) || g_shields.load() > 0) g_status_requests.fetch_add(1);
}
}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return g_signal.load() != 0 && g_shields.load() == 0; }
bool interrupt_requested() { return g_signal.load() != 0; }
int interrupt_signal() { return g_signal.load(); }

InterruptShield::InterruptShield() { g_shields.fetch_add(1); }
InterruptShield::~InterruptShield() { g_shields.fetch_sub(1); }

void set_status_reporter(std::function<void()> reporter) {
  std::lock_guard<std::mutex> lock(g_reporter_mutex);
  g_reporter = std::move(reporter);
}

void report_status_if_asked() {
  int asked = g_status_requests.exchange(0);
  if (asked == 0) return;
  std::lock_guard<std::mutex> lock(g_reporter_mutex);
  if (g_reporter) g_reporter();
}

Deadline::Deadline(Clock::time_point at, std::string what)
    : previous_(g_deadline.exchange(at.time_since_epoch().count())), what_(std::move(what)),
      previous_what_(g_deadline_what.exchange(&what_)) {}
Deadline::~Deadline() {
  g_deadline.store(previous_);
  g_deadline_what.store(previous_what_);
}

std::string current_deadline_what() {
  auto* what = g_deadline_what.load();
  return what ? *what : "";
}

std::optional<Clock::time_point> current_deadline() {
  auto d = g_deadline.load();
  if (d == 0) return std::nullopt;
  return Clock::time_point(Clock::duration(d));
}

bool deadline_passed() {
  auto d = current_deadline();
  return d && Clock::now() >= *d;
}

void reset_interrupt_for_tests() {
  g_signal.store(0);
  g_status_requests.store(0);
}

}  // namespace ferry::exec
