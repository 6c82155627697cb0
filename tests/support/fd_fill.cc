#include "fd_fill.h"

#include "json.h"

namespace chatd_it {

bool try_login(uint16_t port, const std::string& name, Ms wait, Client* out, Ms connect_wait) {
  auto c = Client::try_connect(port, {.label = name, .connect_timeout = connect_wait});
  if (!c) return false;
  c->try_send_raw(op("hello").s("user", name).str() + "\n", 200ms);
  auto line = c->read_line(wait);
  *out = std::move(*c);
  return line && line->find("\"welcome\"") != std::string::npos;
}

FilledTable fill_descriptor_table(uint16_t port, std::size_t pending_wanted) {
  FilledTable t;
  for (int i = 0; i < 200 && t.pending.size() < pending_wanted; ++i) {
    Client c;
    const bool ok = try_login(port, "fill" + std::to_string(i), t.pending.empty() ? 300ms : 50ms, &c);
    if (c.fd() < 0) break;  // connect itself failed: the backlog is full too
    (ok ? t.welcomed : t.pending).push_back(std::move(c));
  }
  return t;
}

}  // namespace chatd_it
