// Is this a well-formed HTTP/1.1 response as the chat port promises (src/http/response.h)?
// A status line `HTTP/1.1 NNN Reason`, header lines `Name: value` (a token name, no control
// byte in the value, no name twice), the empty line, then exactly Content-Length bytes of
// body (none, and no Content-Length, for 101 and 304), and one Connection header that says
// what the server will do next. Written from RFC 9112's grammar, not from response.cc.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chatd::fuzz {

struct ExpectedReply {
  uint16_t status = 0;
  bool close_after = false;  // Connection: close (else keep-alive; Upgrade for a 101)
};

// "" when `bytes` is such a response with that status and Connection; else what is wrong.
std::string response_problem(std::string_view bytes, const ExpectedReply& want);

// The value of header `name` (compared ASCII case-insensitively) in a response that
// response_problem() accepted, or "" when it has none.
std::string_view response_header(std::string_view bytes, std::string_view name);

}  // namespace chatd::fuzz
