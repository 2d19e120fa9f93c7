#include "core/return_target.hpp"

#include "core/move_context.hpp"
#include "forward/port_forward.hpp"
#include "util/units.hpp"

namespace ferry::core {

using nlohmann::json;

json ReturnTarget::to_json() const {
  json j = {{"moved_to", moved_to}, {"moved_at", moved_at}, {"base", base}, {"earlier_move_id", earlier_move_id},
            {"last_used_at", last_used_at}, {"last_used_at_moved", last_used_at_moved}};
  if (written) j["written_since_base"] = *written;
  if (forwarding_left_ipv6) j["forwarding_left_ipv6"] = *forwarding_left_ipv6;
  return j;
}

ReturnTarget ReturnTarget::from_json(const json& j) {
  ReturnTarget r;
  if (!j.is_object()) return r;
  r.moved_to = j.value("moved_to", "");
  r.moved_at = j.value("moved_at", "");
  r.base = j.value("base", "");
  r.earlier_move_id = j.value("earlier_move_id", "");
  r.last_used_at = j.value("last_used_at", "");
  r.last_used_at_moved = j.value("last_used_at_moved", "");
  if (j.contains("written_since_base")) r.written = j["written_since_base"].get<uint64_t>();
  if (j.contains("forwarding_left_ipv6")) r.forwarding_left_ipv6 = j["forwarding_left_ipv6"].get<bool>();
  return r;
}

Result<TargetCopy> examine_target_copy(MoveContext& ctx) {
  TargetCopy out;
  auto& name = ctx.discovery.instance.name;
  auto copy = ctx.target_manager->instance(name);
  if (!copy) return Unexpected{copy.error()};
  if (!*copy) return out;
  out.exists = true;
  auto& config = (*copy)->config;
  ReturnTarget r;
  r.moved_to = config.value(kMovedToKey, "");
  r.moved_at = config.value(kMovedAtKey, "");
  r.last_used_at = (*copy)->last_used_at;
  r.last_used_at_moved = config.value(kMovedLastUsedKey, "");
  if (r.moved_to.empty()) {
    out.not_returning = "it carries no " + std::string(kMovedToKey) + " marker (ferry did not move it away from there)";
    return out;
  }
  out.marked = true;
  if ((*copy)->running()) {
    out.not_returning = "it is " + (*copy)->status + " there";
    return out;
  }
  if (r.last_used_at_moved.empty()) {
    out.not_returning = "its marker lacks " + std::string(kMovedLastUsedKey) + " (marked by an older ferry)";
    return out;
  }
  auto t = ctx.transfer_context();
  for (auto& v : ctx.discovery.volumes) {
    auto base = ctx.driver->common_move_snapshot(t, v);
    if (!base) return Unexpected{base.error()};
    if (!*base) {
      out.not_returning = "no snapshot of an earlier ferry move holds the same data on both hosts for " + v.role;
      return out;
    }
    if (!r.base.empty() && *base != r.base) {
      out.not_returning = "its volumes' newest common ferry snapshots differ (@" + r.base + ", @" + **base + ")";
      return out;
    }
    r.base = **base;
  }
  r.earlier_move_id = storage::move_id_of_snapshot(r.base);
  if (!ctx.discovery.volumes.empty()) {
    auto written = ctx.driver->written_on_target_since(t, ctx.discovery.volumes.front(), r.base);
    if (!written) return Unexpected{written.error()};
    r.written = *written;
  }
  auto left = forward::installed_family(ctx.target, forward::table_name(ctx.discovery.instance.project, name));
  if (!left) return Unexpected{left.error()};
  r.forwarding_left_ipv6 = *left;
  out.returning = r;
  return out;
}

std::string started_since_message(const MoveContext& ctx, const ReturnTarget& r) {
  std::string figures = "last used " + r.last_used_at + ", ferry stopped it when last used " + r.last_used_at_moved;
  if (r.written) figures += "; " + util::format_bytes(*r.written) + " written to it since @" + r.base;
  return "the copy of '" + ctx.discovery.instance.name + "' on " + ctx.target.name() + " was started since ferry moved it to " +
         r.moved_to + (r.moved_at.empty() ? "" : " at " + r.moved_at) + " (" + figures + ")";
}

}  // namespace ferry::core
