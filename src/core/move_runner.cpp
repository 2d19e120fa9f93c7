#include "core/move_runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <thread>
#include <ctime>
#include <random>
#include <fmt/format.h>

#include "core/dead_man.hpp"
#include "core/journal.hpp"
#include "core/move_context.hpp"
#include "core/move_facts.hpp"
#include "core/move_history.hpp"
#include "core/move_status.hpp"
#include "core/move_report.hpp"
#include "core/outage_steps.hpp"
#include "core/move_state.hpp"
#include "core/preflight.hpp"
#include "core/request_checks.hpp"
#include "core/steps.hpp"
#include "exec/interrupt.hpp"
#include "exec/remote_lock.hpp"
#include "exec/run.hpp"
#include "util/files.hpp"

namespace ferry::core {

using nlohmann::json;

namespace {

std::string sanitize(std::string s) {
  for (auto& c : s)
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@')) c = '_';
  return s;
}

// The time (for people) and four random hex digits: two moves begun in the same second (two
// projects, one source host) must not share a dead-man or a snapshot name.
std::string new_move_id() {
  std::time_t now = std::time(nullptr);
  std::tm tm;
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%y%m%d%H%M%S", &tm);
  std::random_device random;
  return fmt::format("{}-{:04x}", buf, random() & 0xffff);
}

// Test hook: FERRY_TEST_KILL=<step-id>:before|after SIGKILLs ferry right before the step's
// first journal record or right after its last one (the kill tests of every step use it);
// FERRY_TEST_KILL=rollback:begun right after a rollback was journaled as begun.
void maybe_kill(const std::string& step, const char* when) {
  static const char* spec = std::getenv("FERRY_TEST_KILL");
  if (spec && std::string(spec) == step + ":" + when) ::kill(::getpid(), SIGKILL);
}

// Test hook: FERRY_TEST_FAULT=<step-id>:<before|during|after>:<ACTION>[@MS], ACTION one of
// SIGINT, SIGTERM, SIGKILL (sent to ferry) or exec:PATH (a program of the test's, run without a
// shell or arguments, waited for: it cuts a link, stops a daemon, fills a disk). It acts right
// before the step's first record, MS ms (default 300) after it began (from a thread, so the step
// is under way meanwhile), or right after its last record. The fault tests use it.
void maybe_fault(const std::string& step, const char* when) {
  static const char* spec = std::getenv("FERRY_TEST_FAULT");
  if (!spec) return;
  std::string s = spec, prefix = step + ":" + when + ":";
  if (s.rfind(prefix, 0) != 0) return;
  std::string action = s.substr(prefix.size());
  int delay_ms = 300;
  if (auto at = action.rfind('@'); at != std::string::npos) {
    delay_ms = std::atoi(action.c_str() + at + 1);
    action.resize(at);
  }
  int sig = action == "SIGINT" ? SIGINT : action == "SIGTERM" ? SIGTERM : action == "SIGKILL" ? SIGKILL : 0;
  std::string program = action.rfind("exec:", 0) == 0 ? action.substr(5) : "";
  if (sig == 0 && program.empty()) return;
  auto act = [sig, program] {
    if (sig != 0) ::kill(::getpid(), sig);
    else (void)exec::run_command({program});
  };
  if (std::string(when) == "during") {
    std::thread([act, delay_ms] {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      act();
    }).detach();
  } else {
    act();
  }
}

CommandOutcome failure(const Error& e, json report = json::object()) {
  report["ok"] = false;
  ExitCode code = e.code == ExitCode::ok ? ExitCode::failure : e.code;
  report["error"] = {{"what", e.what},     {"host", e.host}, {"command", e.command},
                     {"detail", e.detail}, {"hint", e.hint}, {"exit_code", static_cast<int>(code)}};
  return {code, OutcomeKind::failed, report, e};
}

struct Session {
  MoveContext ctx;
  std::optional<Journal> journal;
  std::optional<LockFile> lock;            // this machine's state dir
  std::optional<exec::RemoteLock> move_lock;  // the instance on its source host, whoever runs ferry
  MoveState state;
  long long started_ms = 0;  // when this run began to act (its locks held): a rerun's outage counts from here
};

// The journal's view of the move, and what the steps take from it: the move's id (what ferry made is
// named and proven by it) and, for a move back, the earlier copy preflight proved.
void adopt_state(Session& s) {
  s.state = read_move_state(*s.journal);
  s.ctx.move_id = s.state.move_id;
  s.ctx.returning = read_facts(*s.journal).return_target;
}

// One move of an instance at a time, whatever machine or state dir ferry runs from and however
// the source host is spelled: the lock is a file on the source host, named after the instance.
Status lock_the_move(Session& s, const RunSettings& settings) {
  char host[256] = "?";
  (void)::gethostname(host, sizeof host - 1);
  std::string holder = fmt::format("ferry pid {} on {} since {} (state dir {})", ::getpid(), host, utc_now_iso(), settings.state_dir);
  auto& r = s.ctx.request;
  auto lock = exec::RemoteLock::acquire_now(s.ctx.source, "/run/lock/ferry-move-" + sanitize(r.project + "_" + r.instance) + ".lock",
                                            holder, "'" + r.instance + "' (project " + r.project + ")");
  if (!lock) return Unexpected{lock.error()};
  s.move_lock.emplace(std::move(*lock));
  return {};
}

Result<std::unique_ptr<Session>> open_session(const MoveRequest& request, const RunSettings& settings, bool need_lock) {
  util::Reporter* trace = settings.verbose ? settings.reporter : nullptr;  // -v: every command, as it runs
  auto s = std::make_unique<Session>(Session{
      MoveContext{request, exec::Host::local(trace), exec::Host::local(trace), {}, {}, nullptr, {}, settings.json, settings.verbose},
      std::nullopt, std::nullopt, {}});
  s->ctx.state_dir = settings.state_dir;
  s->ctx.reporter = settings.reporter;
  exec::SshSettings ssh{settings.ssh_config, trace};
  if (request.source != "local") s->ctx.source = exec::Host::remote(request.source, ssh);
  if (request.target != "local") s->ctx.target = exec::Host::remote(request.target, ssh);
  std::string dir = journal_dir(settings.state_dir, request);
  FERRY_TRY(make_dirs(dir));
  if (need_lock) {
    auto lock = LockFile::acquire(dir + "/lock", "instance '" + request.instance + "'");
    if (!lock) return Unexpected{lock.error()};
    s->lock.emplace(std::move(*lock));
    FERRY_TRY(lock_the_move(*s, settings));
  }
  s->started_ms = epoch_ms();
  auto journal = Journal::open(dir + "/journal.jsonl");
  if (!journal) return Unexpected{journal.error()};
  s->journal.emplace(std::move(*journal));
  adopt_state(*s);
  return s;
}

// A finished or aborted move's journal is archived, so the next move starts clean.
Status start_new_move_if_needed(Session& s, const MoveRequest& request) {
  if (s.state.started && !s.state.finished && !s.state.aborted) {
    if (!s.state.request.same_move(request))
      return fail(make_error("a different move of '" + request.instance + "' is under way (to " + s.state.request.target + ")")
                      .with_hint("finish it, or `ferry abort` it, first")
                      .with_code(ExitCode::usage));
    return {};
  }
  if (s.state.started) {
    std::string path = s.journal->path();
    std::string archived = path.substr(0, path.rfind('/')) + "/journal-" + s.state.move_id + ".jsonl";
    if (::rename(path.c_str(), archived.c_str()) != 0) return fail("cannot archive the previous journal " + path);
    auto fresh = Journal::open(path);
    if (!fresh) return Unexpected{fresh.error()};
    s.journal.emplace(std::move(*fresh));
  }
  FERRY_TRY(s.journal->append("start", "", {{"move_id", new_move_id()}, {"request", request.to_json()}}));
  auto returning = s.ctx.returning;  // what this move's preflight proved
  if (returning) FERRY_TRY(s.journal->append("fact", "", {{"return_target", returning->to_json()}}));
  adopt_state(s);
  return {};
}

PlanInput plan_input(const Session& s) {
  PlanInput in;
  in.move_id = s.state.move_id.empty() ? "<id>" : s.state.move_id;
  in.roles = s.ctx.discovery.roles();
  in.prepared = s.state.prepared;
  in.next_sequence = s.state.next_sequence;
  in.first_round = s.state.rounds_done + 1;
  in.precopy_rounds = s.ctx.request.precopy_rounds;
  auto& r = s.ctx.request;
  // A stopped instance is not started anywhere: no trial boot, and no outage to predict.
  in.trial = r.trial && s.ctx.discovery.instance.running();
  in.crash = r.crash();
  in.before_stop = !r.before_stop.empty();
  in.after_start = !r.after_start.empty();
  in.health = !r.health.empty();
  in.forward = planned_forwarding(s.ctx).has_value();
  in.dns = !r.dns_file.empty();
  return in;
}

// A new move after a finished (or aborted) one: nothing of that move's is this one's (its id
// names none of the snapshots to make; its move back's proof is found anew).
void forget_finished_move(Session& s) {
  s.ctx.move_id.clear();
  s.ctx.returning.reset();
}

// The journal's finished move of this instance to this target, and the source copy still the one
// it left stopped and marked.
bool already_moved(const Session& s, const MoveRequest& request) {
  auto& here = s.ctx.discovery.instance;
  return s.state.finished && s.state.request.same_move(request) && !here.running() &&
         here.config.value(kMovedToKey, "") != "";
}

struct ConvergeNext {
  std::optional<std::vector<Step>> plan;   // another pre-copy round
  std::optional<CommandOutcome> outcome;   // stop here: the operator decides
};

// Before the outage: does the predicted outage fit the budget? If not, copy once more, or stop
// and say why (the increments do not shrink, the budget is below stop + start).
ConvergeNext converge(Session& s, const std::vector<Step>& steps) {
  auto& journal = *s.journal;
  auto& r = s.ctx.request;
  if (!s.ctx.discovery.instance.running()) {
    s.ctx.say("'" + r.instance + "' is stopped on " + s.ctx.source.name() + ": no outage to keep within a budget");
    return {};
  }
  auto history = copy_history(journal);
  auto costs = measured_costs(journal, r.crash());
  double budget = r.max_downtime;
  if (!r.max_downtime_given && costs.measured && budget < costs.stop_seconds + costs.start_seconds + 2) {
    budget = costs.stop_seconds + costs.start_seconds + 2;  // the default must not refuse slow hosts
    s.ctx.say(fmt::format("stopping and starting take {:.1f} s here: aiming for {:.1f} s instead of the default {:.0f} s "
                          "(set --max-downtime to insist)", costs.stop_seconds + costs.start_seconds, budget, r.max_downtime));
  }
  Decision d = decide(history.seed, history.rounds, costs, budget, r.max_rounds, r.max_downtime_given);
  if (d.verdict == Verdict::cut_over && static_cast<int>(history.rounds.size()) < r.precopy_rounds)
    d.verdict = Verdict::another_round;
  json prediction = d.prediction.to_json();
  prediction["verdict"] = to_string(d.verdict);
  prediction["explanation"] = d.explanation;
  prediction["budget_seconds"] = budget;
  prediction["rounds"] = history.rounds.size();
  (void)journal.append("fact", "", {{"prediction", prediction}});
  if (!s.ctx.json) s.ctx.say("after " + std::to_string(history.rounds.size()) + " pre-copy round(s): " + d.explanation);
  switch (d.verdict) {
    case Verdict::cut_over: return {};
    case Verdict::another_round: {
      auto plan = with_another_round(steps, plan_input(s));
      json js = json::array();
      for (auto& st : plan) js.push_back(st.to_json());
      if (auto w = journal.append("plan", "", {{"command", "move"}, {"steps", js}, {"request", r.to_json()}}); !w)
        return {std::nullopt, failure(w.error())};
      return {plan, std::nullopt};
    }
    default: break;
  }
  if (r.cutover_anyway) {
    s.ctx.say("cutting over anyway (--cutover-anyway): " + d.explanation);
    return {};
  }
  Error e = make_error(d.verdict == Verdict::budget_too_small ? "the downtime budget cannot be kept"
                                                             : "the pre-copy does not converge to the downtime budget",
                       d.explanation);
  e.hint = d.verdict == Verdict::budget_too_small
               ? "the source still runs and nothing was switched; raise --max-downtime, or use --mode crash (a freeze costs "
                 "less than a stop), or run the same command with --cutover-anyway"
               : "the source still runs and nothing was switched; run the same command with --cutover-anyway to accept "
                 "the predicted outage, lower the write load, or raise --max-downtime";
  e.code = ExitCode::needs_decision;
  json report = summarize(journal, read_move_state(journal));
  report["decision_needed"] = to_string(d.verdict);
  return {std::nullopt, failure(e, report)};
}

// Between the stop and the health gate the source is the service. True from the stop's first
// record until the gate passed (or a rollback reset the cutover).
bool outage_open(const MoveState& st) { return st.outage_begun && !st.switched; }
bool outage_open(const Journal& journal) { return outage_open(read_move_state(journal)); }

// What ferry still does after a failure or a signal (a rollback, securing a switch) has a
// deadline of its own: a forced stop of one copy, a start of the other, and room for retries.
exec::Clock::time_point cleanup_deadline(const Session& s) {
  return exec::Clock::now() + std::chrono::seconds(s.ctx.request.stop_timeout + 90);
}

// What an armed dead-man will do, for a person who finds the move stuck (nullopt: none armed).
std::optional<std::string> dead_man_note(const Journal& journal, const MoveState& st) {
  auto facts = read_facts(journal);
  if (facts.dead_man != "armed") return std::nullopt;
  std::string where = fmt::format("armed on {} ({})", st.request.source, dead_man_dir(st.move_id));
  if (st.target_start_requested)
    return where + ": it stands down, as " + st.request.source + " recorded the target's start";
  return fmt::format("{}: it brings the source back by itself at {} ({} s after it was armed) unless ferry disarms it first",
                     where, facts.dead_man_fires_at.empty() ? "its deadline" : facts.dead_man_fires_at, facts.dead_man_seconds);
}

// Back to the source: shielded from the signal that may have caused it, under a deadline of its
// own, journaled as begun, then done or failed. A failed rollback is never reported as done: the
// rerun carries it on.
CommandOutcome roll_back(Session& s, Error e, const std::string& step_id) {
  auto& journal = *s.journal;
  exec::InterruptShield shield;
  exec::Deadline deadline(cleanup_deadline(s), "the rollback's deadline (--stop-timeout + 90 s)");
  exec::set_status_reporter([&s] {
    s.ctx.say("ferry is rolling back to " + s.ctx.source.name() + " (the source is started again once the target copy is "
              "known stopped); wait for it, or see `ferry status` afterwards");
  });
  s.ctx.say("rolling back to the source: " + e.what);
  (void)journal.append("rollback_begin", "", {{"reason", e.what}, {"step", step_id}});
  maybe_kill("rollback", "begun");
  auto rb = roll_back_to_source(s.ctx, journal);
  exec::set_status_reporter(nullptr);
  bool signalled = exec::interrupt_requested();
  if (!rb) {
    (void)journal.append("rollback_failed", "", {{"what", rb.error().message()}, {"step", step_id}});
    Error out = rb.error();
    out.what = "the move failed in the outage (" + e.what + "), and rolling back failed too: " + out.what;
    out.hint += out.hint.empty() ? "" : ". ";
    auto st = read_move_state(journal);
    out.hint += "Serving host: " + serving_host(st) + " (`ferry status`)";
    if (auto fires = dead_man_note(journal, st)) out.hint += ". " + *fires;
    out.code = ExitCode::failure;
    return failure(out, summarize(journal, read_move_state(journal)));
  }
  (void)journal.append("reset", "cutover.");
  // The next attempt has its own outage.
  (void)journal.append("fact", "", {{"stop_requested_ms", nullptr}, {"target_start_requested_ms", nullptr}});
  (void)journal.append("rolled_back", "", {{"reason", e.what}, {"step", step_id}, {"actions", *rb}});
  e.what = (signalled ? "interrupted before the switch: " : "the move failed before the switch: ") + e.what;
  e.hint = *rb + ". The target copy is kept: run the same command again to retry, or `ferry abort`";
  e.code = signalled ? ExitCode::interrupted : ExitCode::rolled_back;
  return failure(e, summarize(journal, read_move_state(journal)));
}

// After the gate the target is the service: a signal (or a failed later step) still ends a
// frozen source's tasks and marks the source, so that it cannot come back by accident.
void secure_the_switch(Session& s, const std::vector<Step>& steps) {
  exec::InterruptShield shield;
  exec::Deadline deadline(cleanup_deadline(s), "the deadline for securing the switch (--stop-timeout + 90 s)");
  for (auto& step : steps) {
    if ((step.kind != StepKind::end_source && step.kind != StepKind::mark_source) || s.journal->is_done(step.id)) continue;
    s.ctx.say(step.title + " (the target serves; securing the switch before ferry stops)");
    if (!s.journal->append("begin", step.id, step.to_json())) return;
    auto r = execute_step(s.ctx, *s.journal, step);
    if (!r) {
      (void)s.journal->append("failed", step.id, {{"what", r.error().what}, {"detail", r.error().detail}});
      return;
    }
    (void)s.journal->append("done", step.id, *r);
  }
}

// A failed step: journaled; during the outage the source is started again.
CommandOutcome step_failed(Session& s, const std::vector<Step>& steps, const Step& step, Error e) {
  auto& journal = *s.journal;
  (void)journal.append("failed", step.id, {{"what", e.what}, {"detail", e.detail}});
  // Until the target passed the health gate, the source is the service: go back to it.
  bool cutover_step = step.phase == Phase::cutover && !journal.is_done("cutover.health");
  if (outage_open(journal) || (cutover_step && step.kind == StepKind::stop_source)) return roll_back(s, e, step.id);
  if (journal.is_done("cutover.health") && exec::interrupt_requested()) {
    secure_the_switch(s, steps);
    e.what = "interrupted after the switch: " + e.what;
    e.hint = "the target serves and the source is marked; run the same command again to finish the remaining steps";
    e.code = ExitCode::interrupted;
  }
  return failure(e, summarize(journal, read_move_state(journal)));
}

// A signal between two steps: before the outage nothing is undone (the source still serves); in
// it, the rollback; after the gate, the switch is secured.
CommandOutcome stopped_by_signal(Session& s, const std::vector<Step>& steps) {
  Error e = make_error(fmt::format("interrupted (signal {})", exec::interrupt_signal())).with_code(ExitCode::interrupted);
  if (outage_open(*s.journal)) return roll_back(s, e, "");
  if (s.journal->is_done("cutover.health")) {
    secure_the_switch(s, steps);
    e.hint = "the target serves and the source is marked; run the same command again to finish the remaining steps";
  } else {
    e.hint = "nothing was switched and the source still serves; run the same command again to carry on";
  }
  return failure(e, summarize(*s.journal, read_move_state(*s.journal)));
}

// The dead-man guards an outage of a source that ran: armed before the stop, and again (its
// deadline moved) by a rerun that carries an outage on.
bool wants_dead_man(const Session& s, const Step& step) {
  if (step.phase != Phase::cutover || s.journal->is_done("cutover.health")) return false;
  bool was_running = read_facts(*s.journal).source_was_running.value_or(false);
  if (step.kind == StepKind::stop_source) return was_running || s.ctx.discovery.instance.running();
  return was_running && outage_open(*s.journal);
}

// A journal that cannot be written: in the outage, the source is given back.
CommandOutcome journal_failed(Session& s, const Error& e, const std::string& step_id) {
  return outage_open(*s.journal) ? roll_back(s, e, step_id) : failure(e);
}

// Arms it; nullopt when the outage may go on, else how this run ends.
std::optional<CommandOutcome> arm_for_outage(Session& s, const Step& step) {
  auto armed = arm_dead_man(s.ctx, s.state.move_id, dead_man_seconds(s.ctx.request));
  if (!armed) {
    Error e = armed.error();
    if (outage_open(*s.journal)) return roll_back(s, e, step.id);
    e.hint = "nothing was stopped and the source still serves; the dead-man needs sh, flock, setsid and GNU timeout on " +
             s.ctx.source.name() + " and a writable /run";
    return failure(e);
  }
  if (*armed == DeadManState::fired)
    return roll_back(s, make_error("the dead-man on " + s.ctx.source.name() +
                                   " brought the source back while ferry was gone (the outage outlasted its deadline)"),
                     step.id);
  auto fires_at = std::chrono::system_clock::now() + std::chrono::seconds(dead_man_seconds(s.ctx.request));
  if (auto w = s.journal->append("fact", "", {{"dead_man", "armed"}, {"dead_man_seconds", dead_man_seconds(s.ctx.request)},
                                              {"dead_man_fires_at", utc_iso(fires_at)}});
      !w)
    return journal_failed(s, w.error(), step.id);
  return std::nullopt;
}

// Once the outage is over (the switch done, or the rollback), the dead-man goes: it could no
// longer start a second copy (the target's start was recorded, or the source runs), but it
// should not linger on the host.
void settle_dead_man(Session& s) {
  auto& journal = *s.journal;
  if (read_facts(journal).dead_man != "armed") return;
  auto st = read_move_state(journal);
  if (outage_open(st) || st.rollback_pending) return;  // it may still be needed
  exec::InterruptShield shield;
  exec::Deadline deadline(exec::Clock::now() + std::chrono::seconds(60), "the dead-man's disarming deadline (60 s)");
  auto was = disarm_dead_man(s.ctx, st.move_id);
  if (!was) {
    s.ctx.say("note: the dead-man on " + s.ctx.source.name() + " was not disarmed (" + was.error().what +
              "); it cannot start a second copy, and it ends by its deadline");
    return;
  }
  (void)journal.append("fact", "", {{"dead_man", *was == DeadManState::fired ? "fired" : "disarmed"}});
}

// The outage's deadline, counted from the stop's request (or from the start of the rerun that
// carries a killed outage on): past it, whatever runs is stopped and ferry rolls back (a hung
// daemon must not keep the service down for as long as it hangs).

std::optional<exec::Clock::time_point> outage_deadline(const Session& s) {
  auto requested = read_facts(*s.journal).stop_requested_ms;
  if (!requested) return std::nullopt;
  long long from_ms = std::max(*requested, s.started_ms);
  long long at_ms = from_ms + static_cast<long long>(s.ctx.request.effective_outage_deadline() * 1000);
  return exec::Clock::now() + std::chrono::milliseconds(at_ms - epoch_ms());
}

// The steps from `i` that run together (the sends of one snapshot), those not done yet, and
// where the next group begins.
std::pair<std::vector<const Step*>, size_t> next_group(const Journal& journal, const std::vector<Step>& steps, size_t i) {
  auto concurrent = [](const Step& a, const Step& b) {
    return a.kind == StepKind::send && b.kind == StepKind::send && a.snapshot == b.snapshot;
  };
  size_t end = i + 1;
  while (end < steps.size() && concurrent(steps[i], steps[end])) ++end;
  std::vector<const Step*> group;
  for (size_t k = i; k < end; ++k)
    if (!journal.is_done(steps[k].id)) group.push_back(&steps[k]);
  return {group, end};
}

std::optional<CommandOutcome> begin_group(Session& s, const std::vector<const Step*>& group) {
  for (auto* step : group) {
    maybe_kill(step->id, "before");
    if (!s.ctx.json) s.ctx.say(step->title);
    if (auto w = s.journal->append("begin", step->id, step->to_json()); !w) return journal_failed(s, w.error(), step->id);
  }
  return std::nullopt;
}

std::vector<Result<json>> run_group(Session& s, const std::vector<const Step*>& group) {
  std::vector<Result<json>> results;
  if (group.size() == 1) {
    results.push_back(execute_step(s.ctx, *s.journal, *group.front()));
    return results;
  }
  // Each stream's progress is one line of a block on the terminal (ui/progress).
  std::vector<std::future<Result<json>>> running;
  for (auto* step : group)
    running.push_back(std::async(std::launch::async, [&s, step] { return execute_step(s.ctx, *s.journal, *step); }));
  for (auto& f : running) results.push_back(f.get());
  return results;
}

std::optional<CommandOutcome> finish_group(Session& s, const std::vector<Step>& steps, const std::vector<const Step*>& group,
                                           const std::vector<Result<json>>& results, std::chrono::steady_clock::time_point started) {
  for (size_t k = 0; k < group.size(); ++k)
    if (!results[k]) return step_failed(s, steps, *group[k], results[k].error());
  for (size_t k = 0; k < group.size(); ++k) {
    json data = *results[k];
    data["step_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (auto w = s.journal->append("done", group[k]->id, data); !w) return journal_failed(s, w.error(), group[k]->id);
    maybe_kill(group[k]->id, "after");
    maybe_fault(group[k]->id, "after");
  }
  return std::nullopt;
}

// Executes the steps not done yet in order, journaling around each. The sends of one snapshot
// (one per volume) run at the same time, each its own stream: the outage waits for the slowest
// only. A move converges its pre-copy before the cutover; the outage has its deadline and dead-man.
CommandOutcome execute(Session& s, std::vector<Step> steps, const std::string& command) {
  auto& journal = *s.journal;
  std::optional<exec::Deadline> deadline;  // the outage's, while it lasts
  bool dead_man_armed = false;             // by this run
  for (size_t i = 0; i < steps.size();) {
    if (command == "move" && steps[i].id == "cutover.check-target" && !journal.is_done(steps[i].id)) {
      auto next = converge(s, steps);
      if (next.outcome) return *next.outcome;
      if (next.plan) {
        steps = *next.plan;
        continue;  // the same index is now the new round's first step
      }
    }
    auto [group, next] = next_group(journal, steps, i);
    i = next;
    if (group.empty()) continue;
    for (auto* step : group) maybe_fault(step->id, "before");
    if (exec::interrupted()) return stopped_by_signal(s, steps);
    if (!deadline && outage_open(journal))
      if (auto at = outage_deadline(s))
        deadline.emplace(*at, fmt::format("the outage's deadline (--outage-deadline {:g} s)", s.ctx.request.effective_outage_deadline()));
    if (deadline && journal.is_done("cutover.health")) deadline.reset();
    if (!dead_man_armed && wants_dead_man(s, *group.front())) {
      if (auto ended = arm_for_outage(s, *group.front())) return *ended;
      dead_man_armed = true;
    }
    if (auto ended = begin_group(s, group)) return *ended;
    for (auto* step : group) maybe_fault(step->id, "during");
    auto started = std::chrono::steady_clock::now();
    auto results = run_group(s, group);
    if (auto ended = finish_group(s, steps, group, results, started)) return *ended;
  }
  if (command == "move" || command == "cutover") (void)journal.append("finished", "");
  adopt_state(s);
  json report = summarize(journal, s.state);
  report["ok"] = true;
  report["command"] = command;
  return {ExitCode::ok, OutcomeKind::done, report};
}

CommandOutcome plan_output(Session& s, const std::vector<Step>& steps, bool with_preflight) {
  json report = {{"instance", s.ctx.request.instance}, {"source", s.ctx.source.name()}, {"target", s.ctx.target.name()},
                 {"manager", instance::to_string(s.ctx.source_manager->kind())}, {"driver", s.ctx.discovery.driver}};
  json vols = json::array();
  for (auto& v : s.ctx.discovery.volumes)
    vols.push_back({{"volume", v.role}, {"pool", v.pool}, {"source", v.source_path}, {"target", v.target_path}});
  report["volumes"] = vols;
  ExitCode code = ExitCode::ok;
  if (with_preflight) {
    PreflightOptions opt;
    opt.continuing = s.state.started && !s.state.finished && !s.state.aborted;
    opt.imported = s.state.prepared;
    if (!opt.continuing) forget_finished_move(s);
    auto findings = run_preflight(s.ctx, opt);
    report["preflight"] = findings_json(findings);
    report["preflight_ok"] = all_passed(findings);
    if (!all_passed(findings)) code = ExitCode::preflight;
  }
  json js = json::array();
  prepare_describe(s.ctx, steps);
  for (auto& st : steps) {
    auto j = st.to_json();
    j["commands"] = describe_step(s.ctx, st);
    j["done"] = s.journal->is_done(st.id);
    js.push_back(j);
  }
  report["steps"] = js;
  return {code, OutcomeKind::plan, report};
}

CommandOutcome status_output(Session& s) {
  StatusFacts f;
  f.asked = s.ctx.request;
  f.state = s.state;
  f.summary = summarize(*s.journal, s.state);
  // Every leg of the instance's moves this state dir recorded, from any source host.
  MoveRequest any_source = s.ctx.request;
  any_source.source.clear();
  f.history = move_history(journal_dir(s.ctx.state_dir, any_source));
  f.last_done = s.journal->last("done");
  f.last_failed = s.journal->last("failed");
  if (s.state.open_plan)
    for (auto& step : pending_steps(*s.journal, *s.state.open_plan)) f.pending_steps.push_back(step.id);
  auto facts = read_facts(*s.journal);
  f.dead_man = facts.dead_man;
  f.dead_man_fires_at = facts.dead_man_fires_at;
  f.dead_man_note = dead_man_note(*s.journal, s.state);
  f.journal_path = s.journal->path();
  return {ExitCode::ok, OutcomeKind::status, move_status(f)};
}

std::optional<Error> refuse_abort(const Session& s) {
  auto& st = s.state;
  if (!st.started || st.finished || st.aborted)
    return make_error("no move of '" + s.ctx.request.instance + "' is under way").with_code(ExitCode::usage);
  if (st.switched)
    return make_error("the target has already served '" + s.ctx.request.instance + "': abort is no longer possible")
        .with_hint("to go back, move it the other way: ferry move " + s.ctx.request.instance + " --from " + st.request.target +
                   " --to " + st.request.source + " (incremental, from the kept common snapshot)")
        .with_code(ExitCode::usage);
  return std::nullopt;
}

CommandOutcome aborted(Session& s, const std::string& done) {
  (void)s.journal->append("aborted", "", {{"actions", done}});
  return {ExitCode::ok, OutcomeKind::aborted, {{"ok", true}, {"aborted", true}, {"actions", done}}};
}

// A move back: the target's copy is the earlier move's, not this one's. It stays, stopped and
// marked, with that move's snapshot, the base of a later move back; only this move's go.
std::string abort_move_back(Session& s, storage::TransferContext t) {
  auto& name = s.ctx.discovery.instance.name;
  auto& tm = *s.ctx.target_manager;
  t.earlier_move_id.clear();
  for (auto& v : s.ctx.discovery.volumes) (void)s.ctx.driver->remove_ferry_snapshots(t, v, "");
  // If ferry's own start (a rollback followed) was the copy's last use, a later move back must
  // not take it for a start by hand.
  auto copy = tm.instance(name);
  if (copy && *copy && (*copy)->last_used_at == read_facts(*s.journal).target_last_used_at &&
      (*copy)->config.value(kMovedLastUsedKey, "") != (*copy)->last_used_at)
    (void)tm.set_config(name, kMovedLastUsedKey, (*copy)->last_used_at);
  return "; removed this move's snapshots; kept the earlier copy on " + s.ctx.target.name() + " (stopped, @" +
         s.ctx.returning->base + " kept for a move back)";
}

// Whether the target's manager knows the copy (an import cut off after the recover counts too:
// the preflight saw no such instance there, and the recover lock kept other imports out).
Result<bool> copy_imported(Session& s) {
  auto& journal = *s.journal;
  if (journal.is_done("prepare.import")) return true;
  bool import_begun = std::any_of(journal.records().begin(), journal.records().end(),
                                  [](auto& r) { return r.event == "begin" && r.step == "prepare.import"; });
  if (!import_begun) return false;
  auto there = s.ctx.target_manager->instance(s.ctx.discovery.instance.name);
  if (!there) return Unexpected{there.error()};
  return there->has_value();
}

// Through the target's manager, in the move's project: only what ferry imported.
Status delete_imported_copy(Session& s, std::string& done, std::vector<std::string>& left) {
  auto& tm = *s.ctx.target_manager;
  auto& name = s.ctx.discovery.instance.name;
  if (auto there = tm.instance(name); there && *there) {
    if (auto r = tm.delete_instance(name); !r) return r;
    done += "; deleted the target copy (project " + tm.project() + ")";
  }
  for (auto& v : s.ctx.discovery.volumes)
    if (v.role != "instance") {
      if (auto r = tm.delete_custom_volume(v.pool, v.custom_name()); r) done += "; deleted volume " + v.role;
      else left.push_back(v.role + " (" + r.error().message() + ")");
    }
  return {};
}

// Gives the move up before the target served: the source runs again, and what ferry made on
// the target goes (the received copy, or the imported instance), proven this move's.
CommandOutcome abort_move(Session& s) {
  if (auto refused = refuse_abort(s)) return failure(*refused);
  auto rb = roll_back_to_source(s.ctx, *s.journal);
  if (!rb) return failure(rb.error());
  std::string done = *rb;
  auto t = s.ctx.transfer_context();
  if (s.ctx.returning) return aborted(s, done + abort_move_back(s, t));
  auto imported = copy_imported(s);
  if (!imported) return failure(imported.error());
  std::vector<std::string> left;
  if (!*imported) {
    // Not imported: what the streams left on the target, proven this move's before its
    // snapshots (the proof) go.
    for (auto& v : s.ctx.discovery.volumes) {
      auto removal = s.ctx.driver->remove_received(t, v);
      if (!removal) return failure(removal.error());
      if (!removal->removed.empty()) done += "; removed " + v.role + "'s received copy on " + s.ctx.target.name();
      left.insert(left.end(), removal->left.begin(), removal->left.end());
    }
  }
  // This move's snapshots (their holds would keep the manager from deleting the copy, zfs).
  for (auto& v : s.ctx.discovery.volumes) (void)s.ctx.driver->remove_ferry_snapshots(t, v, "");
  done += "; removed this move's snapshots";
  if (*imported)
    if (auto r = delete_imported_copy(s, done, left); !r) return failure(r.error());
  if (!left.empty()) done += "; left on " + s.ctx.target.name() + ": " + fmt::format("{}", fmt::join(left, "; "));
  return aborted(s, done);
}

// After the TTL window: the old host stops forwarding (and the DNS TTL goes back up if ferry
// switched the names).
CommandOutcome finish_move(Session& s) {
  auto& journal = *s.journal;
  if (!s.state.started || !s.state.switched)
    return failure(make_error("no switched move of '" + s.ctx.request.instance + "' to finish")
                       .with_hint("`ferry finish` comes after a move's cutover").with_code(ExitCode::usage));
  if (s.ctx.request.dns_file.empty()) s.ctx.request.dns_file = s.state.request.dns_file;
  auto removed = remove_forwarding(s.ctx, journal);
  if (!removed) return failure(removed.error());
  std::string done = *removed;
  json report = {{"ok", true}, {"finished", true}, {"actions", done}};
  if (!s.ctx.request.dns_file.empty()) {
    auto dns = finish_dns(s.ctx);
    if (!dns) return failure(dns.error(), report);
    report["dns"] = *dns;
    done += "; DNS TTL restored";
  }
  (void)journal.append("fact", "", {{"finished_at", utc_now_iso()}});
  report["actions"] = done;
  return {ExitCode::ok, OutcomeKind::finished, report};
}

}  // namespace

std::string journal_dir(const std::string& state_dir, const MoveRequest& request) {
  return state_dir + "/moves/" + sanitize(request.project + "_" + request.instance + "@" + request.source);
}

namespace {

// The journal says the source was stopped for the outage, yet it runs again (a rollback the
// journal could not record, or someone started it by hand): carrying on would start a second copy.
std::optional<CommandOutcome> refuse_if_source_runs_again(Session& s, const MoveRequest& request) {
  if (s.journal->is_done("cutover.stop-source") && !s.state.switched &&
      !s.state.rollback_pending && read_facts(*s.journal).source_was_running.value_or(false) &&
      s.ctx.discovery.instance.status == "Running") {
    (void)s.journal->append("reset", "cutover.");
    (void)s.journal->append("fact", "", {{"stop_requested_ms", nullptr}, {"target_start_requested_ms", nullptr}});
    (void)s.journal->append("rolled_back", "", {{"reason", "the source was found running again in the outage"}});
    return failure(make_error("'" + request.instance + "' runs on " + s.ctx.source.name() +
                              " although the journal says its outage began")
                       .with_hint("ferry takes the outage as undone and did not touch either host; run the same command "
                                  "again to cut over afresh")
                       .with_code(ExitCode::rolled_back));
  }
  return std::nullopt;
}

// The name a command's plan is journaled under.
std::string command_name(MoveCommand command) {
  switch (command) {
    case MoveCommand::plan:
    case MoveCommand::move: return "move";
    case MoveCommand::prepare: return "prepare";
    case MoveCommand::sync: return "sync";
    case MoveCommand::cutover: return "cutover";
    case MoveCommand::trial: return "try";
    case MoveCommand::cleanup: return "cleanup";
    default: return "";
  }
}

// The steps `command` runs (the journal's open plan may still replace them); a command the
// move's state does not allow yet is refused.
Result<std::vector<Step>> steps_for(Session& s, MoveCommand command, const PlanInput& in, bool continuing, bool dry_run) {
  auto not_prepared = [](const std::string& what) {
    return fail(make_error(what).with_hint("run `ferry prepare` first").with_code(ExitCode::usage));
  };
  switch (command) {
    case MoveCommand::plan:
    case MoveCommand::move: return move_plan(in);
    case MoveCommand::prepare: return prepare_steps(in);
    case MoveCommand::sync:
      if (!in.prepared) return not_prepared("nothing to sync yet");
      return sync_steps(in, in.first_round, in.next_sequence);
    case MoveCommand::cutover: {
      if (!in.prepared) return not_prepared("the target has no copy yet");
      auto steps = cutover_steps(in, in.next_sequence);
      auto clean = cleanup_steps(snapshot_name(in.move_id, in.next_sequence));
      steps.insert(steps.end(), clean.begin(), clean.end());
      return steps;
    }
    case MoveCommand::trial:
      if (!in.prepared) return not_prepared("the target has no copy yet");
      if (s.state.switched) return fail(make_error("the target already serves").with_code(ExitCode::usage));
      if (!dry_run && s.journal->is_done("try.boot")) (void)s.journal->append("reset", "try.");
      return trial_steps();
    case MoveCommand::cleanup:
      if (continuing && !s.state.finished)
        return fail(make_error("a move is under way").with_hint("finish or abort it first").with_code(ExitCode::usage));
      return cleanup_steps("");
    default: return std::vector<Step>{};
  }
}

// Before this run's first step: a new move's preflight (a refused move leaves no trace), the
// move started, its plan journaled with the request it follows. nullopt: go on.
std::optional<CommandOutcome> begin_run(Session& s, const MoveRequest& request, MoveCommand command, std::vector<Step>& steps,
                                        const std::string& name, bool continuing, bool request_changed, bool json_output) {
  json preflight_done;
  if (!continuing) {
    forget_finished_move(s);
    auto findings = run_preflight(s.ctx, PreflightOptions{});
    if (!json_output) s.ctx.reporter->checks("preflight", findings);
    json shown = findings_json(findings);
    if (!all_passed(findings)) return failure(preflight_failure(findings), {{"preflight", shown}});
    preflight_done = {{"findings", shown}};
  }
  if (auto st = start_new_move_if_needed(s, request); !st) return failure(st.error());
  if (!continuing) {
    PlanInput in = plan_input(s);
    in.prepared = false;
    steps = command == MoveCommand::prepare ? prepare_steps(in) : move_plan(in);
  }
  if (!(s.state.open_plan && s.state.open_command == name) || request_changed) {  // journaled with the request it follows
    json js = json::array();
    for (auto& st : steps) js.push_back(st.to_json());
    if (auto w = s.journal->append("plan", "", {{"command", name}, {"steps", js}, {"request", s.ctx.request.to_json()}}); !w)
      return failure(w.error());
  }
  if (!preflight_done.is_null()) {
    maybe_kill("preflight", "before");
    if (auto w = s.journal->append("begin", "preflight", steps.front().to_json()); !w) return failure(w.error());
    if (auto w = s.journal->append("done", "preflight", preflight_done); !w) return failure(w.error());
    maybe_kill("preflight", "after");
  }
  return std::nullopt;
}

// How this run stands to the journaled plan. A rerun of an open plan whose outage began, or of a
// rollback that did not finish, is that move: the journaled request rules it (what the command
// line leaves out comes from the journal; what it changes is refused). Before the outage the
// command line rules (a plan for other options is made anew, e.g. crash mode's end of the source).
struct ReconciledRequest {
  MoveRequest effective;
  bool continues_plan = false;
  bool changed = false;  // options other than the open plan's, before its outage
};

Result<ReconciledRequest> reconcile_request(Session& s, MoveCommand command, const MoveRequest& request) {
  ReconciledRequest r{request};
  bool runs_a_plan = command != MoveCommand::plan && command != MoveCommand::cleanup && !command_name(command).empty();
  r.continues_plan = s.state.open_plan && s.state.plan_request && runs_a_plan && s.state.open_command == command_name(command);
  if (!(r.continues_plan || s.state.rollback_pending) || !s.state.plan_request || command == MoveCommand::plan) return r;
  if (s.state.outage_begun || s.state.rollback_pending) {
    auto merged = continue_request(*s.state.plan_request, request);
    if (!merged) return Unexpected{merged.error()};
    s.ctx.request = r.effective = *merged;
    return r;
  }
  r.changed = request.to_json() != s.state.plan_request->to_json();
  if (r.changed) s.ctx.say("the options differ from this move's plan (made before its outage): a new plan for them");
  return r;
}

// The steps this run goes through: a rerun of the same command (or `plan`) continues the plan
// it journaled, unless its options changed before the outage (then a new plan for them).
Result<std::vector<Step>> steps_to_run(Session& s, MoveCommand command, bool continuing, bool request_changed, bool dry_run) {
  PlanInput in = plan_input(s);
  if (!continuing) { in.prepared = false; in.next_sequence = 1; in.first_round = 1; }
  auto planned = steps_for(s, command, in, continuing, dry_run);
  if (!planned) return planned;
  bool journaled = continuing && s.state.open_plan;
  if (journaled && command == MoveCommand::plan) return *s.state.open_plan;
  if (journaled && s.state.open_command == command_name(command) && !request_changed) return *s.state.open_plan;
  return planned;
}

// A move that will switch DNS after its health gate: its names must be ready for it now, not
// found unlowered once the target serves.
Status check_dns_ready(Session& s, MoveCommand command, const MoveRequest& request, const MoveRequest& effective,
                       const std::string& state_dir) {
  bool will_switch_dns = !effective.dns_file.empty() && (command == MoveCommand::move || command == MoveCommand::cutover) &&
                         !(s.state.started && !s.state.finished && !s.state.aborted && s.state.switched) &&
                         !already_moved(s, request);
  if (!will_switch_dns) return {};
  return check_dns_switchable(effective, state_dir);
}

CommandOutcome carry_on_rollback(Session& s) {
  s.ctx.say("a rollback of this move did not finish" +
            (s.state.rollback_error.empty() ? std::string(" (ferry was stopped in it)") : " (" + s.state.rollback_error + ")") +
            "; carrying it on first");
  return roll_back(s, make_error("a rollback begun earlier had not finished"), "");
}

}  // namespace

CommandOutcome run_move_command(MoveCommand command, const MoveRequest& request, const RunSettings& settings) {
  bool mutating = !settings.dry_run && command != MoveCommand::plan && command != MoveCommand::status;
  // Every input first: a bad one changes nothing, not even the local state dir.
  if (auto checked = check_request(request); !checked) return failure(checked.error());
  if (!request.dns_file.empty())
    if (auto checked = check_dns_input(request, settings.state_dir); !checked) return failure(checked.error());
  auto session = open_session(request, settings, mutating);
  if (!session) return failure(session.error());
  auto& s = **session;
  // However this run ends (a SIGKILL aside), a dead-man no longer needed is disarmed.
  struct SettleDeadMan {
    Session* s;
    ~SettleDeadMan() { if (s) settle_dead_man(*s); }
  } settle{mutating ? &s : nullptr};
  if (command == MoveCommand::status) {
    if (s.state.started) s.ctx.request = s.state.request;
    return status_output(s);
  }
  auto reconciled = reconcile_request(s, command, request);
  if (!reconciled) return failure(reconciled.error());
  const auto& [effective, continues_plan, request_changed] = *reconciled;
  if (auto d = discover(s.ctx); !d) return failure(d.error());
  if (mutating)
    if (auto ready = check_dns_ready(s, command, request, effective, settings.state_dir); !ready) return failure(ready.error());

  if (command == MoveCommand::abort) return abort_move(s);
  if (continues_plan && mutating)
    if (auto refused = refuse_if_source_runs_again(s, request)) return *refused;
  if (s.state.rollback_pending && mutating) return carry_on_rollback(s);
  if (command == MoveCommand::finish) return finish_move(s);

  bool continuing = s.state.started && !s.state.finished && !s.state.aborted;
  // The same move run again after it finished (e.g. ferry was killed after its last step): the
  // source copy is still the one ferry marked moved. (One that serves again came back by a move
  // back: this is a new move.)
  if ((command == MoveCommand::move || command == MoveCommand::cutover) && already_moved(s, request) && !settings.dry_run) {
    json report = summarize(*s.journal, s.state);
    report.update({{"ok", true}, {"already_done", true}});
    return {ExitCode::ok, OutcomeKind::already_done, report};
  }
  std::string name = command_name(command);
  auto planned = steps_to_run(s, command, continuing, request_changed, settings.dry_run);
  if (!planned) return failure(planned.error());
  std::vector<Step> steps = std::move(*planned);
  if (command == MoveCommand::plan || settings.dry_run) return plan_output(s, steps, true);

  if (command == MoveCommand::cleanup) {
    if (!s.state.started) return failure(make_error("no move of '" + request.instance + "' is recorded").with_code(ExitCode::usage));
    return execute(s, steps, name);
  }
  if (auto refused = begin_run(s, request, command, steps, name, continuing, request_changed, settings.json)) return *refused;
  return execute(s, steps, name);
}

}  // namespace ferry::core
