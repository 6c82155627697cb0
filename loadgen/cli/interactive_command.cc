#include "loadgen/cli/interactive_command.h"

#include <charconv>

namespace chatd::loadgen {
namespace {

constexpr uint32_t kMaxCount = 10'000'000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Result<uint32_t> parse_count(std::string_view word, std::string_view usage) {
  uint32_t n = 0;
  auto r = std::from_chars(word.data(), word.data() + word.size(), n);
  if (r.ec != std::errc() || r.ptr != word.data() + word.size() || n == 0 || n > kMaxCount)
    return Error{"'" + std::string(word) + "' is not a count from 1 to " + std::to_string(kMaxCount) + " (" +
                 std::string(usage) + ")"};
  return n;
}

}  // namespace

Result<InteractiveCommand> parse_interactive_command(std::string_view line) {
  line = trim(line);
  InteractiveCommand c;
  if (line.empty()) return c;
  const std::size_t space = line.find_first_of(" \t");
  const std::string_view verb = line.substr(0, space);
  const std::string_view rest = space == std::string_view::npos ? std::string_view() : trim(line.substr(space));

  auto no_args = [&](InteractiveCommand::Kind kind) -> Result<InteractiveCommand> {
    if (!rest.empty()) return Error{std::string(verb) + " takes no arguments"};
    c.kind = kind;
    return c;
  };
  if (verb == "summary") return no_args(InteractiveCommand::Kind::summary);
  if (verb == "closeAll") return no_args(InteractiveCommand::Kind::close_all);
  if (verb == "help" || verb == "?") return no_args(InteractiveCommand::Kind::help);
  if (verb == "exit" || verb == "quit") return no_args(InteractiveCommand::Kind::exit);
  if (verb == "spawn" || verb == "whisper") {
    const char* usage = verb == "spawn" ? "usage: spawn N" : "usage: whisper N";
    if (rest.empty() || rest.find_first_of(" \t") != std::string_view::npos) return Error{usage};
    auto n = parse_count(rest, usage);
    if (!n) return n.error();
    c.kind = verb == "spawn" ? InteractiveCommand::Kind::spawn : InteractiveCommand::Kind::whisper;
    c.count = *n;
    return c;
  }
  if (verb == "broadcast") {
    const std::size_t last = rest.find_last_of(" \t");
    if (rest.empty() || last == std::string_view::npos) return Error{"usage: broadcast TEXT N"};
    auto n = parse_count(rest.substr(last + 1), "usage: broadcast TEXT N");
    if (!n) return n.error();
    c.kind = InteractiveCommand::Kind::broadcast;
    c.text = std::string(trim(rest.substr(0, last)));
    c.count = *n;
    if (c.text.size() > 4096) return Error{"TEXT is longer than chatd's default limit of 4096 bytes"};
    return c;
  }
  return Error{"unknown command '" + std::string(verb) + "' (type help)"};
}

std::string interactive_help() {
  return "commands:\n"
         "  spawn N           connect N more clients (hello + join their room)\n"
         "  broadcast TEXT N  every client sends TEXT to its room N times; waits for the deliveries\n"
         "  whisper N         every client whispers N times to the next client\n"
         "  summary           clients, sent, received, latency percentiles and errors so far\n"
         "  closeAll          disconnect every client\n"
         "  help              this text\n"
         "  exit              write the results and quit (also: end of input)\n";
}

}  // namespace chatd::loadgen
