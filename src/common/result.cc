#include "common/result.h"

#include <cstring>

namespace chatd {

Error system_error(std::string_view what, int err) {
  std::string m(what);
  m += ": ";
  m += std::strerror(err);
  return Error{std::move(m)};
}

}  // namespace chatd
