#include "ui/progress.hpp"

#include <gtest/gtest.h>

namespace ferry::ui {
namespace {

TEST(Progress, LineWithATotalHasPercentRateAndEta) {
  EXPECT_EQ(render_progress("root", 50 << 20, 200 << 20, 2.0, false),
            "root  50.0 MiB of 200.0 MiB [#####...............]  25%  25.0 MiB/s  ETA 6s");
}

TEST(Progress, FinalLineSaysTheTimeInsteadOfTheEta) {
  EXPECT_EQ(render_progress("root", 200 << 20, 200 << 20, 8.0, true),
            "root  200.0 MiB of 200.0 MiB [####################] 100%  25.0 MiB/s  in 8s");
}

TEST(Progress, WithoutATotalOnlyBytesAndRate) {
  EXPECT_EQ(render_progress("custom/data", 3 << 20, 0, 1.0, false), "custom/data  3.0 MiB  3.0 MiB/s");
}

TEST(Progress, MoreThanTheEstimateStopsAtAHundredPercentWithoutEta) {
  auto line = render_progress("root", 210 << 20, 200 << 20, 7.0, false);
  EXPECT_NE(line.find("[####################] 100%"), std::string::npos) << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos) << line;
}

}  // namespace
}  // namespace ferry::ui
