#include "auth/secret_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/unique_fd.h"

namespace chatd::auth {

Result<void> check_secret_size(std::size_t size, std::string_view origin) {
  if (size >= kMinSecretBytes) return {};
  return Error{std::string(origin) + " holds " + std::to_string(size) + " bytes of key; HS256 needs at least " +
               std::to_string(kMinSecretBytes) + " (e.g. `head -c 32 /dev/urandom | base64 > FILE`)"};
}

Result<std::string> secret_from_file_bytes(std::string_view bytes, std::string_view origin) {
  if (!bytes.empty() && bytes.back() == '\n') bytes.remove_suffix(1);
  if (auto size_ok = check_secret_size(bytes.size(), origin); !size_ok.ok()) return size_ok.error();
  return std::string(bytes);
}

Result<std::string> load_auth_secret(const std::string& path) {
  const std::string what = "auth secret file " + path;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return system_error("cannot open " + what, errno);
  // Read to the end rather than trust a size: a pipe (`--auth-secret-file <(vault ...)`)
  // has none. Bounded by kMaxSecretFileBytes.
  std::string bytes;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return system_error("cannot read " + what, errno);
    if (n == 0) break;
    bytes.append(buf, std::size_t(n));
    if (bytes.size() > kMaxSecretFileBytes) {
      return Error{what + " is larger than " + std::to_string(kMaxSecretFileBytes) +
                   " bytes; a key file holds only the key"};
    }
  }
  return secret_from_file_bytes(bytes, what);
}

}  // namespace chatd::auth
