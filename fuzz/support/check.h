// How a fuzz target says an invariant broke: it prints what and where, then aborts, which
// libFuzzer reports as a crash and saves the input that caused it (docs/fuzzing.md).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace chatd::fuzz {

// The bytes with everything outside printable ASCII as \xNN, for failure messages.
inline std::string printable(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

[[noreturn]] inline void invariant_failed(const char* file, int line, const char* condition,
                                          const std::string& detail) {
  std::fprintf(stderr, "\n%s:%d: invariant broken: %s\n%s\n", file, line, condition, detail.c_str());
  std::abort();
}

}  // namespace chatd::fuzz

// FUZZ_CHECK(condition, detail): `detail` (a std::string expression) is only built on failure.
#define FUZZ_CHECK(condition, detail)                                                  \
  do {                                                                                 \
    if (!(condition)) ::chatd::fuzz::invariant_failed(__FILE__, __LINE__, #condition, (detail)); \
  } while (0)
