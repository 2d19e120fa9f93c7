#include <gtest/gtest.h>

#include "dns/record_set.hpp"

using namespace ferry::dns;

TEST(DnsRecordSet, QualifiesNamesInTheZone) {
  EXPECT_EQ(*qualify_name("svc", "ferry.test"), "svc.ferry.test.");
  EXPECT_EQ(*qualify_name("SVC", "ferry.test."), "svc.ferry.test.");
  EXPECT_EQ(*qualify_name("svc.ferry.test", "ferry.test."), "svc.ferry.test.");
  EXPECT_EQ(*qualify_name("svc.ferry.test.", "ferry.test."), "svc.ferry.test.");
  EXPECT_EQ(*qualify_name("@", "ferry.test."), "ferry.test.");
  EXPECT_EQ(*qualify_name("a.b", "ferry.test."), "a.b.ferry.test.");
  EXPECT_FALSE(qualify_name("svc.other.test.", "ferry.test."));
  EXPECT_FALSE(qualify_name("notferry.test.", "ferry.test."));
  EXPECT_FALSE(qualify_name("bad name", "ferry.test."));
  EXPECT_FALSE(qualify_name("", "ferry.test."));
}

TEST(DnsRecordSet, CanonicalisesAddresses) {
  auto v6 = parse_address("2001:0002:0000::0003");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->text, "2001:2::3");
  EXPECT_EQ(v6->type, RecordType::aaaa);
  auto v4 = parse_address("198.18.0.3");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->type, RecordType::a);
  EXPECT_FALSE(parse_address("198.18.0.300"));
  EXPECT_FALSE(parse_address("svc"));
}

TEST(DnsRecordSet, MakesSortedUniqueSetsOfOneFamily) {
  auto set = make_record_set("svc.ferry.test.", RecordType::a, 60, {"198.18.0.3", "198.18.0.2", "198.18.0.3"});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->addresses, (std::vector<std::string>{"198.18.0.2", "198.18.0.3"}));
  EXPECT_FALSE(make_record_set("svc.ferry.test.", RecordType::a, 60, {"2001:2::2"}));
}

TEST(DnsRecordSet, ParsesServerAddresses) {
  auto s = parse_server_address("127.0.0.1:5301");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->host, "127.0.0.1");
  EXPECT_EQ(s->port, 5301);
  EXPECT_EQ(parse_server_address("ns1.example.net")->port, 53);
  auto v6 = parse_server_address("[2001:db8::1]:5302");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "2001:db8::1");
  EXPECT_EQ(v6->port, 5302);
  EXPECT_EQ(v6->to_string(), "[2001:db8::1]:5302");
  EXPECT_EQ(parse_server_address("2001:db8::1")->port, 53);
  EXPECT_FALSE(parse_server_address("host:0"));
  EXPECT_FALSE(parse_server_address("host:70000"));
  EXPECT_FALSE(parse_server_address("host:"));
  EXPECT_FALSE(parse_server_address(":53"));
  EXPECT_FALSE(parse_server_address("[::1"));
}
