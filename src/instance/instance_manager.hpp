// The container manager on one host (LXD from Debian, or Incus), driven through its own client
// (`lxc` / `incus`) and its REST API via `<client> query`.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exec/host.hpp"
#include "exec/stream.hpp"
#include "instance/instance_info.hpp"
#include "util/error.hpp"

namespace ferry::instance {

enum class ManagerKind { lxd, incus };
std::string to_string(ManagerKind kind);
std::optional<ManagerKind> parse_manager_kind(const std::string& text);

class InstanceManager {
 public:
  InstanceManager(exec::Host host, ManagerKind kind, std::string project = "default");

  ManagerKind kind() const { return kind_; }
  const std::string& client() const { return client_; }
  const exec::Host& host() const { return host_; }
  const std::string& project() const { return project_; }

  // Whether the manager answers on this host at all.
  Result<bool> available() const;
  Result<std::optional<InstanceInfo>> instance(const std::string& name) const;
  // Whether this manager on the host has the instance; a manager that is not installed or does
  // not answer has none (an ssh failure is an error).
  Result<bool> has_instance(const std::string& name) const;
  Result<PoolInfo> pool(const std::string& name) const;
  Result<std::optional<PoolInfo>> find_pool(const std::string& name) const;
  Result<bool> has_profile(const std::string& name) const;
  Result<bool> has_network(const std::string& name) const;
  Result<bool> has_project(const std::string& name) const;
  Result<bool> has_custom_volume(const std::string& pool, const std::string& name) const;
  Result<nlohmann::json> network(const std::string& name) const;
  // Every instance on the host, in every project, with its config and expanded devices.
  Result<nlohmann::json> all_instances() const;
  // Where the manager mounts its pools (btrfs subvolumes live below <root>/<pool>/).
  Result<std::string> storage_root() const;
  // Where a pool's volumes live: its dataset (zfs), or its mount below storage_root() (btrfs).
  Result<std::string> pool_root(const PoolInfo& pool) const;

  // Whether the daemon still runs an operation on the instance (a start whose client was
  // stopped goes on in the daemon: its copy may be running a moment later).
  Result<bool> has_running_operation(const std::string& name) const;
  Status start(const std::string& name) const;
  // Clean stop within timeout_s; force kills.
  Status stop(const std::string& name, int timeout_s, bool force) const;
  // Freezes every task of the instance (crash-consistent snapshots).
  Status freeze(const std::string& name) const;
  // Make the client command of the next start(name) or freeze(name) ready ahead, on a remote
  // host: its session is up and waits, so that on the outage's path it costs the command alone.
  // Never fails (the command then runs the usual way); from the main thread, as the outage's
  // steps run (a child dies with the thread that spawned it).
  void arm_start(const std::string& name) const { arm(start_argv(name)); }
  void arm_freeze(const std::string& name) const { arm(freeze_argv(name)); }
  // The PID of the instance's init as its host sees it (0 when it does not run).
  Result<long> init_pid(const std::string& name) const;
  // Runs a command inside the instance; the Completed holds its exit status and output.
  Result<exec::Completed> exec_in(const std::string& name, const std::vector<std::string>& argv, int timeout_s) const;
  // A shell script run inside the instance (hooks, the trial's check).
  Result<exec::Completed> run_script_in(const std::string& name, const std::string& script, int timeout_s) const {
    return exec_in(name, {"sh", "-c", script}, timeout_s);
  }
  std::vector<std::string> script_in_argv(const std::string& name, const std::string& script) const {
    return exec_argv(name, {"sh", "-c", script});
  }
  // The trial's check when none is given: init reached its running state.
  static const char* init_up_check();
  Status set_config(const std::string& name, const std::string& key, const std::string& value) const;
  Status unset_config(const std::string& name, const std::string& key) const;
  // Deletes the instance (forced: stopped or not) and a custom volume, in this manager's project.
  Status delete_instance(const std::string& name) const;
  Status delete_custom_volume(const std::string& pool, const std::string& name) const;
  // Replaces the instance's config and devices (PUT), keeping the target's volatile keys.
  Status put_instance(const std::string& name, const nlohmann::json& body) const;

  Result<RecoverScan> recover_validate(const std::vector<std::string>& pools) const;
  Status recover_import(const std::vector<std::string>& pools) const;

  // The commands above as they run (and as --dry-run shows them): argument vectors in this
  // manager's project. Every state-changing command is built here, once.
  std::vector<std::string> query_argv(const std::string& path, const std::string& method = "GET",
                                      const std::string& body = {}) const;
  std::vector<std::string> start_argv(const std::string& name) const { return client_argv({"start", name}); }
  std::vector<std::string> stop_argv(const std::string& name, int timeout_s, bool force) const;
  std::vector<std::string> freeze_argv(const std::string& name) const { return client_argv({"pause", name}); }
  std::vector<std::string> exec_argv(const std::string& name, const std::vector<std::string>& argv) const;
  std::vector<std::string> set_config_argv(const std::string& name, const std::string& key, const std::string& value) const {
    return client_argv({"config", "set", name, key, value});
  }
  std::vector<std::string> unset_config_argv(const std::string& name, const std::string& key) const {
    return client_argv({"config", "unset", name, key});
  }
  std::vector<std::string> delete_instance_argv(const std::string& name) const { return client_argv({"delete", name, "--force"}); }
  std::vector<std::string> delete_custom_volume_argv(const std::string& pool, const std::string& name) const {
    return client_argv({"storage", "volume", "delete", pool, name});
  }
  std::vector<std::string> put_instance_argv(const std::string& name, const std::string& body) const {
    return query_argv(instance_path(name), "PUT", body);
  }
  // The instance's REST path in this manager's project.
  std::string instance_path(const std::string& name) const { return with_project("/1.0/instances/" + name); }
  // step: "validate" or "import".
  std::vector<std::string> recover_argv(const std::string& step, const std::vector<std::string>& pools) const;
  // Kills every task of the frozen instance whose init has host PID `pid` (crash mode's end of
  // the source); prints how many. Run on the host, not through the client.
  static std::vector<std::string> kill_frozen_tasks_argv(long pid);
  Result<std::string> kill_frozen_tasks(long pid) const;

 private:
  Result<nlohmann::json> query(const std::string& path, const std::string& method = "GET",
                               const std::string& body = {}) const;
  Result<std::optional<nlohmann::json>> query_optional(const std::string& path) const;
  std::string with_project(const std::string& path) const;
  std::vector<std::string> client_argv(std::vector<std::string> args) const;
  void arm(const std::vector<std::string>& argv) const;
  // `<client> ARGS... [--project P]` on the host: the armed session if there is one.
  Status run_client(const std::vector<std::string>& argv, const exec::RunOptions& options = {}) const;

  exec::Host host_;
  ManagerKind kind_;
  std::string client_;
  std::string project_;
  // Armed client commands (copies of this manager share them).
  std::shared_ptr<exec::ArmedCommands> armed_ = std::make_shared<exec::ArmedCommands>();
};

}  // namespace ferry::instance
