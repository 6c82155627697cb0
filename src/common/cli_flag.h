// One command-line option with a value, written `--flag value` or `--flag=value`.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"

namespace chatd {

struct FlagWithValue {
  std::string flag;
  std::string value;
};

// Reads the option at args[*i] and its value, advancing *i past what it used.
inline Result<FlagWithValue> take_flag_value(const std::vector<std::string>& args, std::size_t* i) {
  FlagWithValue out{args[*i], {}};
  if (auto eq = out.flag.find('='); eq != std::string::npos && out.flag.rfind("--", 0) == 0) {
    out.value = out.flag.substr(eq + 1);
    out.flag.resize(eq);
    return out;
  }
  if (*i + 1 >= args.size()) return Error{"option " + out.flag + " needs a value"};
  out.value = args[++*i];
  return out;
}

}  // namespace chatd
