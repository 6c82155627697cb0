// One line of interactive mode → a command. Pure, unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace chatd::loadgen {

struct InteractiveCommand {
  enum class Kind { nothing, spawn, broadcast, whisper, summary, close_all, help, exit };
  Kind kind = Kind::nothing;
  uint32_t count = 0;  // spawn N, broadcast TEXT N, whisper N
  std::string text;    // broadcast
};

// "spawn 5", "broadcast hello world 3" (TEXT is everything between the verb and
// the last word), "whisper 2", "summary", "closeAll", "help", "exit"/"quit".
Result<InteractiveCommand> parse_interactive_command(std::string_view line);

std::string interactive_help();

}  // namespace chatd::loadgen
