// A client's outgoing bytes, shaped for net::ConnectionWriter (see its SendQueue).
//
// Two strings, so the bytes of a send in flight never move: the protocol appends
// to pending() at any time (a std::string may reallocate), while the kernel reads
// `in_flight_`, which nothing touches until the send has taken all of it. Both
// keep their capacity, so steady traffic allocates nothing per send.
//
// Bound: none here; the worker stops generating at kMaxPendingBytes (client.h)
// and the sink closes a client whose pending bytes pass its own bound.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <string>

namespace chatd::loadgen {

class SendBuffer {
 public:
  // Where new bytes go; safe to append to while a send is in flight.
  std::string& pending() { return pending_; }
  const std::string& pending() const { return pending_; }

  bool empty() const { return pending_.empty() && sent_ == in_flight_.size(); }

  // One iovec: the unsent rest of the last send, else everything pending (which
  // then becomes the bytes in flight). Called only with no send in flight.
  int gather(iovec* iov, int max) {
    if (max < 1) return 0;
    if (sent_ == in_flight_.size()) {
      in_flight_.swap(pending_);
      pending_.clear();
      sent_ = 0;
    }
    if (in_flight_.empty()) return 0;
    iov[0] = {in_flight_.data() + sent_, in_flight_.size() - sent_};
    return 1;
  }

  void consume(std::size_t n) { sent_ += n; }

  // Frees the memory of both strings, but not that of bytes a send in flight still
  // reads: call again with false once that send has completed.
  void release(bool send_in_flight) {
    std::string().swap(pending_);
    if (send_in_flight) return;
    std::string().swap(in_flight_);
    sent_ = 0;
  }

 private:
  std::string pending_;
  std::string in_flight_;
  std::size_t sent_ = 0;  // bytes of in_flight_ the kernel has taken
};

}  // namespace chatd::loadgen
