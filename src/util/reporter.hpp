// What the person running ferry sees, asked for by any layer and drawn by the one that owns the
// terminal: cli hands ui's reporter down (MoveContext, TransferContext); a layer given none
// shows nothing. Keeps the terminal out of core, storage and exec.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "util/check.hpp"

namespace ferry::util {

// One stream's progress: bytes done so far, then once the final count.
class ProgressMeter {
 public:
  virtual ~ProgressMeter() = default;
  virtual void update(uint64_t bytes_done) = 0;
  virtual void finish(uint64_t bytes_done) = 0;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  // A progress line for one stream (expected 0: its total is unknown).
  virtual std::unique_ptr<ProgressMeter> progress(const std::string& label, uint64_t expected_bytes) = 0;
  // A line of text for the person (above any progress being drawn).
  virtual void line(const std::string& text) = 0;
  // The results of a list of checks under a title ("preflight"), each with its fix when it failed.
  virtual void checks(const std::string& title, const std::vector<Check>& results) = 0;
};

// Shows nothing: the default wherever no reporter was handed down.
Reporter& silent_reporter();

}  // namespace ferry::util
