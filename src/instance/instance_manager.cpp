#include "instance/instance_manager.hpp"

#include <thread>

#include "exec/interrupt.hpp"
#include "exec/shell_quote.hpp"

namespace ferry::instance {

std::string to_string(ManagerKind kind) { return kind == ManagerKind::lxd ? "lxd" : "incus"; }

std::optional<ManagerKind> parse_manager_kind(const std::string& text) {
  if (text == "lxd") return ManagerKind::lxd;
  if (text == "incus") return ManagerKind::incus;
  return std::nullopt;
}

InstanceManager::InstanceManager(exec::Host host, ManagerKind kind, std::string project)
    : host_(std::move(host)), kind_(kind), client_(kind == ManagerKind::lxd ? "lxc" : "incus"),
      project_(std::move(project)) {}

namespace {
// A daemon that hangs must not hang ferry: every manager command has a limit (a deadline in
// force, the outage's, comes first). A recover scan of a large pool may take longer.
exec::RunOptions bounded(std::chrono::seconds limit = std::chrono::seconds(120)) {
  exec::RunOptions options;
  options.timeout = limit;
  return options;
}
std::chrono::seconds limit_for(const std::string& path) {
  return std::chrono::seconds(path.rfind("/internal/recover", 0) == 0 ? 600 : 120);
}
}  // namespace

std::string InstanceManager::with_project(const std::string& path) const {
  if (project_ == "default") return path;
  return path + (path.find('?') == std::string::npos ? "?" : "&") + "project=" + project_;
}

std::vector<std::string> InstanceManager::query_argv(const std::string& path, const std::string& method,
                                                     const std::string& body) const {
  std::vector<std::string> argv = {client_, "query", "-X", method};
  // A PUT (or POST, DELETE) may answer with an operation: wait for it, so that the next command
  // does not find the instance busy, and a rejected change is an error.
  if (method != "GET") argv.push_back("--wait");
  if (!body.empty()) argv.insert(argv.end(), {"--data", body});
  argv.push_back(path);
  return argv;
}

Result<bool> InstanceManager::has_running_operation(const std::string& name) const {
  auto ops = query(with_project("/1.0/operations?recursion=1"));
  if (!ops) return Unexpected{ops.error()};
  const std::string path = "/1.0/instances/" + name;
  for (const char* status : {"running", "pending"}) {
    if (!ops->is_object() || !ops->contains(status) || !(*ops)[status].is_array()) continue;
    for (auto& op : (*ops)[status]) {
      auto resources = op.value("resources", nlohmann::json::object());
      if (!resources.is_object() || !resources.contains("instances")) continue;
      for (auto& r : resources["instances"])
        if (r.is_string() && r.get<std::string>().substr(0, r.get<std::string>().find('?')) == path) return true;
    }
  }
  return false;
}

Result<nlohmann::json> InstanceManager::query(const std::string& path, const std::string& method,
                                              const std::string& body) const {
  auto out = host_.run(query_argv(path, method, body), bounded(limit_for(path)));
  if (!out) return Unexpected{out.error()};
  if (out->find_first_not_of(" \n") == std::string::npos) return nlohmann::json(nullptr);
  auto parsed = nlohmann::json::parse(*out, nullptr, false);
  if (parsed.is_discarded())
    return fail(make_error("unexpected answer from " + client_ + " query " + path, out->substr(0, 300)).on(host_.name()));
  return parsed;
}

Result<std::optional<nlohmann::json>> InstanceManager::query_optional(const std::string& path) const {
  auto done = host_.run_raw(query_argv(path), bounded());
  if (!done) return Unexpected{done.error()};
  if (!done->status.ok() || done->timed_out) {
    if (done->err.find("not found") != std::string::npos || done->err.find("Not Found") != std::string::npos)
      return std::optional<nlohmann::json>{};
    return fail(exec::command_error(host_, query_argv(path), *done));
  }
  auto parsed = nlohmann::json::parse(done->out, nullptr, false);
  if (parsed.is_discarded()) return fail(make_error("unexpected answer from " + client_ + " query " + path).on(host_.name()));
  return std::optional<nlohmann::json>{parsed};
}

Result<bool> InstanceManager::available() const {
  auto done = host_.run_raw({client_, "query", "/1.0"}, bounded());
  if (!done) return Unexpected{done.error()};
  if (!host_.is_local() && done->status.code == 255) return fail(exec::command_error(host_, {client_, "query", "/1.0"}, *done));
  return done->status.ok();
}

Result<bool> InstanceManager::has_instance(const std::string& name) const {
  auto probe = host_.probe(query_argv(instance_path(name)));
  if (!probe) return Unexpected{probe.error()};
  return probe->has_value();
}

Result<std::optional<InstanceInfo>> InstanceManager::instance(const std::string& name) const {
  auto j = query_optional(with_project("/1.0/instances/" + name));
  if (!j) return Unexpected{j.error()};
  if (!*j) return std::optional<InstanceInfo>{};
  InstanceInfo info = parse_instance(**j, project_);
  auto snaps = query(with_project("/1.0/instances/" + name + "/snapshots"));
  if (!snaps) return Unexpected{snaps.error()};
  for (auto& url : *snaps) {
    std::string u = url.get<std::string>();
    u = u.substr(0, u.find('?'));
    info.snapshots.push_back(u.substr(u.rfind('/') + 1));
  }
  return std::optional<InstanceInfo>{info};
}

Result<std::optional<PoolInfo>> InstanceManager::find_pool(const std::string& name) const {
  auto j = query_optional("/1.0/storage-pools/" + name);
  if (!j) return Unexpected{j.error()};
  if (!*j) return std::optional<PoolInfo>{};
  PoolInfo p;
  p.name = name;
  p.driver = (**j).value("driver", "");
  auto config = (**j).value("config", nlohmann::json::object());
  p.source = config.value("zfs.pool_name", config.value("source", ""));
  return std::optional<PoolInfo>{p};
}

Result<PoolInfo> InstanceManager::pool(const std::string& name) const {
  auto p = find_pool(name);
  if (!p) return Unexpected{p.error()};
  if (!*p) return fail(make_error("storage pool '" + name + "' does not exist in " + to_string(kind_)).on(host_.name()));
  return **p;
}

Result<bool> InstanceManager::has_profile(const std::string& name) const {
  auto j = query_optional(with_project("/1.0/profiles/" + name));
  if (!j) return Unexpected{j.error()};
  return j->has_value();
}

Result<bool> InstanceManager::has_network(const std::string& name) const {
  auto j = query_optional(with_project("/1.0/networks/" + name));
  if (!j) return Unexpected{j.error()};
  return j->has_value();
}

Result<nlohmann::json> InstanceManager::all_instances() const {
  return query("/1.0/instances?recursion=1&all-projects=true");
}

Result<nlohmann::json> InstanceManager::network(const std::string& name) const {
  return query(with_project("/1.0/networks/" + name));
}

Result<bool> InstanceManager::has_project(const std::string& name) const {
  auto j = query_optional("/1.0/projects/" + name);
  if (!j) return Unexpected{j.error()};
  return j->has_value();
}

Result<bool> InstanceManager::has_custom_volume(const std::string& pool, const std::string& name) const {
  auto j = query_optional(with_project("/1.0/storage-pools/" + pool + "/volumes/custom/" + name));
  if (!j) return Unexpected{j.error()};
  return j->has_value();
}

Result<std::string> InstanceManager::storage_root() const {
  // The snap keeps its state elsewhere; Debian's LXD and Incus use /var/lib.
  std::string dir = kind_ == ManagerKind::incus ? "/var/lib/incus" : "/var/lib/lxd";
  if (kind_ == ManagerKind::lxd) {
    auto snap = host_.probe({"test", "-S", "/var/snap/lxd/common/lxd/unix.socket"});
    if (!snap) return Unexpected{snap.error()};
    if (*snap) dir = "/var/snap/lxd/common/lxd";
  }
  return dir + "/storage-pools";
}

Result<std::string> InstanceManager::pool_root(const PoolInfo& pool) const {
  if (pool.driver == "zfs") return pool.source;
  auto root = storage_root();
  if (!root) return Unexpected{root.error()};
  return *root + "/" + pool.name;
}

std::vector<std::string> InstanceManager::client_argv(std::vector<std::string> args) const {
  args.insert(args.begin(), client_);
  if (project_ != "default") args.insert(args.end(), {"--project", project_});
  return args;
}

void InstanceManager::arm(const std::vector<std::string>& argv) const { armed_->arm(host_, argv); }

Status InstanceManager::run_client(const std::vector<std::string>& args, const exec::RunOptions& given) const {
  exec::RunOptions options = given;
  if (options.timeout.count() == 0) options.timeout = bounded().timeout;
  if (auto armed = armed_->take(args)) {
    // Failed (refused, or the session dropped): the usual way below, which knows the refusals
    // worth another try and says what went wrong. Timed out: it hangs (a freeze stuck in
    // FREEZING hung ferry for good, found by fault_matrix): the usual way would hang as long.
    auto fired = armed->fire(nullptr, options.timeout);
    if (fired && fired->ok()) return {};
    if (fired && fired->timed_out)
      return fail(make_error("`" + exec::shell_join(args) + "` did not finish within " +
                             std::to_string(options.timeout.count() / 1000) + " s", exec::tail_lines(fired->output, 4))
                      .on(host_.name()));
  }
  // Refused before anything changed, because the manager changed the instance meanwhile (its
  // own stop hook runs after the tasks were killed: "busy running a ... operation", or the
  // config moved under `config set`: "ETag doesn't match"). Tried again, 120 times at most.
  auto changed_meanwhile = [](const std::string& detail) {
    return detail.find("is busy running") != std::string::npos || detail.find("ETag doesn't match") != std::string::npos;
  };
  for (int attempt = 0;; ++attempt) {
    auto out = host_.run(args, options);
    if (out) return {};
    if (attempt >= 120 || !changed_meanwhile(out.error().detail) || exec::should_stop_waiting())
      return Unexpected{out.error()};
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
}

std::vector<std::string> InstanceManager::stop_argv(const std::string& name, int timeout_s, bool force) const {
  if (force) return client_argv({"stop", name, "--force"});
  return client_argv({"stop", name, "--timeout", std::to_string(timeout_s)});
}

Status InstanceManager::start(const std::string& name) const { return run_client(start_argv(name)); }

Status InstanceManager::stop(const std::string& name, int timeout_s, bool force) const {
  exec::RunOptions options;
  options.timeout = std::chrono::seconds(timeout_s + 30);
  return run_client(stop_argv(name, timeout_s, force), options);
}

Status InstanceManager::freeze(const std::string& name) const { return run_client(freeze_argv(name)); }

Status InstanceManager::delete_instance(const std::string& name) const { return run_client(delete_instance_argv(name)); }

Status InstanceManager::delete_custom_volume(const std::string& pool, const std::string& name) const {
  return run_client(delete_custom_volume_argv(pool, name));
}

Result<long> InstanceManager::init_pid(const std::string& name) const {
  auto j = query(with_project("/1.0/instances/" + name + "/state"));
  if (!j) return Unexpected{j.error()};
  return j->value("pid", 0L);
}

std::vector<std::string> InstanceManager::exec_argv(const std::string& name, const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {client_, "exec", name};
  if (project_ != "default") full.insert(full.end(), {"--project", project_});
  full.push_back("--");
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

Result<exec::Completed> InstanceManager::exec_in(const std::string& name, const std::vector<std::string>& argv,
                                                 int timeout_s) const {
  exec::RunOptions options;
  options.timeout = std::chrono::seconds(timeout_s);
  return host_.run_raw(exec_argv(name, argv), options);
}

Status InstanceManager::set_config(const std::string& name, const std::string& key, const std::string& value) const {
  return run_client(set_config_argv(name, key, value));
}

Status InstanceManager::unset_config(const std::string& name, const std::string& key) const {
  return run_client(unset_config_argv(name, key));
}

Status InstanceManager::put_instance(const std::string& name, const nlohmann::json& body) const {
  auto out = query(with_project("/1.0/instances/" + name), "PUT", body.dump());
  if (!out) return Unexpected{out.error()};
  return {};
}

namespace {
// Every task in the PID namespace of the instance's init, SIGKILLed while frozen. A task with a
// pending SIGKILL never returns to user space, so when the instance is thawed (cgroup v1 freezes
// until then) they all die without running again: nothing acknowledges a write the snapshot lacks.
// One find and one kill, whatever the number of processes (a loop forking per process took
// 25-40 s on a slow host). The namespace is compared as a string (it holds brackets).
const char* kKillFrozenTasks =
    "ns=$(readlink /proc/$1/ns/pid) || exit 0; "
    "pids=$(find /proc -mindepth 3 -maxdepth 3 -path '/proc/[0-9]*/ns/pid' -printf '%l %h\\n' 2>/dev/null | "
    "awk -v ns=\"$ns\" '$1 == ns { split($2, p, \"/\"); print p[3] }'); "
    "[ -z \"$pids\" ] || kill -KILL $pids 2>/dev/null; echo $pids | wc -w";
}  // namespace

// systemd's own verdict where there is systemd, else that a command runs at all.
const char* InstanceManager::init_up_check() {
  return "if command -v systemctl >/dev/null 2>&1; then "
         "s=$(systemctl is-system-running --wait 2>/dev/null); [ \"$s\" = running ] || [ \"$s\" = degraded ]; fi";
}

std::vector<std::string> InstanceManager::kill_frozen_tasks_argv(long pid) {
  return {"sh", "-c", kKillFrozenTasks, "sh", std::to_string(pid)};
}

Result<std::string> InstanceManager::kill_frozen_tasks(long pid) const {
  auto killed = host_.run(kill_frozen_tasks_argv(pid));
  if (!killed) return Unexpected{killed.error()};
  std::string count = *killed;
  while (!count.empty() && count.back() == '\n') count.pop_back();
  return count;
}

namespace {
std::string recover_body(const std::vector<std::string>& pools) {
  nlohmann::json body = {{"pools", nlohmann::json::array()}};
  for (auto& p : pools) body["pools"].push_back({{"name", p}});
  return body.dump();
}
}  // namespace

std::vector<std::string> InstanceManager::recover_argv(const std::string& step, const std::vector<std::string>& pools) const {
  return query_argv("/internal/recover/" + step, "POST", recover_body(pools));
}

Result<RecoverScan> InstanceManager::recover_validate(const std::vector<std::string>& pools) const {
  auto j = query("/internal/recover/validate", "POST", recover_body(pools));
  if (!j) return Unexpected{j.error()};
  return parse_recover_scan(*j);
}

Status InstanceManager::recover_import(const std::vector<std::string>& pools) const {
  auto j = query("/internal/recover/import", "POST", recover_body(pools));
  if (!j) return Unexpected{j.error()};
  return {};
}

}  // namespace ferry::instance
