#include "util/reporter.hpp"

namespace ferry::util {

namespace {
class SilentMeter : public ProgressMeter {
 public:
  void update(uint64_t) override {}
  void finish(uint64_t) override {}
};

class SilentReporter : public Reporter {
 public:
  std::unique_ptr<ProgressMeter> progress(const std::string&, uint64_t) override { return std::make_unique<SilentMeter>(); }
  void line(const std::string&) override {}
  void checks(const std::string&, const std::vector<Check>&) override {}
};
}  // namespace

Reporter& silent_reporter() {
  static SilentReporter silent;
  return silent;
}

}  // namespace ferry::util
