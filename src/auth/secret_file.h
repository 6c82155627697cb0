// The HS256 key of --auth-secret-file (docs/protocol.md "Authentication"): the
// file's bytes with one trailing newline stripped (so `echo KEY > file` and a key
// written without a newline mean the same key), at least 32 bytes. Read once at
// start-up; the key itself never appears in a message.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace chatd::auth {

// RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
constexpr std::size_t kMinSecretBytes = 32;
// A key file is a few dozen bytes; a larger file is almost surely the wrong path.
constexpr std::size_t kMaxSecretFileBytes = 64 * 1024;

// The key held by `path`, or an error a person can act on, naming the file.
Result<std::string> load_auth_secret(const std::string& path);

// The rule on its own, for keys that come from elsewhere (tests, loadgen): the
// bytes with one trailing '\n' stripped, or an error when under kMinSecretBytes.
Result<std::string> secret_from_file_bytes(std::string_view bytes, std::string_view origin);

// An error naming `origin` when a key of `size` bytes is under kMinSecretBytes.
Result<void> check_secret_size(std::size_t size, std::string_view origin);

}  // namespace chatd::auth
