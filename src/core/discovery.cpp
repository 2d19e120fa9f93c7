#include "core/move_context.hpp"


namespace ferry::core {

std::vector<std::string> Discovery::roles() const {
  std::vector<std::string> out;
  for (auto& v : volumes) out.push_back(v.role);
  return out;
}

const storage::Volume* Discovery::volume(const std::string& role) const {
  for (auto& v : volumes)
    if (v.role == role) return &v;
  return nullptr;
}

storage::TransferContext MoveContext::transfer_context() const {
  storage::TransferContext t;
  t.source = &source;
  t.target = &target;
  t.target_from_source = request.effective_target_from_source();
  t.bwlimit = request.bwlimit;
  t.move_id = move_id;
  if (returning) t.earlier_move_id = returning->earlier_move_id;
  if (!json) t.reporter = reporter;
  t.note = [this](const std::string& text) { say(text); };
  return t;
}

// Above any progress on the terminal, not through it.
void MoveContext::say(const std::string& text) const { reporter->line("ferry: " + text); }

namespace {

Error preflight_error(std::string what, std::string hint, const std::string& host = {}) {
  Error e = make_error(std::move(what));
  e.hint = std::move(hint);
  e.host = host;
  e.code = ExitCode::preflight;
  return e;
}

// Which manager has the instance on the source (LXD or Incus), unless the user said.
Result<instance::ManagerKind> find_manager(const MoveContext& ctx) {
  if (ctx.request.manager != "auto") {
    auto k = instance::parse_manager_kind(ctx.request.manager);
    if (!k) return fail(preflight_error("unknown manager '" + ctx.request.manager + "'", "use --manager lxd or --manager incus").with_code(ExitCode::usage));
    return *k;
  }
  std::vector<instance::ManagerKind> found;
  for (auto kind : {instance::ManagerKind::lxd, instance::ManagerKind::incus}) {
    instance::InstanceManager m(ctx.source, kind, ctx.request.project);
    auto has = m.has_instance(ctx.request.instance);
    if (!has) return Unexpected{has.error()};
    if (*has) found.push_back(kind);
  }
  if (found.empty())
    return fail(preflight_error("instance '" + ctx.request.instance + "' does not exist on " + ctx.source.name(),
                                "check the name with `lxc list` or `incus list` on the source (project: " +
                                    ctx.request.project + ")",
                                ctx.source.name()));
  if (found.size() > 1)
    return fail(preflight_error("both LXD and Incus have an instance named '" + ctx.request.instance + "'",
                                "say which one with --manager lxd or --manager incus", ctx.source.name()));
  return found.front();
}

}  // namespace

Status discover(MoveContext& ctx) {
  FERRY_TRY(ctx.source.connect());
  FERRY_TRY(ctx.target.connect());
  auto kind = find_manager(ctx);
  if (!kind) return Unexpected{kind.error()};
  ctx.source_manager.emplace(ctx.source, *kind, ctx.request.project);
  ctx.target_manager.emplace(ctx.target, *kind, ctx.request.project);
  auto info = ctx.source_manager->instance(ctx.request.instance);
  if (!info) return Unexpected{info.error()};
  if (!*info)
    return fail(preflight_error("instance '" + ctx.request.instance + "' does not exist on " + ctx.source.name(),
                                "check the name with `" + ctx.source_manager->client() + " list`", ctx.source.name()));
  ctx.discovery = {};
  ctx.discovery.instance = **info;
  auto& inst = ctx.discovery.instance;
  if (inst.type != "container")
    return fail(preflight_error("instance '" + inst.name + "' is a " + inst.type + ": ferry moves containers only",
                                "move a virtual machine with `" + ctx.source_manager->client() +
                                    " move` between daemons that trust each other, or `" + ctx.source_manager->client() +
                                    " export` and `import`"));
  if (inst.root_pool.empty())
    return fail(preflight_error("instance '" + inst.name + "' has no root disk on a storage pool", "ferry moves instances whose root disk is on a pool"));

  auto add_volume = [&](const std::string& role, const std::string& pool_name, const std::string& kind_dir,
                        const std::string& disk_name) -> Status {
    auto src_pool = ctx.source_manager->pool(pool_name);
    if (!src_pool) return Unexpected{src_pool.error()};
    if (!ctx.discovery.driver.empty() && ctx.discovery.driver != src_pool->driver)
      return fail(preflight_error("the instance's volumes are on pools of different drivers (" + ctx.discovery.driver +
                                      ", " + src_pool->driver + ")",
                                  "ferry moves one driver at a time"));
    ctx.discovery.driver = src_pool->driver;
    auto src_root = ctx.source_manager->pool_root(*src_pool);
    if (!src_root) return Unexpected{src_root.error()};
    storage::Volume v;
    v.role = role;
    v.pool = pool_name;
    v.kind = kind_dir;
    v.volume_name = disk_name;
    v.source_path = storage::volume_path(src_pool->driver, *src_root, kind_dir, disk_name);
    // The target path needs the target's pool; preflight reports a missing one clearly.
    auto tgt_pool = ctx.target_manager->find_pool(pool_name);
    if (!tgt_pool) return Unexpected{tgt_pool.error()};
    if (*tgt_pool) {
      auto tgt_root = ctx.target_manager->pool_root(**tgt_pool);
      if (!tgt_root) return Unexpected{tgt_root.error()};
      v.target_path = storage::volume_path((*tgt_pool)->driver, *tgt_root, kind_dir, disk_name);
    }
    ctx.discovery.volumes.push_back(v);
    if (std::find(ctx.discovery.pools.begin(), ctx.discovery.pools.end(), pool_name) == ctx.discovery.pools.end())
      ctx.discovery.pools.push_back(pool_name);
    return {};
  };
  std::string prefix = inst.project == "default" ? "" : inst.project + "_";
  FERRY_TRY(add_volume("instance", inst.root_pool, "containers", prefix + inst.name));
  for (auto& vol : inst.volumes)
    FERRY_TRY(add_volume("custom/" + vol.name, vol.pool, "custom", inst.project + "_" + vol.name));
  ctx.driver = storage::make_driver(ctx.discovery.driver);
  if (!ctx.driver)
    return fail(preflight_error("the instance's pool uses the '" + ctx.discovery.driver + "' driver",
                                "ferry moves instances on zfs and btrfs pools"));
  return {};
}

}  // namespace ferry::core
