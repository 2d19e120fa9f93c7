#include "storage/storage_driver.hpp"

#include <algorithm>
#include <cctype>

#include "storage/btrfs/btrfs_driver.hpp"
#include "storage/zfs/zfs_driver.hpp"

namespace ferry::storage {

std::string volume_path(const std::string&, const std::string& pool_root, const std::string& kind,
                        const std::string& volume_name) {
  // Both backends lay volumes out the same way below the pool's root: <root>/<kind>/<name>.
  return pool_root + "/" + kind + "/" + volume_name;
}

bool is_move_snapshot(const std::string& name, const std::string& move_id) {
  std::string prefix = "ferry-" + move_id + "-";
  if (move_id.empty() || name.size() <= prefix.size() || name.rfind(prefix, 0) != 0) return false;
  return std::all_of(name.begin() + prefix.size(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string move_id_of_snapshot(const std::string& name) {
  auto dash = name.rfind('-');
  if (name.rfind("ferry-", 0) != 0 || dash == std::string::npos || dash <= 6) return "";
  std::string id = name.substr(6, dash - 6);
  bool id_chars = std::all_of(id.begin(), id.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '-'; });
  return id_chars && is_move_snapshot(name, id) ? id : "";
}

bool removable_move_snapshot(const TransferContext& ctx, const std::string& name) {
  return is_move_snapshot(name, ctx.move_id) || is_move_snapshot(name, ctx.earlier_move_id);
}

std::unique_ptr<StorageDriver> make_driver(const std::string& driver) {
  if (driver == "zfs") return std::make_unique<zfs::ZfsDriver>();
  if (driver == "btrfs") return std::make_unique<btrfs::BtrfsDriver>();
  return nullptr;
}

Result<TransferStats> run_transfer_stream(const TransferContext& ctx, exec::StreamSpec spec, const std::string& label,
                                          uint64_t expected_bytes,
                                          const std::function<std::optional<uint64_t>(std::string_view)>& parse_bytes,
                                          const std::string& retry, exec::ArmedStream* armed, util::ProgressMeter* into,
                                          uint64_t offset) {
  spec.target = ctx.target_from_source;
  std::unique_ptr<util::ProgressMeter> own;
  if (!into) own = ctx.reporter->progress(label, expected_bytes);
  util::ProgressMeter& bar = into ? *into : *own;
  uint64_t bytes = 0;
  spec.on_line = [&](std::string_view line) {
    if (auto b = parse_bytes(line)) {
      bytes = *b;
      bar.update(offset + bytes);
    }
  };
  auto r = armed ? armed->fire(spec.on_line) : exec::run_stream(*ctx.source, spec);
  if (!r) return Unexpected{r.error()};
  if (!r->ok()) {
    Error e = make_error("the stream for " + label + " failed", exec::tail_lines(r->output, 6));
    e.command = exec::stream_command_line(spec);
    if (r->interrupted) e.code = ExitCode::interrupted;
    e.hint = "run the same ferry command again: " + retry;
    return fail(e.on(ctx.source->name()));
  }
  if (own) own->finish(std::max(bytes, expected_bytes));
  return TransferStats{std::max(bytes, expected_bytes), r->seconds, 1, false};
}

}  // namespace ferry::storage
