// TSIG keys for signed dynamic updates, read from a key file; the secret never leaves this type
// except to sign a message.
#pragma once

#include <string>

#include "util/error.hpp"

namespace ferry::dns {

class TsigKey {
 public:
  TsigKey(std::string name, std::string algorithm, std::string secret)
      : name_(std::move(name)), algorithm_(std::move(algorithm)), secret_(std::move(secret)) {}

  const std::string& name() const { return name_; }            // "ferry-key." (absolute)
  const std::string& algorithm() const { return algorithm_; }  // "hmac-sha256"
  // The algorithm's domain name as on the wire ("hmac-sha256.", "hmac-md5.sig-alg.reg.int.").
  std::string algorithm_dname() const;
  // Base64. Only for signing; never print, log or store it.
  const std::string& secret_for_signing() const { return secret_; }
  // "key ferry-key. (hmac-sha256)": what messages say about the key.
  std::string describe() const { return "key " + name_ + " (" + algorithm_ + ")"; }

 private:
  std::string name_;
  std::string algorithm_;
  std::string secret_;
};

// Parses a key file's text. Two formats:
//   BIND:   key "ferry-key" { algorithm hmac-sha256; secret "base64=="; };  (tsig-keygen output;
//           comments allowed; one key per file)
//   short:  ferry-key:base64==   (hmac-sha256)   or   hmac-sha512:ferry-key:base64==
// Supported algorithms: hmac-md5, hmac-sha1, hmac-sha256, hmac-sha512 (what ldns can sign).
// Error messages never quote the file's text (it holds the secret).
Result<TsigKey> parse_tsig_key(const std::string& text, const std::string& origin);
// Reads and parses PATH.
Result<TsigKey> load_tsig_key(const std::string& path);

}  // namespace ferry::dns
