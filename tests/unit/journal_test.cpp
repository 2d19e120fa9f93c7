#include "core/journal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace ferry::core {
namespace {

TEST(Journal, TornLastLineIsIgnored) {
  auto recs = Journal::parse("{\"event\":\"begin\",\"step\":\"a\"}\n{\"event\":\"done\",\"step\":\"a\"}\n{\"event\":\"be");
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].event, "done");
}

TEST(Journal, DoneStepsSurviveReopenAndResetsUndoThem) {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-journal-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto path = (dir / "journal.jsonl").string();
  {
    auto j = Journal::open(path);
    ASSERT_TRUE(j);
    ASSERT_TRUE(j->append("done", "seed.snapshot", {{"snapshot", "ferry-x-1"}}));
    ASSERT_TRUE(j->append("done", "cutover.stop-source"));
    ASSERT_TRUE(j->append("fact", "", {{"source_was_running", true}}));
  }
  {  // simulate a kill in mid-write
    std::ofstream out(path, std::ios::app);
    out << "{\"event\":\"done\",\"st";
  }
  auto j = Journal::open(path);
  ASSERT_TRUE(j);
  EXPECT_TRUE(j->is_done("seed.snapshot"));
  EXPECT_EQ(j->done_data("seed.snapshot")->value("snapshot", ""), "ferry-x-1");
  EXPECT_TRUE(j->is_done("cutover.stop-source"));
  EXPECT_TRUE(j->facts().value("source_was_running", false));
  ASSERT_TRUE(j->append("reset", "cutover."));
  EXPECT_FALSE(j->is_done("cutover.stop-source"));
  EXPECT_TRUE(j->is_done("seed.snapshot"));
  auto again = Journal::open(path);  // the torn line did not swallow the records after it
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->is_done("cutover.stop-source"));
  EXPECT_EQ(again->records().size(), 4u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::core
