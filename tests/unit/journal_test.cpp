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
  EXPECT_EQ(again->records().size(), 5u);  // the version header and four records
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::core

namespace ferry::core {
namespace {

TEST(JournalVersion, ANewJournalBeginsWithItsVersion) {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-journal-v-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto path = (dir / "journal.jsonl").string();
  {
    auto opened = Journal::open(path);
    ASSERT_TRUE(opened);
    EXPECT_TRUE(opened->records().empty());  // opening alone writes nothing (a refused move leaves no trace)
    ASSERT_TRUE(opened->append("start", "", {{"move_id", "x"}}));
  }
  auto j = Journal::open(path);
  ASSERT_TRUE(j);
  ASSERT_EQ(j->records().size(), 2u);
  EXPECT_EQ(j->records()[0].event, "journal");
  EXPECT_EQ(j->records()[0].data["version"], kJournalVersion);
  EXPECT_EQ(j->records()[1].event, "start");
  std::filesystem::remove_all(dir);
}

TEST(JournalVersion, AnUnversionedJournalIsRefused) {
  auto recs = Journal::parse("{\"event\":\"start\",\"data\":{\"move_id\":\"x\"}}\n");
  auto st = Journal::check_version(recs, "/s/journal.jsonl");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().what.find("older format"), std::string::npos);
  EXPECT_EQ(st.error().code, ExitCode::usage);
  EXPECT_FALSE(st.error().hint.empty());
}

TEST(JournalVersion, ANewerVersionIsRefusedAndNamed) {
  auto recs = Journal::parse("{\"event\":\"journal\",\"data\":{\"format\":\"ferry-journal\",\"version\":2}}\n");
  auto st = Journal::check_version(recs, "/s/journal.jsonl");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().what.find("version 2; this ferry reads version 1"), std::string::npos);
}

}  // namespace
}  // namespace ferry::core
