#include "dns/powerdns_provider.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ferry::dns {

Result<std::vector<RecordSet>> parse_pdns_zone(const nlohmann::json& zone, const std::vector<RRsetKey>& keys) {
  std::vector<RecordSet> out;
  try {
    for (const auto& rrset : zone.at("rrsets")) {
      const std::string name = rrset.at("name").get<std::string>();
      auto type = parse_record_type(rrset.at("type").get<std::string>());
      if (!type) continue;
      std::string lname = name;
      std::transform(lname.begin(), lname.end(), lname.begin(), ::tolower);
      RRsetKey key{lname, *type};
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
      std::vector<std::string> addresses;
      for (const auto& record : rrset.at("records")) {
        if (record.value("disabled", false)) continue;
        addresses.push_back(record.at("content").get<std::string>());
      }
      if (addresses.empty()) continue;
      auto set = make_record_set(lname, *type, rrset.at("ttl").get<std::uint32_t>(), addresses);
      if (!set) return fail(set.error());
      out.push_back(*set);
    }
  } catch (const std::exception& e) {
    return fail(make_error("the PowerDNS API sent a zone ferry cannot read", e.what()));
  }
  std::sort(out.begin(), out.end(), [](const RecordSet& a, const RecordSet& b) { return key_of(a) < key_of(b); });
  return out;
}

nlohmann::json pdns_patch_body(const ChangeSet& change) {
  nlohmann::json rrsets = nlohmann::json::array();
  for (const auto& c : change.changes) {
    nlohmann::json entry{{"name", c.key.name}, {"type", to_string(c.key.type)}};
    if (c.after && !c.after->addresses.empty()) {
      entry["changetype"] = "REPLACE";
      entry["ttl"] = c.after->ttl;
      entry["records"] = nlohmann::json::array();
      for (const auto& a : c.after->addresses) entry["records"].push_back({{"content", a}, {"disabled", false}});
    } else {
      entry["changetype"] = "DELETE";
    }
    rrsets.push_back(entry);
  }
  return nlohmann::json{{"rrsets", rrsets}};
}

Result<std::string> load_api_key(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return fail(make_error(fmt::format("cannot read the PowerDNS API key file {}", path), std::strerror(errno))
                    .with_code(ExitCode::usage));
  std::string key;
  std::getline(in, key);
  key.erase(0, key.find_first_not_of(" \t\r"));
  key.erase(key.find_last_not_of(" \t\r") + 1);
  if (key.empty())
    return fail(make_error(fmt::format("the PowerDNS API key file {} is empty", path)).with_code(ExitCode::usage));
  return key;
}

PowerDnsProvider::PowerDnsProvider(std::string api_url, std::string server_id, std::string zone, std::string api_key,
                                   double timeout_seconds)
    : api_url_(std::move(api_url)),
      server_id_(std::move(server_id)),
      zone_(std::move(zone)),
      api_key_(std::move(api_key)),
      timeout_(timeout_seconds) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string PowerDnsProvider::zone_url() const {
  return fmt::format("{}/api/v1/servers/{}/zones/{}", api_url_, server_id_, zone_);
}

namespace {
std::size_t collect(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}
}  // namespace

Result<PowerDnsProvider::Response> PowerDnsProvider::request(const std::string& method, const std::string& body) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail(make_error("cannot initialise libcurl"));
  const std::string url = zone_url();
  const std::string key_header = "X-API-Key: " + api_key_;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, key_header.c_str());
  headers = curl_slist_append(headers, "Accept: application/json");
  if (!body.empty()) headers = curl_slist_append(headers, "Content-Type: application/json");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers, curl_slist_free_all);
  Response response;
  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ * 1000));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  if (!body.empty()) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK) {
    Error e = make_error(fmt::format("cannot reach the PowerDNS API at {}", api_url_),
                         error_buffer[0] ? error_buffer : curl_easy_strerror(rc));
    e.host = api_url_;
    e.hint = rc == CURLE_OPERATION_TIMEDOUT ? "the API did not answer in time; check that pdns_server runs"
                                            : "check --api-url and that the PowerDNS webserver and API are enabled";
    return fail(std::move(e));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

Error PowerDnsProvider::http_error(const std::string& action, const Response& response) const {
  std::string message;
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (!parsed.is_discarded() && parsed.is_object() && parsed.contains("error"))
    message = parsed["error"].is_string() ? parsed["error"].get<std::string>() : parsed["error"].dump();
  else
    message = response.body.substr(0, 300);
  Error e = make_error(fmt::format("the PowerDNS API at {} refused to {} (HTTP {})", api_url_, action, response.status),
                       message + "; nothing was changed");
  e.host = api_url_;
  if (response.status == 401 || response.status == 403)
    e.hint = "the API key is wrong: check the API key file against the server's api-key setting";
  else if (response.status == 404)
    e.hint = fmt::format("PowerDNS has no zone {} (or no server '{}'); check --zone and --pdns-server-id", zone_,
                         server_id_);
  else
    e.hint = "see the message above and the PowerDNS log";
  return e;
}

Result<std::vector<RecordSet>> PowerDnsProvider::current_records(const std::vector<RRsetKey>& keys) {
  auto response = request("GET", "");
  if (!response) return fail(response.error());
  if (response->status != 200) return fail(http_error("read zone " + zone_, *response));
  auto zone = nlohmann::json::parse(response->body, nullptr, false);
  if (zone.is_discarded()) return fail(make_error("the PowerDNS API sent something that is not JSON").on(api_url_));
  return parse_pdns_zone(zone, keys);
}

Status PowerDnsProvider::check_zone(const std::string&) {
  auto zone = current_records({});
  if (!zone) return fail(zone.error());
  return {};
}

Status PowerDnsProvider::apply(const ChangeSet& change) {
  if (change.empty()) return {};
  // The compare of the compare-and-swap, right before the swap.
  auto current = current_records(change.keys());
  if (!current) return fail(current.error());
  std::vector<Difference> differences;
  if (progress_of(change, *current, &differences) != ChangeProgress::before)
    return fail(conflict_error(zone_url(), differences));
  auto response = request("PATCH", pdns_patch_body(change).dump());
  if (!response) {
    Error e = response.error();
    e.detail += "; the change may or may not have been applied";
    return fail(std::move(e));
  }
  if (response->status != 204 && response->status != 200)
    return fail(http_error("change zone " + zone_, *response));
  return {};
}

std::string PowerDnsProvider::describe(const ChangeSet& change) const {
  return fmt::format("PATCH {}\nX-API-Key: (from the API key file; not shown)\nContent-Type: application/json\n\n{}\n",
                     zone_url(), pdns_patch_body(change).dump(2));
}

}  // namespace ferry::dns
