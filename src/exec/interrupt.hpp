// SIGINT, SIGTERM and SIGHUP end ferry's forward path at the next safe point: the first one sets
// a flag that every wait loop checks (commands, streams, the health gate, DNS waits, hooks), so
// ferry stops its children and returns. What ferry then must still do (a rollback before the
// health gate, the finishing of a switch after it) runs inside an InterruptShield: its commands
// are not stopped by that signal, and each further signal asks only what state ferry is in.
// A Deadline bounds every command and wait run while it is in force (the outage's, the
// rollback's own).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace ferry::exec {

void install_interrupt_handlers();
// A signal arrived and no shield is up: stop what runs and return.
bool interrupted();
// A signal arrived at all, shield or not (what the run's outcome reports).
bool interrupt_requested();
int interrupt_signal();  // the first signal that arrived, 0 if none

class InterruptShield {
 public:
  InterruptShield();
  ~InterruptShield();
  InterruptShield(const InterruptShield&) = delete;
  InterruptShield& operator=(const InterruptShield&) = delete;
};

// Called (from the thread that waits, never from the handler) once for each signal that arrived
// while a shield was up: it says what ferry is doing and in what state each host is.
void set_status_reporter(std::function<void()> reporter);
void report_status_if_asked();

using Clock = std::chrono::steady_clock;

// While a Deadline is alive, every command and wait ends by that time point (the newest
// Deadline rules; the one before it applies again when it ends).
// `what` names it for a person ("the outage's deadline (--outage-deadline, 20 s)"): a command it
// ended says which deadline did.
class Deadline {
 public:
  explicit Deadline(Clock::time_point at, std::string what = "");
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

 private:
  Clock::rep previous_;
  std::string what_;
  const std::string* previous_what_;
};
std::optional<Clock::time_point> current_deadline();
std::string current_deadline_what();  // "" when none is in force or it has no name
bool deadline_passed();
// What every wait loop asks: stop now (a signal, or the deadline in force passed)?
inline bool should_stop_waiting() { return interrupted() || deadline_passed(); }

// Test-only: forget a signal (unit tests raise signals at themselves).
void reset_interrupt_for_tests();

}  // namespace ferry::exec
