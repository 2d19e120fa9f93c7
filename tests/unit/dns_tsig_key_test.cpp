#include <gtest/gtest.h>

#include <cctype>

#include "dns/tsig_key.hpp"

using namespace ferry::dns;

namespace {
const std::string kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlYzE=";

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// In any case: the parser lower-cases what it reads, and a lower-cased secret is still one.
void expect_no_secret(const ferry::Error& e) {
  std::string all = lower(e.message() + "\n" + e.hint);
  EXPECT_EQ(all.find(lower(kSecret)), std::string::npos) << e.message();
}
}  // namespace

TEST(DnsTsigKey, ReadsTsigKeygenOutput) {
  auto key = parse_tsig_key("key \"ferry-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"" + kSecret + "\";\n};\n", "f");
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->name(), "ferry-key.");
  EXPECT_EQ(key->algorithm(), "hmac-sha256");
  EXPECT_EQ(key->algorithm_dname(), "hmac-sha256.");
  EXPECT_EQ(key->secret_for_signing(), kSecret);
  EXPECT_EQ(key->describe().find(kSecret), std::string::npos);
}

TEST(DnsTsigKey, ReadsCommentsUnquotedNamesAndAnyClauseOrder) {
  auto key = parse_tsig_key("# made by hand\n// another\n/* block\n comment */ key Update.Key. { secret \"" + kSecret +
                                "\"; algorithm HMAC-SHA512; }",
                            "f");
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->name(), "update.key.");
  EXPECT_EQ(key->algorithm(), "hmac-sha512");
}

TEST(DnsTsigKey, ReadsTheShortFormats) {
  auto key = parse_tsig_key("ferry-key:" + kSecret + "\n", "f");
  ASSERT_TRUE(key) << key.error().message();
  EXPECT_EQ(key->name(), "ferry-key.");
  EXPECT_EQ(key->algorithm(), "hmac-sha256");

  key = parse_tsig_key("hmac-sha1:k1:" + kSecret, "f");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->algorithm(), "hmac-sha1");
  EXPECT_EQ(key->name(), "k1.");

  key = parse_tsig_key("hmac-md5.sig-alg.reg.int:k1:" + kSecret, "f");
  ASSERT_TRUE(key);
  EXPECT_EQ(key->algorithm(), "hmac-md5");
  EXPECT_EQ(key->algorithm_dname(), "hmac-md5.sig-alg.reg.int.");
}

TEST(DnsTsigKey, RefusesWhatLdnsCannotSign) {
  auto key = parse_tsig_key("hmac-sha384:k:" + kSecret, "f");
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().detail.find("not supported"), std::string::npos);
  EXPECT_EQ(key.error().code, ferry::ExitCode::usage);
  key = parse_tsig_key("key k { algorithm hmac-foo; secret \"" + kSecret + "\"; };", "f");
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().detail.find("unknown algorithm"), std::string::npos);
}

TEST(DnsTsigKey, ErrorsNeverQuoteTheSecret) {
  const char* broken[] = {
      "key k { algorithm hmac-sha256; secret \"SECRET\" };",   // missing ;
      "key k { algorithm hmac-sha256; secret \"SECRET\"; }; key j { };",
      "key k { algorithm hmac-sha256; secret \"SECRET\"; nonsense x; };",
      "key k { secret \"SECRET\"; };",
      "k:SECRET:x:y",
      "hmac-sha256:bad name:SECRET",
      "SECRET:k:hmac-sha256",                                   // the fields in the wrong order
      "key k { algorithm hmac-sha256; \"SECRET\"; };",           // the secret without its keyword
      "key k { algorithm hmac-sha256; SECRET; };",
      "key k { algorithm \"SECRET\"; secret hmac-sha256; };",    // values swapped
  };
  for (std::string text : broken) {
    text.replace(text.find("SECRET"), 6, kSecret);
    auto key = parse_tsig_key(text, "keyfile");
    ASSERT_FALSE(key) << text;
    expect_no_secret(key.error());
    EXPECT_NE(key.error().what.find("keyfile"), std::string::npos);
  }
}

TEST(DnsTsigKey, RefusesBadBase64AndEmptyFiles) {
  EXPECT_FALSE(parse_tsig_key("k:not*base64", "f"));
  EXPECT_FALSE(parse_tsig_key("k:abc", "f"));
  EXPECT_FALSE(parse_tsig_key("  \n", "f"));
  EXPECT_FALSE(parse_tsig_key("key k { algorithm hmac-sha256; ", "f"));
}

TEST(DnsTsigKey, LoadNamesAMissingFile) {
  auto key = load_tsig_key("/nonexistent/key.conf");
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().what.find("/nonexistent/key.conf"), std::string::npos);
  EXPECT_EQ(key.error().code, ferry::ExitCode::usage);
}
