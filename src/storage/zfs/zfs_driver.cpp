#include "storage/zfs/zfs_driver.hpp"

#include <algorithm>
#include <cstdio>
#include <future>
#include <regex>
#include <sstream>

#include "exec/interrupt.hpp"
#include "exec/remote_guard.hpp"
#include "exec/shell_quote.hpp"
#include "exec/stream.hpp"
#include "storage/zfs/zfs_send_plan.hpp"
#include "util/units.hpp"

namespace ferry::storage::zfs {

namespace {

constexpr const char* kHoldTag = "ferry";

std::string parent_of(const std::string& ds) { return ds.substr(0, ds.rfind('/')); }

Result<bool> dataset_exists(const exec::Host& host, const std::string& ds) {
  auto r = host.probe({"zfs", "list", "-H", "-o", "name", ds});
  if (!r) return Unexpected{r.error()};
  return r->has_value();
}

// The snapshots of each of `datasets` (not of their children), oldest first.
std::vector<std::string> snapshot_list_argv(const std::vector<std::string>& datasets) {
  std::vector<std::string> argv = {"zfs", "list", "-H", "-p", "-t", "snapshot", "-o", "name,guid,createtxg",
                                   "-s", "createtxg", "-d", "1"};
  argv.insert(argv.end(), datasets.begin(), datasets.end());
  return argv;
}

// One round trip: a missing dataset is an answer (nullopt), not an error.
Result<std::optional<std::vector<SnapshotInfo>>> list_snapshots(const exec::Host& host, const std::string& ds) {
  auto argv = snapshot_list_argv({ds});
  auto done = host.run_raw(argv);
  if (!done) return Unexpected{done.error()};
  if (!done->status.ok()) {
    if (done->err.find("does not exist") != std::string::npos) return std::optional<std::vector<SnapshotInfo>>{};
    return fail(exec::command_error(host, argv, *done));
  }
  return std::optional<std::vector<SnapshotInfo>>{parse_snapshot_list(done->out)};
}

// The same for several datasets in one round trip (none: no command).
Result<SnapshotListings> list_snapshots_of(const exec::Host& host, const std::vector<std::string>& datasets) {
  if (datasets.empty()) return SnapshotListings{};
  auto argv = snapshot_list_argv(datasets);
  auto done = host.run_raw(argv);
  if (!done) return Unexpected{done.error()};
  auto listings = parse_snapshot_listings(datasets, done->out, done->err, done->status.ok());
  if (!listings) return fail(exec::command_error(host, argv, *done));
  return *listings;
}

Result<std::string> get_property(const exec::Host& host, const std::string& ds, const std::string& prop) {
  auto out = host.run({"zfs", "get", "-H", "-p", "-o", "value", prop, ds});
  if (!out) return Unexpected{out.error()};
  std::string v = *out;
  while (!v.empty() && (v.back() == '\n' || v.back() == ' ')) v.pop_back();
  return v;
}

// Send flags, chosen once from the dataset and the same for every stream of a move:
// -L large blocks, -e embedded, -c compressed as stored; raw (-w) for encrypted datasets.
std::vector<std::string> send_flags_for(const std::string& encryption) {
  if (encryption != "off" && encryption != "-") return {"-w"};
  return {"-L", "-e", "-c"};
}

Result<std::vector<std::string>> send_flags(const exec::Host& source, const std::string& ds) {
  auto enc = get_property(source, ds, "encryption");
  if (!enc) return Unexpected{enc.error()};
  return send_flags_for(*enc);
}

// Locally set properties that a plain (non -R/-p) stream does not carry and LXD relies on.
// Read without -p: "none" must stay "none" (as a number, 0, recv refuses it for quotas).
constexpr const char* kCarriedProperties =
    "mountpoint,quota,refquota,reservation,refreservation,recordsize,volmode,acltype,xattr,atime";

void add_carried(std::vector<std::string>& args, const std::string& property, const std::string& value) {
  args.insert(args.end(), {"-o", property + "=" + value});
}

Result<std::vector<std::string>> carried_properties(const exec::Host& source, const std::string& ds) {
  auto out = source.run({"zfs", "get", "-H", "-s", "local", "-o", "property,value", kCarriedProperties, ds});
  if (!out) return Unexpected{out.error()};
  std::vector<std::string> args;
  std::istringstream in(*out);
  std::string line;
  while (std::getline(in, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    add_carried(args, line.substr(0, tab), line.substr(tab + 1));
  }
  return args;
}

// Both of the above for several datasets in one round trip (those zfs cannot open: absent).
std::map<std::string, SourceFacts> source_facts_of(const exec::Host& source, const std::vector<std::string>& datasets) {
  if (datasets.empty()) return {};
  std::vector<std::string> argv = {"zfs", "get", "-H", "-o", "name,property,value,source",
                                   std::string("encryption,") + kCarriedProperties};
  argv.insert(argv.end(), datasets.begin(), datasets.end());
  auto done = source.run_raw(argv);
  if (!done) return {};
  return parse_source_facts(done->out);
}

std::vector<std::string> send_argv(const std::vector<std::string>& flags, const std::string& ds, const ZfsSend& s,
                                   bool progress) {
  std::vector<std::string> argv = {"zfs", "send"};
  if (progress) argv.insert(argv.end(), {"-v", "-P"});
  argv.insert(argv.end(), flags.begin(), flags.end());
  if (s.from) argv.insert(argv.end(), {"-I", "@" + *s.from});
  argv.push_back(ds + "@" + s.to);
  return argv;
}

std::vector<std::string> recv_argv(const std::string& ds, bool full, bool rollback,
                                   const std::vector<std::string>& props) {
  // -s: an interrupted stream leaves a resume token; -u: never mount on the target.
  std::vector<std::string> argv = {"zfs", "recv", "-s", "-u"};
  if (rollback) argv.push_back("-F");
  if (full) {
    argv.insert(argv.end(), {"-o", "canmount=noauto"});
    argv.insert(argv.end(), props.begin(), props.end());
  }
  argv.push_back(ds);
  return argv;
}

exec::StreamSpec throttled(const TransferContext& ctx, exec::StreamSpec spec) {
  if (!ctx.bwlimit.empty()) spec.throttle = {"pv", "-q", "-L", ctx.bwlimit};
  return spec;
}

Result<TransferStats> run_one(const TransferContext& ctx, exec::StreamSpec spec, const std::string& label,
                              uint64_t expected, exec::ArmedStream* armed = nullptr) {
  spec = throttled(ctx, std::move(spec));
  return run_transfer_stream(ctx, spec, label, expected, parse_send_progress,
                             "it resumes the stream from where it stopped", armed);
}

// The final increment's receiving end when ferry knows the base: only if the target's newest
// snapshot is that base, it rolls the dataset back to it (what the manager wrote since: its
// backup file; without -r, which a newer snapshot would need) and receives without -F, so that
// nothing that appears later can be rolled away. A resume token left makes recv refuse.
const char* kReceiveOntoBase =
    "last=$(zfs list -H -o name -t snapshot -s createtxg -d 1 \"$1\" | tail -n 1); "
    "[ \"$last\" = \"$1@$2\" ] || { echo \"ferry-recv-refused: the newest snapshot of $1 is ${last:-none}, not @$2\" >&2; exit 3; }; "
    "zfs rollback \"$1@$2\" || { echo \"ferry-recv-refused: cannot roll $1 back to @$2\" >&2; exit 3; }; "
    "echo ferry-recv-ready >&2; exec zfs recv -s -u \"$1\"";

std::vector<std::string> canmount_argv(const Volume& v) { return {"zfs", "set", "canmount=noauto", v.target_path}; }
std::vector<std::string> hold_argv(const std::string& snapshot) { return {"zfs", "hold", kHoldTag, snapshot}; }
std::vector<std::string> release_argv(const std::string& snapshot) { return {"zfs", "release", kHoldTag, snapshot}; }
std::vector<std::string> destroy_argv(const std::string& snapshot) { return {"zfs", "destroy", snapshot}; }

Status hold(const exec::Host& host, const std::string& snapshot) {
  auto done = host.run_raw(hold_argv(snapshot));
  if (!done) return Unexpected{done.error()};
  if (!done->status.ok() && done->err.find("tag already exists") == std::string::npos)
    return fail(exec::command_error(host, hold_argv(snapshot), *done));
  return {};
}

Status release_and_destroy(const exec::Host& host, const std::string& snapshot) {
  auto rel = host.run_raw(release_argv(snapshot));
  if (!rel) return Unexpected{rel.error()};
  auto out = host.run(destroy_argv(snapshot));
  if (!out) return Unexpected{out.error()};
  return {};
}

// What a partial receive's resume token says, read on the source: the snapshot it brings and the
// dry run's output (what is left, what the target holds).
struct TokenContents {
  std::optional<std::string> snapshot;  // "pool/ds@snap"
  std::string dry_run;                  // empty when the dry run failed
};
TokenContents read_token(const exec::Host& source, const std::string& token);

// Whether a resume token's stream is of one of this move's snapshots of the source dataset: the
// only partial receive ferry continues or discards.
bool token_is_this_moves(const TokenContents& t, const TransferContext& ctx, const Volume& v) {
  return t.snapshot && stream_is_this_moves(*t.snapshot, v.source_path, ctx.move_id);
}

Error not_this_moves_partial(const TransferContext& ctx, const Volume& v, const TokenContents& t) {
  return make_error(v.target_path + " holds a partial receive ferry cannot prove is this move's",
                    t.snapshot ? "its stream is of " + *t.snapshot : "its resume token names no snapshot ferry knows")
      .on(ctx.target->name())
      .with_hint("ferry leaves it alone: finish that receive, or discard it with `zfs recv -A " + v.target_path +
                 "` on the target if it is disposable, then run ferry again")
      .with_code(ExitCode::preflight);
}

}  // namespace

std::vector<SnapshotInfo> parse_snapshot_list(const std::string& text) {
  std::vector<SnapshotInfo> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, guid, txg;
    if (!std::getline(fields, name, '\t') || !std::getline(fields, guid, '\t') || !std::getline(fields, txg, '\t'))
      continue;
    auto at = name.find('@');
    if (at == std::string::npos) continue;
    out.push_back({name.substr(at + 1), guid, std::stoull(txg)});
  }
  return out;
}

std::optional<SnapshotListings> parse_snapshot_listings(const std::vector<std::string>& datasets, const std::string& out,
                                                        const std::string& err, bool ok) {
  SnapshotListings listings;
  for (auto& ds : datasets) listings[ds] = std::vector<SnapshotInfo>{};
  // zfs lists the datasets it can open and names each one it cannot on stderr; any other
  // complaint with a failed status is a failed listing.
  bool unexplained = false, any_missing = false;
  std::istringstream errors(err);
  std::string line;
  while (std::getline(errors, line)) {
    if (line.empty()) continue;
    auto it = std::find_if(datasets.begin(), datasets.end(), [&](auto& ds) {
      return line.find("'" + ds + "'") != std::string::npos && line.find("does not exist") != std::string::npos;
    });
    if (it != datasets.end()) listings[*it] = std::nullopt;
    any_missing = any_missing || it != datasets.end();
    unexplained = unexplained || it == datasets.end();
  }
  if (!ok && (unexplained || !any_missing)) return std::nullopt;
  // The lines are in creation order over all datasets: grouped, each dataset's stay in order.
  std::map<std::string, std::string> lines_of;
  std::istringstream in(out);
  while (std::getline(in, line))
    if (auto at = line.find('@'); at != std::string::npos) lines_of[line.substr(0, at)] += line + "\n";
  for (auto& [ds, text] : lines_of)
    if (auto it = listings.find(ds); it != listings.end() && it->second) it->second = parse_snapshot_list(text);
  return listings;
}

std::map<std::string, SourceFacts> parse_source_facts(const std::string& text) {
  std::map<std::string, SourceFacts> facts;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string name, property, value, source;
    if (!std::getline(fields, name, '\t') || !std::getline(fields, property, '\t') || !std::getline(fields, value, '\t'))
      continue;
    std::getline(fields, source, '\t');
    // The carried ones in the order zfs prints them, as carried_properties reads them.
    if (property == "encryption") facts[name].flags = send_flags_for(value);
    else if (source == "local") add_carried(facts[name].props, property, value);
  }
  std::erase_if(facts, [](auto& f) { return f.second.flags.empty(); });  // no encryption row: not read
  return facts;
}

std::optional<uint64_t> parse_send_progress(std::string_view line) {
  static const std::regex progress(R"(^\d\d:\d\d:\d\d\s+(\d+)\s)");
  std::match_results<std::string_view::const_iterator> m;
  if (std::regex_search(line.begin(), line.end(), m, progress)) return std::stoull(m[1].str());
  return std::nullopt;
}

std::optional<uint64_t> parse_send_size(const std::string& text) {
  static const std::regex size(R"((^|\n)size\s+(\d+))");
  std::smatch m;
  if (std::regex_search(text, m, size)) return std::stoull(m[2].str());
  return std::nullopt;
}

std::optional<uint64_t> parse_token_bytes(const std::string& text) {
  // `zfs send -n -v -t TOKEN` prints the token's nvlist, e.g. "\tbytes = 0x136c6e8".
  static const std::regex bytes(R"((^|\n)\s*bytes = (0x[0-9a-fA-F]+|\d+))");
  std::smatch m;
  if (std::regex_search(text, m, bytes)) return std::stoull(m[2].str(), nullptr, 0);
  return std::nullopt;
}

bool stream_is_this_moves(const std::string& snapshot, const std::string& source_dataset, const std::string& move_id) {
  std::string prefix = source_dataset + "@";
  return snapshot.rfind(prefix, 0) == 0 && is_move_snapshot(snapshot.substr(prefix.size()), move_id);
}

std::optional<std::string> parse_token_snapshot(const std::string& text) {
  static const std::regex toname(R"((^|\n)\s*toname = '?([^'\s]+))");
  std::smatch m;
  if (std::regex_search(text, m, toname)) return m[2].str();
  return std::nullopt;
}

namespace {
TokenContents read_token(const exec::Host& source, const std::string& token) {
  TokenContents t;
  auto dry = source.run_raw({"zfs", "send", "-n", "-v", "-P", "-t", token});
  if (!dry) return t;
  t.snapshot = parse_token_snapshot(dry->out + "\n" + dry->err);
  if (dry->status.ok()) t.dry_run = dry->out + "\n" + dry->err;
  return t;
}

// One `zfs snapshot` naming every dataset: atomic within a pool.
std::vector<std::string> snapshot_argv(const std::vector<Volume>& volumes, const std::string& snap) {
  std::vector<std::string> argv = {"zfs", "snapshot"};
  for (auto& v : volumes) argv.push_back(v.source_path + "@" + snap);
  return argv;
}
}  // namespace

void ZfsDriver::arm_snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes, const std::string& snap) {
  armed_commands_.arm(*ctx.source, snapshot_argv(volumes, snap));
}

Status ZfsDriver::snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes, const std::string& snap) {
  // Tried at once (it is on the outage's path: armed if it could be); only if it fails (a
  // rerun: some exist already) are the missing ones looked up.
  auto& host = *ctx.source;
  auto argv = snapshot_argv(volumes, snap);
  if (auto armed = armed_commands_.take(argv)) {
    auto fired = armed->fire(nullptr);
    if (fired && fired->ok()) return {};
    if (ctx.note)
      ctx.note("the final snapshot did not go at once (" +
               (fired ? exec::tail_lines(fired->output, 2) : fired.error().message()) + "); looking at what exists");
  } else if (auto first = host.run_raw(argv); first && first->status.ok()) {
    return {};
  }
  argv.resize(2);
  for (auto& v : volumes) {
    auto have = has_snapshot(host, v, snap, false);
    if (!have) return Unexpected{have.error()};
    if (!*have) argv.push_back(v.source_path + "@" + snap);
  }
  if (argv.size() == 2) return {};
  auto out = host.run(argv);
  if (!out) return Unexpected{out.error()};
  return {};
}

Result<SourceFacts> ZfsDriver::source_facts(const exec::Host& source, const std::string& ds) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = facts_.find(ds); it != facts_.end()) return it->second;
  }
  auto flags = send_flags(source, ds);
  if (!flags) return Unexpected{flags.error()};
  auto props = carried_properties(source, ds);
  if (!props) return Unexpected{props.error()};
  std::lock_guard lock(mutex_);
  return facts_[ds] = SourceFacts{*flags, *props};
}

Result<bool> ZfsDriver::has_snapshot(const exec::Host& host, const Volume& v, const std::string& snap, bool on_target) {
  return dataset_exists(host, (on_target ? v.target_path : v.source_path) + "@" + snap);
}

Result<TargetState> ZfsDriver::target_state(const TransferContext& ctx, const Volume& v) {
  auto tgt = list_snapshots(*ctx.target, v.target_path);
  if (!tgt) return Unexpected{tgt.error()};
  if (!*tgt) return TargetState::absent;
  auto token = get_property(*ctx.target, v.target_path, "receive_resume_token");
  if (!token) return Unexpected{token.error()};
  auto src = list_snapshots(*ctx.source, v.source_path);
  if (!src) return Unexpected{src.error()};
  for (auto& t : **tgt)
    for (auto& s : src->value_or(std::vector<SnapshotInfo>{}))
      if (s.guid == t.guid) return TargetState::ferry_copy;
  // An interrupted first stream: ferry's only if its token names this move's snapshot.
  if ((*tgt)->empty() && *token != "-" && token_is_this_moves(read_token(*ctx.source, *token), ctx, v))
    return TargetState::ferry_copy;
  return TargetState::foreign;
}

Result<uint64_t> ZfsDriver::estimate_bytes(const TransferContext& ctx, const Volume& v, const std::string& snap) {
  auto src = list_snapshots(*ctx.source, v.source_path);
  if (!src) return Unexpected{src.error()};
  if (!*src) return fail(make_error("dataset " + v.source_path + " does not exist").on(ctx.source->name()));
  auto tgt = list_snapshots(*ctx.target, v.target_path);
  if (!tgt) return Unexpected{tgt.error()};
  auto plan = plan_zfs_sends(**src, *tgt, snap, true);
  if (!plan) return Unexpected{plan.error()};
  auto flags = send_flags(*ctx.source, v.source_path);
  if (!flags) return Unexpected{flags.error()};
  uint64_t total = 0;
  for (auto& s : plan->sends) {
    auto argv = send_argv(*flags, v.source_path, s, false);
    argv.insert(argv.begin() + 2, {"-n", "-v", "-P"});
    auto out = ctx.source->run(argv);
    if (!out) return Unexpected{out.error()};
    total += parse_send_size(*out).value_or(0);
  }
  return total;
}

Result<uint64_t> ZfsDriver::used_bytes(const TransferContext& ctx, const Volume& v) {
  auto out = get_property(*ctx.source, v.source_path, "referenced");
  if (!out) return Unexpected{out.error()};
  try { return std::stoull(*out); } catch (...) { return estimate_bytes(ctx, v, ""); }
}

namespace {
std::string openzfs_version(const exec::Host& h) {
  auto out = h.run({"zfs", "version"});
  if (!out) return "";
  auto line = out->substr(0, out->find('\n'));
  return line.substr(line.find('-') + 1);
}
int major_minor(const std::string& v) {
  int a = 0, b = 0;
  std::sscanf(v.c_str(), "%d.%d", &a, &b);
  return a * 1000 + b;
}
}  // namespace

std::vector<StorageCheck> ZfsDriver::check_hosts(const TransferContext& ctx, const std::vector<Volume>& volumes) {
  using Level = StorageCheck::Level;
  std::string sv = openzfs_version(*ctx.source), tv = openzfs_version(*ctx.target);
  if (sv.empty() || tv.empty())
    return {{"zfs version", Level::fail, "cannot read `zfs version` on both hosts", "check that OpenZFS is installed"}};
  std::vector<StorageCheck> out;
  if (major_minor(tv) < major_minor(sv))
    out.push_back({"zfs version", Level::warn, "the target's OpenZFS (" + tv + ") is older than the source's (" + sv + ")",
                   "streams with -L -e -c need large_blocks and embedded_data on the target pool"});
  else out.push_back({"zfs version", Level::pass, "OpenZFS " + sv + " -> " + tv, ""});
  std::vector<std::string> checked;  // each target zpool once: a custom volume may live on another
  for (auto& v : volumes) {
    if (v.target_path.empty()) continue;
    std::string tpool = v.target_path.substr(0, v.target_path.find('/'));
    if (std::find(checked.begin(), checked.end(), tpool) != checked.end()) continue;
    checked.push_back(tpool);
    auto feats = ctx.target->run({"zpool", "get", "-H", "-o", "property,value", "feature@large_blocks,feature@embedded_data", tpool});
    if (!feats) out.push_back({"pool features", Level::fail, feats.error().what + (feats.error().detail.empty() ? "" : ": " + feats.error().detail), feats.error().hint});
    else if (feats->find("disabled") != std::string::npos)
      out.push_back({"pool features", Level::fail, "the target pool " + tpool + " lacks large_blocks or embedded_data (send flags -L -e)",
                     "enable them: zpool set feature@large_blocks=enabled feature@embedded_data=enabled " + tpool});
    else out.push_back({"pool features", Level::pass, "target pool " + tpool + " accepts -L -e -c streams", ""});
  }
  return out;
}

std::vector<std::string> ZfsDriver::describe_snapshot(const TransferContext& ctx, const std::vector<Volume>& volumes,
                                                      const std::string& snap) {
  return {exec::shown_command(*ctx.source, snapshot_argv(volumes, snap))};
}

void ZfsDriver::prepare_describe(const TransferContext& ctx, const std::vector<Volume>& volumes) {
  std::vector<std::string> source_datasets, target_datasets;
  for (auto& v : volumes) {
    if (!v.source_path.empty()) source_datasets.push_back(v.source_path);
    if (!v.target_path.empty()) target_datasets.push_back(v.target_path);
  }
  // All at once: each is a round trip to another host.
  auto source = std::async(std::launch::async, [&] { return list_snapshots_of(*ctx.source, source_datasets); });
  auto facts = std::async(std::launch::async, [&] { return source_facts_of(*ctx.source, source_datasets); });
  auto target = list_snapshots_of(*ctx.target, target_datasets);
  std::lock_guard lock(mutex_);
  described_.emplace(DescribePass{source.get(), std::move(target)});
  // What does not change during a move: into the cache source_facts answers from.
  facts_.merge(facts.get());
}

Result<std::optional<std::vector<SnapshotInfo>>> ZfsDriver::described_snapshots(const exec::Host& host, const std::string& ds,
                                                                                bool on_target) {
  {
    std::lock_guard lock(mutex_);
    if (described_) {
      auto& listed = on_target ? described_->target : described_->source;
      if (!listed) return Unexpected{listed.error()};
      if (auto it = listed->find(ds); it != listed->end()) return it->second;
    }
  }
  return list_snapshots(host, ds);  // no pass prepared, or a dataset it did not list
}

std::vector<std::string> ZfsDriver::describe_transfer(const TransferContext& ctx, const Volume& v,
                                                      const std::string& snap) {
  std::vector<std::string> lines;
  auto src = described_snapshots(*ctx.source, v.source_path, false);
  auto tgt = described_snapshots(*ctx.target, v.target_path, true);
  if (!src || !tgt || !*src) return {"(cannot list snapshots of " + v.source_path + ")"};
  auto facts = source_facts(*ctx.source, v.source_path);
  if (!facts) return {"(cannot list snapshots of " + v.source_path + ")"};
  // At plan time the target snapshot may not exist yet: describe the streams as they will run.
  auto source_list = **src;
  if (std::none_of(source_list.begin(), source_list.end(), [&](auto& s) { return s.name == snap; }))
    source_list.push_back({snap, "planned", UINT64_MAX});
  auto plan = plan_zfs_sends(source_list, *tgt, snap, true);
  if (!plan) return {"(" + plan.error().what + ")"};
  for (auto& s : plan->sends) {
    exec::StreamSpec spec;
    spec.send = send_argv(facts->flags, v.source_path, s, true);
    // -F only if the target changed since the common snapshot (the managers' own bookkeeping,
    // or what ferry may discard): the hosts say so when the stream runs.
    spec.recv = recv_argv(v.target_path, !s.from, false, facts->props);
    if (s.rollback && *tgt) spec.recv.insert(spec.recv.begin() + 4, "<-F, if the target changed since>");
    spec.target = ctx.target_from_source;
    spec = throttled(ctx, spec);
    lines.push_back(exec::shown_stream(*ctx.source, ctx.in_outage ? exec::shown_under_deadline(spec) : spec));
  }
  if (ctx.in_outage) return lines;
  for (const exec::Host* h : {ctx.source, ctx.target}) {
    const std::string& ds = h == ctx.source ? v.source_path : v.target_path;
    lines.push_back(exec::shown_command(*h, hold_argv(ds + "@" + snap)));
    lines.push_back(exec::shown_command(*h, release_argv(ds + "@<snapshot>"), "this move's older snapshots"));
  }
  return lines;
}

namespace {

// What the target says before anything is sent: its resume token ("-": none) and what was
// written since its last snapshot.
struct ReceiveState {
  std::string token = "-", written = "0";
};

// The target's state in one round trip (a missing dataset answers nothing: the defaults).
Result<ReceiveState> receive_state(const TransferContext& ctx, const Volume& v) {
  ReceiveState state;
  auto got = ctx.target->probe({"zfs", "get", "-H", "-p", "-o", "property,value", "receive_resume_token,written", v.target_path});
  if (!got) return Unexpected{got.error()};
  if (!*got) return state;
  std::istringstream in(**got);
  std::string prop, value;
  while (in >> prop >> value) (prop == "written" ? state.written : state.token) = value;
  return state;
}

// An interrupted stream goes first: resumed with its token, or discarded if the token is stale
// (then the caller sends that stream again). Empty stats: discarded.
Result<TransferStats> resume_interrupted(const TransferContext& ctx, const Volume& v, const std::string& token) {
  // The dry run of the resumed stream says whose it is (continued or discarded only if this
  // move's), what the target already has (the token's "bytes") and what is left ("size").
  auto contents = read_token(*ctx.source, token);
  if (!token_is_this_moves(contents, ctx, v)) return fail(not_this_moves_partial(ctx, v, contents));
  uint64_t left = parse_send_size(contents.dry_run).value_or(0);
  std::string have;
  if (auto b = parse_token_bytes(contents.dry_run)) have = " (" + util::format_bytes(*b) + " already on the target)";
  if (ctx.note) ctx.note("resuming the interrupted stream of " + v.role + " with zfs send -t" + have);
  exec::StreamSpec spec;
  spec.send = {"zfs", "send", "-v", "-P", "-t", token};
  spec.recv = {"zfs", "recv", "-s", "-u", v.target_path};
  auto r = run_one(ctx, spec, v.role + " (resumed)", left);
  if (r) {
    r->resumed = true;
    return r;
  }
  if (r.error().code == ExitCode::interrupted) return r;
  if (ctx.note)
    ctx.note("the resume token of " + v.role + " could not be used (" + r.error().detail +
             "); discarding the partial receive and sending that stream again");
  auto abort = ctx.target->run({"zfs", "recv", "-A", v.target_path});
  if (!abort) return Unexpected{abort.error()};
  return TransferStats{};
}

// The streams that bring the target from the snapshot both sides share up to `snap`, planned
// from both sides' snapshots, listed at the same time (each is a round trip to another host).
Result<ZfsSendPlan> plan_sends(const TransferContext& ctx, const Volume& v, const std::string& snap,
                               const std::string& written) {
  auto src_future = std::async(std::launch::async, [&] { return list_snapshots(*ctx.source, v.source_path); });
  auto tgt = list_snapshots(*ctx.target, v.target_path);
  auto src = src_future.get();
  if (!src) return Unexpected{src.error()};
  if (!*src) return fail(make_error("dataset " + v.source_path + " does not exist").on(ctx.source->name()));
  if (!tgt) return Unexpected{tgt.error()};
  bool changed = *tgt && written != "0";
  auto plan = plan_zfs_sends(**src, *tgt, snap, changed);
  if (!plan) return fail(plan.error().on(ctx.target->name()));
  return plan;
}

// One planned stream, with its size estimated first for the progress bar (the outage's small
// increment goes without: a round trip it cannot spare).
Result<TransferStats> send_one(const TransferContext& ctx, const Volume& v, const ZfsSend& s,
                               const std::vector<std::string>& flags, const std::vector<std::string>& props) {
  exec::StreamSpec spec;
  spec.send = send_argv(flags, v.source_path, s, true);
  spec.recv = recv_argv(v.target_path, !s.from, s.rollback, props);
  uint64_t expected = 0;
  if (!ctx.in_outage) {
    auto est_argv = send_argv(flags, v.source_path, s, false);
    est_argv.insert(est_argv.begin() + 2, {"-n", "-v", "-P"});
    if (auto est = ctx.source->run(est_argv)) expected = parse_send_size(*est).value_or(0);
  }
  return run_one(ctx, spec, v.role + " @" + s.to, expected);
}

// Holds the new common snapshot on both sides, so that nothing prunes the next increment's
// base, and releases the holds on this move's older snapshots.
Status hold_common_snapshot(const TransferContext& ctx, const Volume& v, const std::string& snap) {
  for (const exec::Host* h : {ctx.source, ctx.target}) {
    const std::string& ds = h == ctx.source ? v.source_path : v.target_path;
    FERRY_TRY(hold(*h, ds + "@" + snap));
    auto list = list_snapshots(*h, ds);
    if (!list) return Unexpected{list.error()};
    for (auto& s : list->value_or(std::vector<SnapshotInfo>{}))
      if (is_move_snapshot(s.name, ctx.move_id) && s.name != snap) (void)h->run_raw(release_argv(ds + "@" + s.name));
  }
  return {};
}

}  // namespace

Result<TransferStats> ZfsDriver::transfer(const TransferContext& ctx, const Volume& v, const std::string& snap,
                                          bool allow_rollback) {
  TransferStats total;
  auto facts = source_facts(*ctx.source, v.source_path);
  if (!facts) return Unexpected{facts.error()};

  // The outage's increment: one stream, no lookups first (each a round trip to a slow host).
  if (ctx.in_outage && allow_rollback && !ctx.known_base.empty() && ctx.known_base != snap) {
    auto r = final_increment(ctx, v, snap, *facts);
    // Past the outage's deadline there is nothing to look at again: its error is the one to say.
    if (r || r.error().code == ExitCode::interrupted || exec::deadline_passed()) return r;
    if (ctx.note) ctx.note("the final increment of " + v.role + " did not go through directly (" + r.error().message() +
                           "); looking at the target and sending again");
  }

  auto state = receive_state(ctx, v);
  if (!state) return Unexpected{state.error()};
  if (state->token != "-" && !state->token.empty()) {
    auto resumed = resume_interrupted(ctx, v, state->token);
    if (!resumed) return resumed;
    total.add(*resumed);
  }

  auto plan = plan_sends(ctx, v, snap, state->written);
  if (!plan) return Unexpected{plan.error()};
  for (auto& s : plan->sends) {
    if (s.rollback && !allow_rollback)
      return fail(make_error(v.target_path + " was changed on the target since the last sync")
                      .on(ctx.target->name())
                      .with_hint("ferry discards such changes only when it knows they are the manager's own"));
    auto r = send_one(ctx, v, s, facts->flags, facts->props);
    if (!r) return r;
    total.add(*r);
  }
  // After the final increment the cleanup step holds and releases, off the outage's path.
  if (ctx.in_outage) return total;
  FERRY_TRY(hold_common_snapshot(ctx, v, snap));
  return total;
}

namespace {
exec::StreamSpec final_increment_spec(const std::vector<std::string>& flags, const Volume& v, const std::string& base,
                                      const std::string& snap) {
  exec::StreamSpec spec;
  spec.send = send_argv(flags, v.source_path, ZfsSend{base, snap, true}, true);
  spec.recv = {"sh", "-c", kReceiveOntoBase, "ferry-recv", v.target_path, base};
  return spec;
}
}  // namespace

void ZfsDriver::arm_final_increment(const TransferContext& ctx, const Volume& v, const std::string& snap) {
  if (ctx.known_base.empty() || ctx.known_base == snap || !ctx.bwlimit.empty() || ctx.source->is_local()) return;
  // Armed from this thread, which lives on (a child dies with the thread that spawned it), and
  // ready before the outage begins: connections up, the target checked, zfs recv waiting.
  auto facts = source_facts(*ctx.source, v.source_path);
  if (!facts) return;
  auto spec = final_increment_spec(facts->flags, v, ctx.known_base, snap);
  spec.target = ctx.target_from_source;
  spec.recv_deadline = ctx.armed_recv_deadline;
  auto stream = exec::ArmedStream::arm(*ctx.source, spec, {"ferry-recv-ready", "ferry-recv-refused", std::chrono::seconds(20)});
  if (!stream) {
    if (ctx.note) ctx.note("the final increment of " + v.role + " could not be made ready (" + stream.error().message() +
                           "); it goes the usual way");
    return;
  }
  std::lock_guard lock(mutex_);
  armed_.insert_or_assign(v.target_path, ArmedIncrement{ctx.known_base, snap, std::move(*stream)});
}

std::vector<std::string> ZfsDriver::describe_armed(const TransferContext& ctx, const std::vector<Volume>& volumes,
                                                   const std::string& snap) {
  if (ctx.source->is_local()) return {};  // as arm_snapshot and arm_final_increment decide
  std::vector<std::string> lines = {exec::shown_armed(exec::shown_command(*ctx.source, snapshot_argv(volumes, snap),
                                                                          "\"go\" after the stop or freeze"))};
  if (!ctx.bwlimit.empty()) return lines;
  for (auto& v : volumes) {
    auto facts = source_facts(*ctx.source, v.source_path);
    if (!facts) continue;
    auto spec = final_increment_spec(facts->flags, v, "<last received>", snap);
    spec.target = ctx.target_from_source;
    spec.recv = exec::script_named(spec.recv, "receive onto the base: refused unless it is the newest snapshot");
    if (ctx.armed_recv_deadline.count() > 0)  // guarded as it will run, the guard's script named
      spec.recv = exec::script_named(exec::guarded(spec.recv, {ctx.armed_recv_deadline, /*end_on_hangup=*/false}), "guard");
    lines.push_back(exec::shown_armed(exec::shown_stream(*ctx.source, spec, "\"go\" after the final snapshot")));
  }
  return lines;
}

Result<TransferStats> ZfsDriver::final_increment(const TransferContext& ctx, const Volume& v, const std::string& snap,
                                                 const SourceFacts& facts) {
  auto spec = final_increment_spec(facts.flags, v, ctx.known_base, snap);
  std::optional<ArmedIncrement> armed;
  {
    std::lock_guard lock(mutex_);
    if (auto it = armed_.find(v.target_path); it != armed_.end()) {
      armed = std::move(it->second);
      armed_.erase(it);
    }
  }
  if (armed && armed->base == ctx.known_base && armed->snap == snap)
    return run_one(ctx, spec, v.role + " @" + snap, 0, &armed->stream);
  return run_one(ctx, spec, v.role + " @" + snap, 0);
}

std::vector<std::string> ZfsDriver::describe_activate(const TransferContext& ctx, const Volume& v, const std::string&) {
  if (ctx.in_outage) return {"(nothing: the full receive set canmount=noauto, and increments carry no properties)"};
  return {exec::shown_command(*ctx.target, canmount_argv(v), "only if canmount is not noauto")};
}

std::vector<std::string> ZfsDriver::describe_cleanup(const TransferContext& ctx, const Volume& v, const std::string& keep) {
  std::vector<std::string> lines;
  for (const exec::Host* h : {ctx.source, ctx.target}) {
    const std::string& ds = h == ctx.source ? v.source_path : v.target_path;
    if (!keep.empty()) lines.push_back(exec::shown_command(*h, hold_argv(ds + "@" + keep), "the base of a move back"));
    std::string which = "each of this move's snapshots" + std::string(ctx.earlier_move_id.empty() ? "" : " (and the earlier move's)") +
                        (keep.empty() ? "" : " but " + keep);
    lines.push_back(exec::shown_command(*h, release_argv(ds + "@<snapshot>"), which));
    lines.push_back(exec::shown_command(*h, destroy_argv(ds + "@<snapshot>"), which));
  }
  return lines;
}

Status ZfsDriver::activate_on_target(const TransferContext& ctx, const Volume& v, const std::string&) {
  // The received dataset must never be mounted by zfs itself: the manager mounts it. The full
  // receive set canmount=noauto and increments do not carry properties: checked outside the outage.
  if (ctx.in_outage) return {};
  auto canmount = get_property(*ctx.target, v.target_path, "canmount");
  if (!canmount) return Unexpected{canmount.error()};
  if (*canmount != "noauto") {
    auto out = ctx.target->run(canmount_argv(v));
    if (!out) return Unexpected{out.error()};
  }
  return {};
}

Status ZfsDriver::remove_ferry_snapshots(const TransferContext& ctx, const Volume& v, const std::string& keep) {
  // Both hosts, every snapshot, even after a failure: a hold left on the target would keep the
  // manager from deleting the copy (ferry abort). The first failure is reported at the end.
  Status first;
  auto note = [&](Status done) {
    if (!done && first) first = std::move(done);
  };
  for (const exec::Host* h : {ctx.source, ctx.target}) {
    const std::string& ds = h == ctx.source ? v.source_path : v.target_path;
    if (!keep.empty()) note(hold(*h, ds + "@" + keep));  // the base of a move back
    auto list = list_snapshots(*h, ds);
    if (!list) {
      note(Unexpected{list.error()});
      continue;
    }
    for (auto& s : list->value_or(std::vector<SnapshotInfo>{}))
      if (removable_move_snapshot(ctx, s.name) && s.name != keep) note(release_and_destroy(*h, ds + "@" + s.name));
  }
  return first;
}

Result<StorageDriver::Removal> ZfsDriver::remove_received(const TransferContext& ctx, const Volume& v) {
  auto tgt = list_snapshots(*ctx.target, v.target_path);
  if (!tgt) return Unexpected{tgt.error()};
  if (!*tgt) return Removal{};  // nothing received
  auto src = list_snapshots(*ctx.source, v.source_path);
  if (!src) return Unexpected{src.error()};
  auto token = get_property(*ctx.target, v.target_path, "receive_resume_token");
  if (!token) return Unexpected{token.error()};
  // Proof: a snapshot of this move with the source's GUID (it exists only since this move), or,
  // with no snapshot yet, a partial first stream of this move's. And nothing the source lacks.
  std::vector<SnapshotInfo> source_list = src->value_or(std::vector<SnapshotInfo>{});
  auto on_source = [&](const SnapshotInfo& t) {
    return std::any_of(source_list.begin(), source_list.end(), [&](auto& s) { return s.guid == t.guid && s.name == t.name; });
  };
  bool ours = std::any_of((*tgt)->begin(), (*tgt)->end(), [&](auto& t) { return is_move_snapshot(t.name, ctx.move_id) && on_source(t); });
  if (!ours && (*tgt)->empty() && *token != "-") ours = token_is_this_moves(read_token(*ctx.source, *token), ctx, v);
  if (!ours) return Removal{{}, {v.target_path + " (not proven this move's copy)"}};
  std::string strangers;
  for (auto& t : **tgt)
    if (!on_source(t)) strangers += (strangers.empty() ? "@" : ", @") + t.name;
  if (!strangers.empty()) return Removal{{}, {v.target_path + " (it has snapshots the source does not: " + strangers + ")"}};
  if (*token != "-") FERRY_TRY(ctx.target->run({"zfs", "recv", "-A", v.target_path}));
  for (auto& t : **tgt) {
    if (is_move_snapshot(t.name, ctx.move_id)) (void)ctx.target->run_raw(release_argv(v.target_path + "@" + t.name));
    FERRY_TRY(ctx.target->run({"zfs", "destroy", v.target_path + "@" + t.name}));
  }
  // No -r: a child dataset ferry did not send makes this fail rather than go with it.
  if (auto exists = dataset_exists(*ctx.target, v.target_path); exists && *exists)
    FERRY_TRY(ctx.target->run({"zfs", "destroy", v.target_path}));
  return Removal{{v.target_path}, {}};
}

Result<std::optional<std::string>> ZfsDriver::common_move_snapshot(const TransferContext& ctx, const Volume& v) {
  auto src = list_snapshots(*ctx.source, v.source_path);
  if (!src) return Unexpected{src.error()};
  auto tgt = list_snapshots(*ctx.target, v.target_path);
  if (!tgt) return Unexpected{tgt.error()};
  if (!*src || !*tgt) return std::optional<std::string>{};
  // Newest first: the same name and the same GUID on both hosts (the GUID is the proof).
  for (auto s = (*src)->rbegin(); s != (*src)->rend(); ++s) {
    std::string id = move_id_of_snapshot(s->name);
    if (id.empty() || id == ctx.move_id) continue;
    if (std::any_of((*tgt)->begin(), (*tgt)->end(), [&](auto& t) { return t.name == s->name && t.guid == s->guid; }))
      return std::optional<std::string>{s->name};
  }
  return std::optional<std::string>{};
}

Result<std::optional<uint64_t>> ZfsDriver::written_on_target_since(const TransferContext& ctx, const Volume& v,
                                                                   const std::string& snap) {
  auto written = get_property(*ctx.target, v.target_path, "written@" + snap);
  if (!written) return Unexpected{written.error()};
  try { return std::optional<uint64_t>{std::stoull(*written)}; } catch (...) { return std::optional<uint64_t>{}; }
}

Result<uint64_t> ZfsDriver::target_free_bytes(const TransferContext& ctx, const Volume& v) {
  auto avail = get_property(*ctx.target, parent_of(v.target_path), "available");
  if (!avail) return Unexpected{avail.error()};
  return std::stoull(*avail);
}

}  // namespace ferry::storage::zfs
