// Where a move stands, read from its journal: pure functions over the records.
#pragma once

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
};

MoveState read_move_state(const Journal& journal);

// The remaining steps of a plan, in order.
std::vector<Step> pending_steps(const Journal& journal, const std::vector<Step>& plan);

}  // namespace ferry::core
