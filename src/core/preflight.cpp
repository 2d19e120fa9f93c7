#include "core/preflight.hpp"

#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "core/nic_conflicts.hpp"
#include "core/outage_steps.hpp"
#include "core/return_target.hpp"
#include "exec/stream.hpp"
#include "forward/port_forward.hpp"
#include "instance/id_map.hpp"
#include "util/units.hpp"

namespace ferry::core {

nlohmann::json findings_json(const std::vector<Finding>& findings) {
  nlohmann::json out = nlohmann::json::array();
  for (auto& f : findings) {
    nlohmann::json j = {{"check", f.check}, {"ok", f.ok}, {"message", f.message}};
    if (f.warning) j["warning"] = true;
    if (!f.hint.empty()) j["hint"] = f.hint;
    out.push_back(j);
  }
  return out;
}

namespace {

struct Checks {
  std::vector<Finding> findings;
  void pass(const std::string& check, const std::string& msg) { findings.push_back({check, true, false, msg, ""}); }
  void fail(const std::string& check, const std::string& msg, const std::string& hint) {
    findings.push_back({check, false, false, msg, hint});
  }
  void warn(const std::string& check, const std::string& msg, const std::string& hint) {
    findings.push_back({check, true, true, msg, hint});
  }
  void error(const std::string& check, const Error& e) { fail(check, e.what + (e.detail.empty() ? "" : ": " + e.detail), e.hint); }
};

// What each host needs, exactly as the README lists it: the storage's tool on both; on the
// source pv for --bwlimit and nft when ferry forwards the old address. The manager was found by
// its API already, and ssh from the source to the target has its own check.
void check_tools(MoveContext& ctx, Checks& c) {
  struct Need {
    const exec::Host* host;
    storage::Tool tool;
    std::string why;
  };
  auto store = ctx.driver->tool();
  std::string pool = "the " + ctx.driver->name() + " pool";
  std::vector<Need> needs = {{&ctx.source, store, pool}, {&ctx.target, store, pool}};
  if (!ctx.request.bwlimit.empty()) needs.push_back({&ctx.source, storage::bwlimit_tool(), "--bwlimit"});
  if (planned_forwarding(ctx))
    needs.push_back({&ctx.source, {forward::kTool, forward::kToolPackage}, "forwarding the old address (or --no-forward)"});
  for (auto& n : needs) {
    auto r = n.host->has_command(n.tool.command);
    if (!r) c.error("tools", r.error());
    else if (!*r) c.fail("tools", "`" + n.tool.command + "` is not installed on " + n.host->name() + " (for " + n.why + ")",
                         "install it there (Debian: apt install " + n.tool.package + ")");
  }
}

void check_source_reaches_target(MoveContext& ctx, Checks& c) {
  std::string dest = ctx.request.effective_target_from_source();
  auto hop = exec::source_to_target_ssh(dest);  // the streams' own connection, opened for them
  hop.push_back("true");
  auto r = ctx.source.run_raw(hop);
  if (!r) return c.error("source to target", r.error());
  if (r->status.ok()) return c.pass("source to target", ctx.source.name() + " reaches " + dest + " over ssh");
  c.fail("source to target",
         ctx.source.name() + " cannot ssh to " + dest + ": " + exec::tail_lines(r->err, 2),
         "data goes straight from source to target: on " + ctx.source.name() + ", as root, create a key (ssh-keygen), "
         "add it to " + dest + ":/root/.ssh/authorized_keys, and accept the host key once (ssh " + dest +
         " true); or name the target as the source reaches it with --target-from-source");
}

// Whether a static IPv4 address lies in a network's CIDR (textual, as LXD writes both).
bool address_in(const std::string& addr, const std::string& cidr) {
  auto slash = cidr.find('/');
  int bits = slash == std::string::npos ? 32 : std::atoi(cidr.c_str() + slash + 1);
  auto to_int = [](const std::string& ip) {
    unsigned a = 0, b = 0, cc = 0, dd = 0;
    std::sscanf(ip.c_str(), "%u.%u.%u.%u", &a, &b, &cc, &dd);
    return (a << 24) | (b << 16) | (cc << 8) | dd;
  };
  unsigned mask = bits <= 0 ? 0 : bits >= 32 ? ~0u : ~0u << (32 - bits);
  return (to_int(addr) & mask) == (to_int(cidr.substr(0, slash)) & mask);
}

void check_pools(MoveContext& ctx, Checks& c) {
  auto& tm = *ctx.target_manager;
  for (auto& pool : ctx.discovery.pools) {
    auto sp = ctx.source_manager->pool(pool);
    auto tp = tm.find_pool(pool);
    if (!sp || !tp) { c.error("target pool", !sp ? sp.error() : tp.error()); continue; }
    if (!*tp) c.fail("target pool", "storage pool '" + pool + "' does not exist on " + ctx.target.name(),
                     "create it there with the same name and driver (" + sp->driver + ")");
    else if ((*tp)->driver != sp->driver)
      c.fail("target pool", "pool '" + pool + "' is " + (*tp)->driver + " on the target but " + sp->driver + " on the source",
             "ferry needs the same driver on both sides");
    else c.pass("target pool", "pool '" + pool + "' (" + sp->driver + ") exists on both hosts");
  }
}

void check_profiles(MoveContext& ctx, Checks& c) {
  auto& tm = *ctx.target_manager;
  auto& inst = ctx.discovery.instance;
  for (auto& profile : inst.profiles) {
    auto p = tm.has_profile(profile);
    if (!p) c.error("profiles", p.error());
    else if (!*p) c.fail("profiles", "profile '" + profile + "' does not exist on " + ctx.target.name(),
                         "create it there with the same content: " + ctx.source_manager->client() + " profile show " +
                         profile + " on the source, then " + tm.client() + " profile create " + profile +
                         " and edit it on the target");
  }
  if (std::all_of(c.findings.begin(), c.findings.end(), [](auto& f) { return f.check != "profiles" || f.ok; }))
    c.pass("profiles", std::to_string(inst.profiles.size()) + " profile(s) exist on the target");
}

// Each NIC's network exists on the target, and a static IPv4 address lies in it.
void check_nic_network(MoveContext& ctx, Checks& c, const std::string& dev, const nlohmann::json& d) {
  auto& tm = *ctx.target_manager;
  std::string net = d.value("network", d.value("parent", ""));
  if (net.empty()) return;
  auto has = tm.has_network(net);
  if (!has) return c.error("networks", has.error());
  if (!*has)
    return c.fail("networks", "network '" + net + "' (NIC " + dev + ") does not exist on " + ctx.target.name(),
                  "create it there: " + tm.client() + " network create " + net);
  std::string addr = d.value("ipv4.address", "");
  if (addr.empty()) return c.pass("networks", "NIC " + dev + " fits network '" + net + "' on the target");
  auto n = tm.network(net);
  if (!n) return c.error("networks", n.error());
  std::string cidr = n->value("config", nlohmann::json::object()).value("ipv4.address", "");
  if (!address_in(addr, cidr))
    c.fail("networks", "NIC " + dev + " has the static address " + addr + ", outside network '" + net + "' (" + cidr +
                           ") on the target",
           "give the NIC an address in " + cidr + " (or remove ipv4.address) before the move");
  else c.pass("networks", "NIC " + dev + " (" + addr + ") fits " + net + " (" + cidr + ") on the target");
}

// What the instance needs of the target's manager: it answers, and has the project, pools,
// profiles and networks the instance uses.
void check_manager_objects(MoveContext& ctx, Checks& c) {
  auto& tm = *ctx.target_manager;
  auto avail = tm.available();
  if (!avail) return c.error("target manager", avail.error());
  if (!*avail)
    return c.fail("target manager", instance::to_string(tm.kind()) + " does not answer on " + ctx.target.name(),
                  "install and initialise it there (`" + tm.client() + " query /1.0` must work as root)");
  c.pass("target manager", instance::to_string(tm.kind()) + " answers on " + ctx.target.name());
  auto& inst = ctx.discovery.instance;
  if (inst.project != "default") {
    auto p = tm.has_project(inst.project);
    if (!p) c.error("project", p.error());
    else if (!*p) c.fail("project", "project '" + inst.project + "' does not exist on " + ctx.target.name(),
                         "create it there: " + tm.client() + " project create " + inst.project);
  }
  check_pools(ctx, c);
  check_profiles(ctx, c);
  for (auto& [dev, d] : inst.expanded_devices.items())
    if (d.value("type", "") == "nic") check_nic_network(ctx, c, dev, d);
}

// A MAC or static address of the instance's NICs that another instance on the target already
// has on the same network: the start there would break one of the two, after the outage began.
void check_nic_conflicts(MoveContext& ctx, Checks& c) {
  auto& inst = ctx.discovery.instance;
  auto& tm = *ctx.target_manager;
  auto others = tm.all_instances();
  if (!others) return c.error("addresses", others.error());
  auto conflicts = nic_conflicts(inst, *others);
  for (auto& k : conflicts) {
    std::string other = k.other_project == "default" ? k.other : k.other_project + "/" + k.other;
    std::string in_project = k.other_project == "default" ? "" : " --project " + k.other_project;
    bool mac = k.what == "MAC address";
    std::string key = mac ? "" : k.what == "static IPv4 address" ? "ipv4.address" : "ipv6.address";
    c.fail("addresses",
           "NIC " + k.device + "'s " + k.what + " " + k.value + " is already used on " + ctx.target.name() + " by instance '" +
               other + "' (NIC " + k.other_device + ", network " + k.network + (k.other_running ? ", running" : ", stopped") + ")",
           mac ? "give one of the two another MAC before the move: on " + ctx.target.name() + ", with '" + other + "' stopped, `" +
                     tm.client() + " config unset " + k.other + " volatile." + k.other_device + ".hwaddr" + in_project +
                     "` (it gets a new one at its start), or set another hwaddr on this instance's NIC " + k.device
               : "give one of the two NICs another " + key + " before the move (on the source: `" +
                     ctx.source_manager->client() + " config device set " + inst.name + " " + k.device + " " + key +
                     "=...`, or `device override` if the NIC comes from a profile)");
  }
  if (conflicts.empty())
    c.pass("addresses", "no MAC or static address of the instance's NICs is used on " + ctx.target.name());
}

// The target's copy, when the move does not continue one: none, or ferry's earlier copy of a
// move away from there (a move back onto it sends only the change), or something ferry leaves alone.
void check_target_instance(MoveContext& ctx, Checks& c) {
  auto copy = examine_target_copy(ctx);
  if (!copy) return c.error("target instance", copy.error());
  auto& name = ctx.discovery.instance.name;
  if (!copy->exists) return c.pass("target instance", "no instance named '" + name + "' on " + ctx.target.name());
  if (!copy->returning)
    return c.fail("target instance",
                  "an instance named '" + name + "' already exists on " + ctx.target.name() +
                      " and is not a copy ferry can move back onto: " + copy->not_returning,
                  copy->marked ? "it is ferry's earlier copy, but the chain to the source is broken: delete it there (`" +
                                     ctx.target_manager->client() + " delete " + name + "`), and the move copies everything afresh"
                               : "rename or delete it there, or move to another host");
  auto& r = *copy->returning;
  ctx.returning = r;
  std::string what = "the copy on " + ctx.target.name() + " is ferry's, left by move " + r.earlier_move_id + " to " + r.moved_to +
                     ": the move back sends only the change since @" + r.base;
  if (!r.started_since()) return c.pass("target instance", what);
  if (!ctx.request.discard_target_changes)
    return c.fail("target instance", started_since_message(ctx, r),
                  "the move back would discard what it wrote since: run again with --discard-target-changes to throw that "
                  "away, or delete the copy there to copy everything afresh");
  c.pass("target instance", what + "; what the copy wrote since it was started by hand is discarded (--discard-target-changes)");
}

void check_target_volumes(MoveContext& ctx, const PreflightOptions& opt, Checks& c) {
  auto t = ctx.transfer_context();
  if (!opt.continuing && !opt.imported) {
    check_target_instance(ctx, c);
    t = ctx.transfer_context();
  }
  bool returning = ctx.returning.has_value();
  for (auto& v : ctx.discovery.volumes) {
    if (v.target_path.empty()) continue;
    if (v.role != "instance" && !opt.imported && !returning) {
      auto has = ctx.target_manager->has_custom_volume(v.pool, v.custom_name());
      if (has && *has)
        c.fail("target volumes", "custom volume '" + v.custom_name() + "' already exists in pool '" + v.pool + "' on " + ctx.target.name(),
               "rename or delete it there");
    }
    auto state = ctx.driver->target_state(t, v);
    if (!state) { c.error("target volumes", state.error()); continue; }
    bool ours = *state == storage::TargetState::ferry_copy && (opt.continuing || returning);
    if (*state == storage::TargetState::ferry_copy && !ours)
      c.fail("target volumes", v.target_path + " on " + ctx.target.name() + " holds what an earlier ferry move of this instance "
                               "kept there (the base of a move back), but no copy there uses it",
             "remove it with `ferry cleanup` of that move (where its journal is), or delete it on the target; then run "
             "again: the move copies everything afresh");
    else if (*state == storage::TargetState::foreign)
      c.fail("target volumes", v.target_path + " already exists on " + ctx.target.name() + " and is not ferry's copy of this instance",
             "ferry never overwrites data it did not create: destroy it on the target if it is disposable, or choose another target");
    else if (returning && *state == storage::TargetState::absent)
      c.fail("target volumes", v.role + " of ferry's earlier copy is missing on " + ctx.target.name(),
             "delete the earlier copy there to copy everything afresh");
    else c.pass("target volumes", v.role + ": " + (*state == storage::TargetState::absent ? "absent on the target"
                                                   : returning && !opt.continuing ? "ferry's earlier copy, from @" + ctx.returning->base
                                                                                  : "ferry's copy, continuing"));
  }
}

void check_unknown_volumes(MoveContext& ctx, const PreflightOptions& opt, Checks& c) {
  if (opt.imported) return;
  auto scan = ctx.target_manager->recover_validate(ctx.discovery.pools);
  if (!scan) return c.error("recover scan", scan.error());
  std::vector<std::string> foreign;
  for (auto& u : scan->unknown) {
    bool ours = opt.continuing && u.project == ctx.discovery.instance.project &&
                ((u.type == "container" && u.name == ctx.discovery.instance.name) ||
                 (u.type == "custom" && ctx.discovery.volume("custom/" + u.name)));
    if (!ours) foreign.push_back(u.type + " '" + u.name + "' in pool '" + u.pool + "'");
  }
  if (foreign.empty()) return c.pass("recover scan", "no unknown volumes wait in the target's pools");
  std::string list = fmt::format("{}", fmt::join(foreign, ", "));
  c.fail("recover scan", "the target's pools hold volumes its manager does not know: " + list,
         "the manager's recover would import them along with this instance; import or remove them first (`" +
             ctx.target_manager->client() + " recover` on the target)");
}

// Room on the target for the seed copy, pool by pool: a custom volume on another pool needs
// room there, not in the root disk's pool.
void check_space(MoveContext& ctx, const PreflightOptions& opt, Checks& c) {
  if (opt.continuing || ctx.returning) return;  // the target has the copy: only increments follow
  auto t = ctx.transfer_context();
  std::vector<std::pair<const storage::Volume*, uint64_t>> pools;  // the first volume of each pool, its need
  for (auto& v : ctx.discovery.volumes) {
    if (v.target_path.empty()) continue;
    auto same = std::find_if(pools.begin(), pools.end(), [&](auto& p) { return p.first->pool == v.pool; });
    if (same == pools.end()) same = pools.insert(pools.end(), {&v, 0});
    // The seed copy carries the newest state; estimate from the instance's current data.
    if (auto bytes = ctx.driver->used_bytes(t, v)) same->second += *bytes;
  }
  for (auto& [v, need] : pools) {
    auto free_bytes = ctx.driver->target_free_bytes(t, *v);
    if (!free_bytes) return c.error("space", free_bytes.error());
    std::string in_pool = " in pool '" + v->pool + "'";
    if (*free_bytes < need + need / 10)
      c.fail("space", "the target has " + util::format_bytes(*free_bytes) + " free, the instance needs about " +
                          util::format_bytes(need) + " (+10%)" + in_pool,
             "free space in the target's pool '" + v->pool + "' or grow it");
    else c.pass("space", util::format_bytes(need) + " to copy, " + util::format_bytes(*free_bytes) + " free on the target" + in_pool);
  }
}

void check_storage_hosts(MoveContext& ctx, Checks& c) {
  for (auto& check : ctx.driver->check_hosts(ctx.transfer_context(), ctx.discovery.volumes)) {
    if (check.level == storage::StorageCheck::Level::pass) c.pass(check.name, check.message);
    else if (check.level == storage::StorageCheck::Level::warn) c.warn(check.name, check.message, check.hint);
    else c.fail(check.name, check.message, check.hint);
  }
}

// An unprivileged container's ids come from the ranges the host gives root: a target that gives
// fewer than the container uses cannot start it; other ranges remap every file at its first start.
void check_idmap(MoveContext& ctx, Checks& c) {
  auto read = [](const exec::Host& h) {
    auto out = instance::root_id_ranges(h);
    return out ? *out : instance::RootIdRanges{};
  };
  auto s = read(ctx.source), t = read(ctx.target);
  auto& inst = ctx.discovery.instance;
  auto need = instance::ids_needed(inst.config, inst.expanded_config);
  uint64_t uids = instance::largest_count(t.uids), gids = instance::largest_count(t.gids);
  if (need.uids > 0 && t.has_uids() && (uids < need.uids || gids < need.gids))
    return c.fail("id map",
                  fmt::format("'{}' needs {} uids and {} gids for its id map; {} gives root only {} and {} "
                              "(/etc/subuid, /etc/subgid): {} could not start it there",
                              inst.name, need.uids, need.gids, ctx.target.name(), uids, gids,
                              instance::to_string(ctx.target_manager->kind())),
                  fmt::format("give root at least {} ids in /etc/subuid and /etc/subgid on {} (e.g. root:1000000:1000000000) "
                              "and restart {} there, or lower security.idmap.size on the source",
                              std::max(need.uids, need.gids), ctx.target.name(), instance::to_string(ctx.target_manager->kind())));
  if (s.text == t.text) return c.pass("id map", "same subordinate id ranges for root on both hosts");
  std::string size;
  if (auto b = ctx.driver->estimate_bytes(ctx.transfer_context(), ctx.discovery.volumes.front(), ""); b)
    size = " (" + util::format_bytes(*b) + ")";
  c.warn("id map", "the hosts give root different subordinate id ranges: the first start on the target remaps every file" + size,
         "align /etc/subuid and /etc/subgid on the target with the source's to avoid that pause");
}

void check_not_moved(MoveContext& ctx, Checks& c) {
  auto moved = ctx.discovery.instance.config.value("user.ferry.moved-to", "");
  if (!moved.empty() && !ctx.discovery.instance.running())
    c.fail("source instance", "'" + ctx.discovery.instance.name + "' was already moved to " + moved,
           "the running copy is on " + moved + "; to move it back, run ferry there");
  else c.pass("source instance", "'" + ctx.discovery.instance.name + "' is " + ctx.discovery.instance.status + " on " + ctx.source.name());
}

}  // namespace

std::vector<Finding> run_preflight(MoveContext& ctx, const PreflightOptions& options) {
  Checks c;
  check_not_moved(ctx, c);
  check_tools(ctx, c);
  check_source_reaches_target(ctx, c);
  check_manager_objects(ctx, c);
  if (all_passed(c.findings)) {
    check_target_volumes(ctx, options, c);
    check_nic_conflicts(ctx, c);
    check_unknown_volumes(ctx, options, c);
    check_space(ctx, options, c);
    check_storage_hosts(ctx, c);
    check_idmap(ctx, c);
  }
  return c.findings;
}

bool all_passed(const std::vector<Finding>& findings) {
  return std::all_of(findings.begin(), findings.end(), [](auto& f) { return f.ok; });
}

Error preflight_failure(const std::vector<Finding>& findings) {
  std::vector<const Finding*> failed;
  for (auto& f : findings)
    if (!f.ok) failed.push_back(&f);
  Error e = make_error(failed.size() == 1 ? "preflight check failed: " + failed[0]->message
                                          : std::to_string(failed.size()) + " preflight checks failed");
  if (failed.size() == 1) e.hint = failed[0]->hint;
  else
    for (auto* f : failed) e.detail += "\n  - " + f->message + (f->hint.empty() ? "" : "\n    fix: " + f->hint);
  e.hint += (e.hint.empty() ? "" : "; ") + std::string("nothing was changed on either host");
  e.code = ExitCode::preflight;
  return e;
}

}  // namespace ferry::core
