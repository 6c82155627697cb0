// A room member that reads as fast as it can, in its own thread, for the
// burst tests (shutdown_burst_test.cc, hardening_pending_test.cc): it records
// the seq of every `msg` of its room, when each other user left, and every
// error, until EOF or stop(). Header-only because each integration test is
// one source file (tests/meson.build).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client.h"

namespace chatd_it {

class RoomReader {
 public:
  using Clock = std::chrono::steady_clock;

  RoomReader(Client client, std::string room, Clock::time_point t0)
      : client_(std::move(client)), room_(std::move(room)), t0_(t0) {}
  ~RoomReader() { stop(); }

  // The reader thread owns the client's read side; others may only write
  // through client() (Client::try_send_raw touches no read state).
  Client& client() { return client_; }
  const std::string& label() const { return client_.label(); }

  void start() {
    thread_ = std::thread([this] {
      try {
        read_until_eof();
      } catch (const std::exception& e) {
        std::lock_guard lock(mu_);
        failure_ = e.what();
      }
      done_ = true;
    });
  }
  // Ends the thread (at once if EOF came already, else within 200 ms).
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Waits for EOF for at most `timeout`, then stops.
  bool wait_eof(Ms timeout) {
    auto deadline = Clock::now() + timeout;
    while (!done_ && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
    bool eof = done_;
    stop();
    return eof;
  }

  int received() const { return received_; }
  bool closed() const { return done_; }
  // Seconds after t0 when `user` left the room, -1 if not (yet).
  double left_at(const std::string& user) const {
    std::lock_guard lock(mu_);
    auto it = left_.find(user);
    return it == left_.end() ? -1 : it->second;
  }

  // Read these after stop() / wait_eof().
  const std::vector<int64_t>& seqs() const { return seqs_; }
  const std::vector<std::string>& errors() const { return errors_; }  // whole lines
  size_t msgs_before_shutdown() const { return msgs_before_shutdown_; }
  bool got_shutdown() const { return got_shutdown_; }
  std::string failure() const {
    std::lock_guard lock(mu_);
    return failure_;
  }

 private:
  void read_until_eof() {
    while (!stop_) {
      auto line = client_.read_line(200ms);
      if (!line) {
        if (client_.closed()) return;
        continue;
      }
      std::string err;
      auto j = Json::parse(*line, &err);
      if (!j) throw HarnessError("[" + label() + "] not JSON: " + line->substr(0, 200));
      const std::string& ev = j->str("ev");
      if (ev == "msg" && j->str("room") == room_) {
        seqs_.push_back(j->i64("seq"));
        ++received_;
      } else if (ev == "user_left" && j->str("room") == room_) {
        std::lock_guard lock(mu_);
        left_[j->str("user")] = std::chrono::duration<double>(Clock::now() - t0_).count();
      } else if (ev == "error") {
        if (j->str("code") == "server_shutdown" && !got_shutdown_) {
          got_shutdown_ = true;
          msgs_before_shutdown_ = seqs_.size();
        }
        errors_.push_back(*line);
      }
    }
  }

  Client client_;
  std::string room_;
  Clock::time_point t0_;
  std::thread thread_;
  std::atomic<bool> stop_{false}, done_{false};
  std::atomic<int> received_{0};
  mutable std::mutex mu_;  // left_ and failure_, read while the thread runs
  std::map<std::string, double> left_;
  std::string failure_;
  std::vector<int64_t> seqs_;
  std::vector<std::string> errors_;
  bool got_shutdown_ = false;
  size_t msgs_before_shutdown_ = 0;
};

// "got N of M; first difference at index i: got X, expected Y" or "" when
// `seqs` is exactly 1..expected_last.
inline std::string seq_mismatch(const std::vector<int64_t>& seqs, int64_t expected_last) {
  size_t at = 0;
  while (at < seqs.size() && seqs[at] == int64_t(at) + 1) ++at;
  if (at == seqs.size() && int64_t(at) == expected_last) return "";
  return "got " + std::to_string(seqs.size()) + " of " + std::to_string(expected_last) +
         " msgs; first difference at index " + std::to_string(at) + ": got " +
         (at < seqs.size() ? std::to_string(seqs[at]) : std::string("(none)")) + ", expected " +
         (int64_t(at) < expected_last ? std::to_string(at + 1) : std::string("(none)"));
}

}  // namespace chatd_it
