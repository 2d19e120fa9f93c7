#include "dns/tsig_key.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace ferry::dns {

namespace {

Unexpected key_error(const std::string& origin, const std::string& why) {
  return fail(make_error(fmt::format("cannot use the TSIG key file {}", origin), why)
                  .with_hint("write it as tsig-keygen does (key \"NAME\" { algorithm hmac-sha256; "
                             "secret \"...\"; };) or as NAME:SECRET")
                  .with_code(ExitCode::usage));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Whether a word of the file may be quoted in an error: it looks like a keyword or an algorithm
// name, never like a secret (a base64 secret of 16 bytes or more has 24 characters or more, and
// its letters are of both cases). Anything else is described, not shown.
bool shown_safely(const std::string& word) {
  return !word.empty() && word.size() <= 20 && std::all_of(word.begin(), word.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '-' || c == '.';
  });
}

std::string quoted_or_described(const std::string& word) {
  return shown_safely(word) ? "'" + word + "'" : "(not shown: it could be the secret)";
}

// Canonical algorithm name, or empty with `why` set.
std::string canonical_algorithm(std::string text, std::string& why) {
  std::string given = text;
  text = lower(text);
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "hmac-md5.sig-alg.reg.int") text = "hmac-md5";
  static const char* supported[] = {"hmac-md5", "hmac-sha1", "hmac-sha256", "hmac-sha512"};
  for (const char* s : supported)
    if (text == s) return text;
  if (text == "hmac-sha224" || text == "hmac-sha384") {
    why = "algorithm " + text + " is not supported by ferry's DNS library (ldns 1.8); use hmac-sha256";
  } else {
    why = "unknown algorithm " + quoted_or_described(given) + " (hmac-sha256, hmac-sha512, hmac-sha1 or hmac-md5)";
  }
  return {};
}

bool valid_base64(const std::string& s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  std::size_t pad = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '=') {
      ++pad;
      continue;
    }
    if (pad > 0) return false;  // '=' only at the end
    if (!(std::isalnum(c) || c == '+' || c == '/')) return false;
  }
  return pad <= 2;
}

std::string absolute(std::string name) {
  name = lower(name);
  if (!name.empty() && name.back() != '.') name += '.';
  return name;
}

bool valid_key_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// Strips comments (#, //, /* */) outside quotes, and splits into tokens: words, quoted
// strings (kept with their quotes), and the punctuation { } ;.
std::vector<std::string> tokenize(const std::string& text, std::string& why) {
  std::vector<std::string> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#' || (c == '/' && i + 1 < text.size() && text[i + 1] == '/')) {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      auto end = text.find("*/", i + 2);
      if (end == std::string::npos) {
        why = "unterminated /* comment";
        return {};
      }
      i = end + 2;
    } else if (c == '"') {
      auto end = text.find('"', i + 1);
      if (end == std::string::npos) {
        why = "unterminated quoted string";
        return {};
      }
      tokens.push_back(text.substr(i, end - i + 1));
      i = end + 1;
    } else if (c == '{' || c == '}' || c == ';') {
      tokens.emplace_back(1, c);
      ++i;
    } else {
      std::size_t start = i;
      while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i])) && text[i] != '{' &&
             text[i] != '}' && text[i] != ';' && text[i] != '"')
        ++i;
      tokens.push_back(text.substr(start, i - start));
    }
  }
  return tokens;
}

std::string unquote(const std::string& token) {
  if (token.size() >= 2 && token.front() == '"' && token.back() == '"')
    return token.substr(1, token.size() - 2);
  return token;
}

Result<TsigKey> parse_bind_format(const std::string& text, const std::string& origin) {
  std::string why;
  auto tokens = tokenize(text, why);
  if (!why.empty()) return key_error(origin, why);
  std::size_t i = 0;
  auto expect = [&](const char* what) {
    if (i < tokens.size() && tokens[i] == what) {
      ++i;
      return true;
    }
    return false;
  };
  if (!expect("key")) return key_error(origin, "it does not start with 'key'");
  if (i >= tokens.size()) return key_error(origin, "no key name after 'key'");
  std::string name = unquote(tokens[i++]);
  if (!expect("{")) return key_error(origin, "expected '{' after the key name");
  std::string algorithm, secret;
  bool have_algorithm = false, have_secret = false;
  while (i < tokens.size() && tokens[i] != "}") {
    std::string given = tokens[i++];
    std::string clause = lower(given);
    // A secret written without its `secret` keyword sits where a clause name belongs.
    std::string named = shown_safely(given) ? "the key clause '" + given + "'" : "a key clause whose name is not a word (a missing `secret` keyword?)";
    if (i >= tokens.size()) return key_error(origin, named + " has no value");
    std::string value = unquote(tokens[i++]);
    if (!expect(";")) return key_error(origin, "expected ';' after " + named);
    if (clause == "algorithm") {
      algorithm = value;
      have_algorithm = true;
    } else if (clause == "secret") {
      secret = value;
      have_secret = true;
    } else {
      return key_error(origin, shown_safely(given) ? "unknown clause '" + given + "' in the key statement"
                                                   : named + " in the key statement");
    }
  }
  if (!expect("}")) return key_error(origin, "the key statement has no closing '}'");
  expect(";");
  if (i != tokens.size())
    return key_error(origin, "more than one statement; put exactly one key in the file");
  if (!have_algorithm) return key_error(origin, "the key has no algorithm clause");
  if (!have_secret) return key_error(origin, "the key has no secret clause");
  std::string canonical = canonical_algorithm(algorithm, why);
  if (canonical.empty()) return key_error(origin, why);
  if (!valid_key_name(name)) return key_error(origin, "the key name is not a valid domain name");
  if (!valid_base64(secret)) return key_error(origin, "the secret is not valid base64");
  return TsigKey(absolute(name), canonical, secret);
}

Result<TsigKey> parse_short_format(const std::string& line, const std::string& origin) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    auto colon = line.find(':', start);
    parts.push_back(line.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  std::string algorithm = "hmac-sha256", name, secret;
  if (parts.size() == 2) {
    name = parts[0];
    secret = parts[1];
  } else if (parts.size() == 3) {
    algorithm = parts[0];
    name = parts[1];
    secret = parts[2];
  } else {
    return key_error(origin, "expected NAME:SECRET or ALGORITHM:NAME:SECRET on one line");
  }
  std::string why;
  std::string canonical = canonical_algorithm(algorithm, why);
  if (canonical.empty()) return key_error(origin, why);
  if (!valid_key_name(name)) return key_error(origin, "the key name is not a valid domain name");
  if (!valid_base64(secret)) return key_error(origin, "the secret is not valid base64");
  return TsigKey(absolute(name), canonical, secret);
}

}  // namespace

std::string TsigKey::algorithm_dname() const {
  if (algorithm_ == "hmac-md5") return "hmac-md5.sig-alg.reg.int.";
  return algorithm_ + ".";
}

Result<TsigKey> parse_tsig_key(const std::string& text, const std::string& origin) {
  // The short format is one line without braces; anything with a brace is BIND's.
  std::string trimmed = text;
  trimmed.erase(0, trimmed.find_first_not_of(" \t\r\n"));
  trimmed.erase(trimmed.find_last_not_of(" \t\r\n") + 1);
  if (trimmed.empty()) return key_error(origin, "the file is empty");
  if (trimmed.find('{') != std::string::npos || trimmed.rfind("key", 0) == 0)
    return parse_bind_format(text, origin);
  if (trimmed.find_first_of(" \t\r\n") != std::string::npos)
    return key_error(origin, "expected NAME:SECRET on one line, or a BIND key statement");
  return parse_short_format(trimmed, origin);
}

Result<TsigKey> load_tsig_key(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    return fail(make_error(fmt::format("cannot read the TSIG key file {}", path), std::strerror(errno))
                    .with_code(ExitCode::usage));
  std::stringstream text;
  text << in.rdbuf();
  return parse_tsig_key(text.str(), path);
}

}  // namespace ferry::dns
