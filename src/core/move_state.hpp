// Where a move stands, read from its journal: pure functions over the records.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/journal.hpp"
#include "core/move_request.hpp"
#include "core/plan.hpp"

namespace ferry::core {

struct MoveState {
  bool started = false;
  std::string move_id;
  MoveRequest request;
  bool prepared = false;      // prepare.import done
  bool switched = false;      // cutover.start-target done: the target has served
  bool finished = false;      // the move plan ran to its end
  bool aborted = false;
  int rounds_done = 0;        // sync rounds completed
  int next_sequence = 1;      // next ferry snapshot sequence number
  std::string last_snapshot;  // newest ferry snapshot both sides have
  std::optional<std::vector<Step>> open_plan;  // a journaled plan with steps still to do
  std::string open_command;
  std::optional<MoveRequest> plan_request;     // the request the open plan was made for
  // A rollback began and did not complete (ferry killed in it, or it failed): a rerun carries it
  // on before anything else.
  bool rollback_pending = false;
  std::string rollback_error;                  // why the last attempt failed ("" if it did not)
  bool outage_begun = false;                   // the stop was asked for, and no rollback undid it
  bool target_start_requested = false;         // ... and ferry was about to ask the target to start
};

// Which host serves the instance, as far as the journal knows: "source", "target", "none" (ferry
// was stopped in the outage: the same command carries on) or "unknown" (a rollback could not
// finish: neither host is known to be the only one running it).
std::string serving_host(const MoveState& state);

MoveState read_move_state(const Journal& journal);

// The steps the journal holds a `begin` of, by id, as they were recorded (kind, phase, round,
// volume): what a step was is read from there, never parsed out of its id.
std::map<std::string, Step> journaled_steps(const Journal& journal);

// The remaining steps of a plan, in order.
std::vector<Step> pending_steps(const Journal& journal, const std::vector<Step>& plan);

}  // namespace ferry::core
