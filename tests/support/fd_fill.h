// For the tests that run chatd under a low RLIMIT_NOFILE (emfile, fd_storm):
// logging in without failing the test when chatd cannot take the connection, and
// filling chatd's descriptor table until hellos go unanswered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "client.h"

namespace chatd_it {

// Connects and says hello; true if welcomed within `wait`. `*out` gets the socket
// whenever one connected. A SYN the full backlog dropped is retransmitted by the
// kernel only after 1 s, so a short `connect_wait` retries with a fresh SYN sooner.
bool try_login(uint16_t port, const std::string& name, Ms wait, Client* out, Ms connect_wait = 1s);

// Logs in "fill0", "fill1", ... (at most 200) until `pending_wanted` hellos went
// unanswered or a connect failed (the backlog is full too).
struct FilledTable {
  std::vector<Client> welcomed;  // chatd holds their descriptors
  std::vector<Client> pending;   // connected, not answered: waiting in the backlog
};
FilledTable fill_descriptor_table(uint16_t port, std::size_t pending_wanted);

}  // namespace chatd_it
