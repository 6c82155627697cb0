#include "common/flag_table.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace chatd {

Result<uint64_t> parse_uint(const std::string& s, uint64_t min, uint64_t max) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    return Error{"'" + s + "' is not a non-negative integer"};
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  if (errno == ERANGE || v > max) return Error{"'" + s + "' is too large (max " + std::to_string(max) + ")"};
  if (v < min) return Error{"'" + s + "' is below the minimum " + std::to_string(min)};
  return uint64_t(v);
}

Result<std::size_t> parse_size(const std::string& s) {
  std::size_t unit = 1;
  std::string digits = s;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K': case 'k': unit = std::size_t(1) << 10; break;
      case 'M': case 'm': unit = std::size_t(1) << 20; break;
      case 'G': case 'g': unit = std::size_t(1) << 30; break;
      default: break;
    }
    if (unit != 1) digits.pop_back();
  }
  auto r = parse_uint(digits, 0, (uint64_t(1) << 40) / unit);
  if (!r) return Error{"'" + s + "' is not a size (bytes, or with K, M, G)"};
  return std::size_t(*r * unit);
}

Result<Nanos> parse_duration(const std::string& s) {
  const char* p = s.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(p, &end);
  if (end == p || errno != 0 || !std::isfinite(v) || v < 0)
    return Error{"'" + s + "' is not a duration (like 10s, 500ms, 2m)"};
  std::string unit(end);
  double scale;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "us") scale = 1e3;
  else if (unit == "m") scale = 60e9;
  else return Error{"'" + s + "' has an unknown unit (use ms, s or m)"};
  if (v * scale > 1e18) return Error{"'" + s + "' is too long"};
  return Nanos(v * scale);
}

Result<FlagMatch> match_flag(const std::vector<FlagSpelling>& spellings, const std::vector<std::string>& args,
                             std::size_t* i) {
  const std::string& arg = args[*i];
  // Only a long option carries its value after '=': "--port=7000".
  const std::size_t eq = arg.rfind("--", 0) == 0 ? arg.find('=') : std::string::npos;
  const std::string_view name = std::string_view(arg).substr(0, eq);
  for (std::size_t k = 0; k < spellings.size(); ++k) {
    const FlagSpelling& s = spellings[k];
    if (s.kind == FlagKind::heading || (name != s.name && (s.alias.empty() || name != s.alias))) continue;
    FlagMatch match{k, {}};
    if (s.kind != FlagKind::value) {
      if (eq != std::string::npos) return Error{"option " + std::string(s.name) + " takes no value"};
      return match;
    }
    if (eq != std::string::npos) {
      match.value = arg.substr(eq + 1);
    } else {
      if (*i + 1 >= args.size()) return Error{"option " + std::string(s.name) + " needs a value"};
      match.value = args[++*i];
    }
    return match;
  }
  return Error{"unknown option '" + arg + "' (see --help)"};
}

std::string render_flag_help(const std::vector<FlagHelp>& lines, std::size_t help_column) {
  std::string out;
  for (const FlagHelp& line : lines) {
    if (line.kind == FlagKind::heading) {
      out += '\n';
      if (!line.names.empty()) out.append(line.names).append("\n");
      continue;
    }
    std::string text = "  " + line.names;
    text.append(text.size() < help_column ? help_column - text.size() : 1, ' ');
    for (char c : line.help) {
      text += c;
      if (c == '\n') text.append(help_column, ' ');
    }
    out.append(text).append("\n");
  }
  return out;
}

}  // namespace chatd
