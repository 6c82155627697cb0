// Turns a text-mode line (a person at `nc`) into a Request. Bytes in, requests out.
#pragma once

#include <string_view>

#include "proto/request.h"

namespace chatd::proto {

enum class TextLine : uint8_t {
  request,          // `out` holds a request to run
  help,             // /help: the session prints the command list
  empty,            // nothing to do
  unknown_command,  // a /word we do not know
  missing_argument, // /join without a room, /w without a name, ...
  no_room,          // a message line while the user is in no room
};

// What the first line holds (docs/protocol.md "Text mode", "Authentication").
enum class TextLogin : uint8_t {
  name,            // auth off: the whole line is the name (a space in it is bad_name)
  name_and_token,  // auth on: `NAME TOKEN`, split at the first space or tab
};

// Before login the line is the user name (and token); after it, a command or a
// message to `current_room` (empty when the user is in no room: then no_room).
TextLine parse_text_line(std::string_view line, bool logged_in, std::string_view current_room,
                         Request& out, TextLogin login = TextLogin::name);

}  // namespace chatd::proto
