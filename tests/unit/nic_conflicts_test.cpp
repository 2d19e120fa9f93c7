#include "core/nic_conflicts.hpp"

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

using nlohmann::json;

instance::InstanceInfo moving() {
  instance::InstanceInfo i;
  i.name = "web";
  i.project = "default";
  i.config = {{"volatile.eth0.hwaddr", "00:16:3e:aa:bb:cc"}};
  i.expanded_devices = {{"eth0", {{"type", "nic"}, {"network", "lxdbr0"}, {"ipv4.address", "10.0.0.50"}}},
                        {"root", {{"type", "disk"}, {"path", "/"}, {"pool", "default"}}}};
  return i;
}

json other(const std::string& name, const std::string& project, json config, json devices, const std::string& status = "Stopped") {
  return {{"name", name}, {"project", project}, {"status", status}, {"config", config}, {"expanded_devices", devices}};
}

TEST(NicConflicts, NoneOnAnEmptyHostOrOtherAddresses) {
  EXPECT_TRUE(nic_conflicts(moving(), json::array()).empty());
  json host = json::array({other("db", "default", {{"volatile.eth0.hwaddr", "00:16:3e:00:00:01"}},
                                 {{"eth0", {{"type", "nic"}, {"network", "lxdbr0"}, {"ipv4.address", "10.0.0.51"}}}})});
  EXPECT_TRUE(nic_conflicts(moving(), host).empty());
}

TEST(NicConflicts, TheSameMacOnTheSameNetworkIsOneWhateverItsCase) {
  json host = json::array({other("twin", "default", {{"volatile.eth1.hwaddr", "00:16:3E:AA:BB:CC"}},
                                 {{"eth1", {{"type", "nic"}, {"network", "lxdbr0"}}}}, "Running")});
  auto found = nic_conflicts(moving(), host);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].what, "MAC address");
  EXPECT_EQ(found[0].device, "eth0");
  EXPECT_EQ(found[0].other, "twin");
  EXPECT_EQ(found[0].other_device, "eth1");
  EXPECT_EQ(found[0].network, "lxdbr0");
  EXPECT_TRUE(found[0].other_running);
}

TEST(NicConflicts, ADevicesOwnHwaddrAndStaticAddressesCountInAnyProject) {
  json host = json::array({other("twin", "p2", json::object(),
                                 {{"net", {{"type", "nic"}, {"parent", "lxdbr0"}, {"hwaddr", "00:16:3e:aa:bb:cc"},
                                           {"ipv4.address", "10.0.0.50"}}}})});
  auto found = nic_conflicts(moving(), host);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].what, "MAC address");
  EXPECT_EQ(found[1].what, "static IPv4 address");
  EXPECT_EQ(found[1].other_project, "p2");
}

TEST(NicConflicts, AnotherNetworkOrItsOwnCopyIsNone) {
  json devices = {{"eth0", {{"type", "nic"}, {"network", "lxdbr0"}, {"ipv4.address", "10.0.0.50"}}}};
  json config = {{"volatile.eth0.hwaddr", "00:16:3e:aa:bb:cc"}};
  json host = json::array({other("web", "default", config, devices),  // ferry's copy of an earlier move
                           other("elsewhere", "default", config,
                                 {{"eth0", {{"type", "nic"}, {"network", "br1"}, {"ipv4.address", "10.0.0.50"}}}})});
  EXPECT_TRUE(nic_conflicts(moving(), host).empty());
  // The same name in another project is another instance.
  json twin = json::array({other("web", "p2", config, devices)});
  EXPECT_EQ(nic_conflicts(moving(), twin).size(), 2u);
}

}  // namespace
}  // namespace ferry::core
