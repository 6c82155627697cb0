// A command line described once, as a table: each flag's name, whether it takes a
// value, its help text and what it sets. The same table parses argv and prints
// --help, so a flag cannot be accepted without being documented, or documented
// without being accepted. chatd (config/config.cc) and loadgen (loadgen/cli/) each
// keep one table; the parsing, the value syntaxes and the error texts live here.
//
//   using F = Flag<Config>;
//   static const FlagTable<Config> table = {
//       F::heading("Options (defaults in brackets):"),
//       F::value("--port", "N", "TCP port [7000]", uint_value(&Config::port, 0, 65535)),
//       F::help("-h", "this text"),
//   };
//   Result<CliAction> action = parse_flags(table, args, config);
//   std::string text = flag_usage(table, 22);
//
// Errors are values with the flag's name in them: "unknown option '--x' (see
// --help)", "option --port needs a value", "option --port: '70000' is too large
// (max 65535)".
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace chatd {

enum class CliAction { run, help, version };

enum class FlagKind : uint8_t {
  value,    // --flag V or --flag=V
  toggle,   // --flag alone
  help,     // parsing stops: the caller prints the help text
  version,  // parsing stops: the caller prints its version
  heading,  // not a flag: a section title in the help text
};

// Stores a flag's value into the target; a toggle's setter is called with "".
// The error message says what is wrong with the value; the parser adds the flag's name.
template <class T>
using FlagSetter = std::function<Result<void>(T&, const std::string&)>;

template <class T>
struct Flag {
  FlagKind kind;
  std::string_view name;        // "--port"; a heading's text (may be empty: a blank line)
  std::string_view alias;       // a second spelling that is not shown in help ("-V"), or ""
  std::string_view value_name;  // in help, after the name: "--port N"
  std::string_view help;        // a '\n' starts a continuation line at the help column
  FlagSetter<T> set;            // value and toggle flags only
  bool show_alias = false;      // help shows "-h, --help" rather than "--help"

  static Flag value(std::string_view name, std::string_view value_name, std::string_view help, FlagSetter<T> set) {
    return {FlagKind::value, name, {}, value_name, help, std::move(set)};
  }
  static Flag toggle(std::string_view name, std::string_view help, FlagSetter<T> set) {
    return {FlagKind::toggle, name, {}, {}, help, std::move(set)};
  }
  // --help; `alias` ("-h") is shown in the help line when `show_alias`.
  static Flag help_flag(std::string_view alias, std::string_view help, bool show_alias) {
    return {FlagKind::help, "--help", alias, {}, help, {}, show_alias};
  }
  static Flag version_flag(std::string_view alias, std::string_view help) {
    return {FlagKind::version, "--version", alias, {}, help, {}};
  }
  // A blank line, then `title` (if any), before the flags that follow it.
  static Flag heading(std::string_view title) { return {FlagKind::heading, title, {}, {}, {}, {}}; }
};

template <class T>
using FlagTable = std::vector<Flag<T>>;

// ---------------------------------------------------------------- value syntaxes

// Digits only, within [min, max]: "'x' is not a non-negative integer", "'x' is too
// large (max N)", "'x' is below the minimum N".
Result<uint64_t> parse_uint(const std::string& s, uint64_t min, uint64_t max);
Result<std::size_t> parse_size(const std::string& s);  // 65536, 64K, 4M, 1G (binary units)
Result<Nanos> parse_duration(const std::string& s);     // 10s, 500ms, 2m, 250us, 1.5 (seconds)

// ---------------------------------------------------------------- setters

template <class T, class Field>
FlagSetter<T> uint_value(Field T::*field, uint64_t min, uint64_t max) {
  return [=](T& t, const std::string& v) -> Result<void> {
    auto r = parse_uint(v, min, max);
    if (!r) return r.error();
    t.*field = Field(*r);
    return {};
  };
}

// A size in bytes (see parse_size), at least `min`.
template <class T>
FlagSetter<T> size_value(std::size_t T::*field, std::size_t min) {
  return [=](T& t, const std::string& v) -> Result<void> {
    auto r = parse_size(v);
    if (!r) return r.error();
    if (*r < min) return Error{"'" + v + "' is below the minimum " + std::to_string(min) + " bytes"};
    t.*field = *r;
    return {};
  };
}

// A duration (see parse_duration), at least `min`.
template <class T>
FlagSetter<T> duration_value(Nanos T::*field, Nanos min = 0) {
  return [=](T& t, const std::string& v) -> Result<void> {
    auto r = parse_duration(v);
    if (!r) return r.error();
    if (*r < min) return Error{"'" + v + "' is too short"};
    t.*field = *r;
    return {};
  };
}

// Any text, or any non-empty text.
template <class T>
FlagSetter<T> string_value(std::string T::*field, bool allow_empty) {
  return [=](T& t, const std::string& v) -> Result<void> {
    if (v.empty() && !allow_empty) return Error{"needs a non-empty value"};
    t.*field = v;
    return {};
  };
}

// One of a fixed list of words: "'x' is not one of auto, uring, epoll".
template <class T, class Field>
FlagSetter<T> choice_value(Field T::*field, std::initializer_list<std::pair<std::string_view, Field>> choices) {
  std::vector<std::pair<std::string_view, Field>> list(choices);
  return [=](T& t, const std::string& v) -> Result<void> {
    std::string names;
    for (const auto& [name, value] : list) {
      if (v == name) {
        t.*field = value;
        return {};
      }
      names += (names.empty() ? "" : ", ") + std::string(name);
    }
    return Error{"'" + v + "' is not one of " + names};
  };
}

// Sets a bool to true; for toggles.
template <class T>
FlagSetter<T> set_true(bool T::*field) {
  return [=](T& t, const std::string&) -> Result<void> {
    t.*field = true;
    return {};
  };
}

// ---------------------------------------------------------------- parsing and help

// What the parser needs of an entry, without its setter's type.
struct FlagSpelling {
  FlagKind kind;
  std::string_view name;
  std::string_view alias;
};

// Where args[*i] sits in `spellings` (an index), and its value for a value flag;
// advances *i past what it used. Errors name the flag.
struct FlagMatch {
  std::size_t index = 0;
  std::string value;
};
Result<FlagMatch> match_flag(const std::vector<FlagSpelling>& spellings, const std::vector<std::string>& args,
                             std::size_t* i);

// The help lines of a table: each flag at two spaces, its help text at `help_column`.
struct FlagHelp {
  FlagKind kind;
  std::string names;  // "-h, --help", "--port N", a heading's title
  std::string_view help;
};
std::string render_flag_help(const std::vector<FlagHelp>& lines, std::size_t help_column);

// Parses `args` (argv without argv[0]) into `target`, in order; a later flag
// overrides an earlier one. Stops at --help or --version and says which it saw.
template <class T>
Result<CliAction> parse_flags(const FlagTable<T>& table, const std::vector<std::string>& args, T& target) {
  std::vector<FlagSpelling> spellings;
  spellings.reserve(table.size());
  for (const Flag<T>& f : table) spellings.push_back({f.kind, f.name, f.alias});
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto match = match_flag(spellings, args, &i);
    if (!match) return match.error();
    const Flag<T>& flag = table[match->index];
    if (flag.kind == FlagKind::help) return CliAction::help;
    if (flag.kind == FlagKind::version) return CliAction::version;
    if (auto r = flag.set(target, match->value); !r)
      return Error{"option " + std::string(flag.name) + ": " + r.error().message};
  }
  return CliAction::run;
}

// The flags' part of --help, generated from the same table.
template <class T>
std::string flag_usage(const FlagTable<T>& table, std::size_t help_column) {
  std::vector<FlagHelp> lines;
  lines.reserve(table.size());
  for (const Flag<T>& f : table) {
    std::string names;
    if (f.show_alias && !f.alias.empty()) names.append(f.alias).append(", ");
    names.append(f.name);
    if (!f.value_name.empty()) names.append(" ").append(f.value_name);
    lines.push_back({f.kind, std::move(names), f.help});
  }
  return render_flag_help(lines, help_column);
}

}  // namespace chatd
