#include "util/error.hpp"

#include <gtest/gtest.h>

namespace ferry {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return fail("not positive", std::to_string(v));
  return v;
}

Status chain(int v) {
  FERRY_TRY(parse_positive(v));
  return {};
}

TEST(Result, CarriesValueOrError) {
  EXPECT_EQ(*parse_positive(3), 3);
  auto bad = parse_positive(-1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().what, "not positive");
  EXPECT_FALSE(chain(0));
  EXPECT_TRUE(chain(1));
}

TEST(Error, MessageNamesHostCommandAndHint) {
  auto e = make_error("zfs recv failed", "cannot receive: dataset exists");
  e.on("beta").with_hint("destroy it or pick another name");
  e.command = "zfs recv tank/x";
  auto text = e.message();
  EXPECT_NE(text.find("(on beta)"), std::string::npos);
  EXPECT_NE(text.find("zfs recv tank/x"), std::string::npos);
  EXPECT_NE(text.find("what to do: destroy"), std::string::npos);
}

}  // namespace
}  // namespace ferry
