#include "reactor/uring/uring_reactor.h"

#include <liburing.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "reactor/accept_gate.h"
#include "reactor/conn_table.h"
#include "reactor/wakeup.h"

namespace chatd::reactor {
namespace {

// user_data layout: | op (8 bits) | payload (56 bits) |
//   recv   → the ConnKey            send   → index of its SendSlot
//   accept → accept generation      wakeup, cancel → unused
enum class OpTag : uint64_t { accept = 1, recv = 2, send = 3, wakeup = 4, cancel = 5 };
constexpr int kOpShift = 56;
constexpr uint64_t kPayloadMask = (uint64_t(1) << kOpShift) - 1;

constexpr uint64_t encode(OpTag op, uint64_t payload) { return uint64_t(op) << kOpShift | payload; }
constexpr OpTag op_of(uint64_t ud) { return OpTag(ud >> kOpShift); }
constexpr uint64_t payload_of(uint64_t ud) { return ud & kPayloadMask; }

constexpr unsigned kRingEntries = 4096;
constexpr unsigned kCqEntries = 4 * kRingEntries;  // multishot ops post many CQEs per SQE
constexpr int kBufferGroup = 0;

// Per connection, indexed by conn_index(key): what the multishot recv is doing.
struct RecvSlot {
  ConnKey key = 0;
  int fd = -1;
  enum State : uint8_t { idle, armed, cancelling } state = idle;
};

// A sendmsg in flight owns its msghdr and iovecs until its completion.
struct SendSlot {
  msghdr msg{};
  iovec iov[kMaxSendIov];
  ConnKey key = 0;
};

class UringReactor final : public Reactor, private AcceptGate::Watch {
 public:
  explicit UringReactor(UringBufferRing shape)
      : buffer_count_(shape.count), buffer_size_(shape.size), buffer_stride_(shape.size + kRecvPadding) {}
  ~UringReactor() override {
    if (ring_ready_) io_uring_queue_exit(&ring_);
    if (buf_ring_) munmap(buf_ring_, buf_ring_bytes_);
  }

  Result<void> init() {
    if (buffer_count_ == 0 || buffer_count_ > 32768 || (buffer_count_ & (buffer_count_ - 1)) != 0 || buffer_size_ == 0)
      return Error{"io_uring buffer ring: the count must be a power of two up to 32768, the size above 0"};
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
              IORING_SETUP_SUBMIT_ALL;
    p.cq_entries = kCqEntries;
    int rc = io_uring_queue_init_params(kRingEntries, &ring_, &p);
    if (rc == -EINVAL) {  // kernels before 6.1: no DEFER_TASKRUN / SINGLE_ISSUER
      p = io_uring_params{};
      p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SUBMIT_ALL;
      p.cq_entries = kCqEntries;
      rc = io_uring_queue_init_params(kRingEntries, &ring_, &p);
    }
    if (rc < 0) return system_error("io_uring_queue_init", -rc);
    ring_ready_ = true;
    // Socket ops must never run on io-wq threads (they are poll-driven); cap the pool
    // anyway so that a surprise cannot become a thread storm.
    unsigned workers[2] = {1, 1};
    io_uring_register_iowq_max_workers(&ring_, workers);
    return setup_buffers();
  }

  std::string_view name() const override { return "uring"; }

  void listen(int listen_fd) override { accept_.listen(listen_fd); }
  void pause_accept() override { accept_.pause(); }
  void resume_accept() override { accept_.resume(); }

  void start_recv(ConnKey key, int fd) override {
    RecvSlot& s = slot(key);
    s.key = key;
    s.fd = fd;
    arm_recv(s);
  }

  void stop_recv(ConnKey key, int) override {
    RecvSlot& s = slot(key);
    if (s.key != key || s.state != RecvSlot::armed) return;
    s.state = RecvSlot::cancelling;
    cancel(encode(OpTag::recv, key));
  }

  void send(ConnKey key, int fd, std::span<const iovec> iov) override {
    uint32_t index = take_send_slot();
    SendSlot& s = *send_slots_[index];
    s.key = key;
    std::memcpy(s.iov, iov.data(), iov.size() * sizeof(iovec));
    s.msg = msghdr{};
    s.msg.msg_iov = s.iov;
    s.msg.msg_iovlen = iov.size();
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_sendmsg(sqe, fd, &s.msg, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, encode(OpTag::send, index));
  }

  void close(ConnKey key, int fd) override {
    RecvSlot& s = slot(key);
    if (s.key == key) s = RecvSlot{};  // its last recv completion will be stale
    // A multishot recv holds its own reference to the socket, so close() alone would
    // leave it armed; shutdown ends it (and any send in flight) right away.
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }

  void watch_wakeup(int event_fd) override {
    wakeup_fd_ = event_fd;
    arm_wakeup();
  }

  void poll(Handler& h, Nanos timeout) override {
    if (timeout == 0) {
      io_uring_submit_and_get_events(&ring_);
    } else {
      io_uring_cqe* cqe = nullptr;
      __kernel_timespec ts{.tv_sec = timeout / kSeconds, .tv_nsec = timeout % kSeconds};
      io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timeout > 0 ? &ts : nullptr, nullptr);
    }
    unsigned head, seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      dispatch(h, *cqe);
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
    if (buffers_returned_ > 0) {
      io_uring_buf_ring_advance(buf_ring_, buffers_returned_);
      buffers_returned_ = 0;
    }
  }

 private:
  Result<void> setup_buffers() {
    buf_ring_bytes_ = buffer_count_ * sizeof(io_uring_buf);
    void* mem = mmap(nullptr, buf_ring_bytes_, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (mem == MAP_FAILED) return system_error("mmap buffer ring", errno);
    buf_ring_ = static_cast<io_uring_buf_ring*>(mem);
    io_uring_buf_ring_init(buf_ring_);
    io_uring_buf_reg reg{};
    reg.ring_addr = reinterpret_cast<uint64_t>(buf_ring_);
    reg.ring_entries = buffer_count_;
    reg.bgid = kBufferGroup;
    int rc = io_uring_register_buf_ring(&ring_, &reg, 0);
    if (rc < 0) return system_error("io_uring_register_buf_ring", -rc);
    buffers_.assign(std::size_t(buffer_count_) * buffer_stride_, 0);
    for (unsigned i = 0; i < buffer_count_; ++i) give_buffer(uint16_t(i));
    io_uring_buf_ring_advance(buf_ring_, buffers_returned_);
    buffers_returned_ = 0;
    return {};
  }

  // Queues a buffer for the kernel again; published in one advance per poll().
  void give_buffer(uint16_t bid) {
    io_uring_buf_ring_add(buf_ring_, buffer(bid), buffer_size_, bid, io_uring_buf_ring_mask(buffer_count_),
                          int(buffers_returned_));
    ++buffers_returned_;
  }

  // The one place SQEs come from: a full submission queue is flushed, never an error.
  io_uring_sqe* get_sqe() {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    while (sqe == nullptr) {
      io_uring_submit(&ring_);
      sqe = io_uring_get_sqe(&ring_);
    }
    return sqe;
  }

  char* buffer(uint16_t bid) { return buffers_.data() + std::size_t(bid) * buffer_stride_; }

  RecvSlot& slot(ConnKey key) { return recv_slots_[conn_index(key)]; }

  uint32_t take_send_slot() {
    if (free_send_slots_.empty()) {
      send_slots_.push_back(std::make_unique<SendSlot>());
      return uint32_t(send_slots_.size() - 1);
    }
    uint32_t i = free_send_slots_.back();
    free_send_slots_.pop_back();
    return i;
  }

  void cancel(uint64_t target) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_cancel64(sqe, target, 0);
    io_uring_sqe_set_data64(sqe, encode(OpTag::cancel, 0));
  }

  // AcceptGate::Watch. Each multishot accept gets a new generation, so the completions
  // of a cancelled one (the connections it took are still delivered) cannot re-arm.
  void arm_accept(int listen_fd) override {
    accept_gen_ = (accept_gen_ + 1) & kPayloadMask;
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_multishot_accept(sqe, listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, encode(OpTag::accept, accept_gen_));
  }

  void disarm_accept(int) override { cancel(encode(OpTag::accept, accept_gen_)); }

  void arm_recv(RecvSlot& s) {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_recv_multishot(sqe, s.fd, nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = kBufferGroup;
    io_uring_sqe_set_data64(sqe, encode(OpTag::recv, s.key));
    s.state = RecvSlot::armed;
  }

  void arm_wakeup() {
    io_uring_sqe* sqe = get_sqe();
    io_uring_prep_poll_multishot(sqe, wakeup_fd_, POLLIN);
    io_uring_sqe_set_data64(sqe, encode(OpTag::wakeup, 0));
  }

  void dispatch(Handler& h, const io_uring_cqe& cqe) {
    const uint64_t ud = cqe.user_data;
    switch (op_of(ud)) {
      case OpTag::recv: return on_recv_cqe(h, payload_of(ud), cqe);
      case OpTag::send: {
        uint32_t index = uint32_t(payload_of(ud));
        ConnKey key = send_slots_[index]->key;
        free_send_slots_.push_back(index);
        return h.on_send_done(key, cqe.res);
      }
      case OpTag::accept: return on_accept_cqe(h, payload_of(ud), cqe);
      case OpTag::wakeup:
        if (!(cqe.flags & IORING_CQE_F_MORE)) arm_wakeup();
        return deliver_wakeup(wakeup_fd_, h);
      case OpTag::cancel: return;
    }
  }

  void on_recv_cqe(Handler& h, ConnKey key, const io_uring_cqe& cqe) {
    const bool more = cqe.flags & IORING_CQE_F_MORE;
    RecvSlot& s = slot(key);
    const bool current = s.key == key && s.state != RecvSlot::idle;
    if (cqe.flags & IORING_CQE_F_BUFFER) {
      uint16_t bid = uint16_t(cqe.flags >> IORING_CQE_BUFFER_SHIFT);
      if (current && cqe.res > 0) {
        h.on_recv(key, std::span<char>(buffer(bid), std::size_t(cqe.res)));
      }
      give_buffer(bid);  // returned after the handler ran: the bytes are consumed or copied
    }
    if (more || !current) return;
    // The multishot recv has ended; the handler may have closed the slot meanwhile.
    RecvSlot& t = slot(key);
    if (t.key != key || t.state == RecvSlot::idle) return;
    if (t.state == RecvSlot::cancelling) {
      t.state = RecvSlot::idle;
      return h.on_recv_end(key, -ECANCELED);
    }
    if (cqe.res > 0 || cqe.res == -ENOBUFS) {
      // Out of buffers is a normal state: this turn returns them, so re-arm now.
      return arm_recv(t);
    }
    t.state = RecvSlot::idle;
    h.on_recv_end(key, cqe.res);
  }

  void on_accept_cqe(Handler& h, uint64_t gen, const io_uring_cqe& cqe) {
    if (cqe.res >= 0) h.on_accept(cqe.res);  // a real connection, whatever the generation
    // The handler may have paused (and resumed: a new generation) meanwhile.
    if (gen != accept_gen_ || !accept_.accepting()) return;
    const bool more = cqe.flags & IORING_CQE_F_MORE;
    if (cqe.res < 0 && cqe.res != -ECANCELED &&
        accept_.failed(h, -cqe.res) == AcceptFailure::exhausted)
      return;  // paused: the gate cancelled the accept (if it was still armed)
    if (!more) accept_.watch_ended();
  }

  io_uring ring_{};
  bool ring_ready_ = false;
  io_uring_buf_ring* buf_ring_ = nullptr;
  std::size_t buf_ring_bytes_ = 0;
  const unsigned buffer_count_;
  const unsigned buffer_size_;
  const std::size_t buffer_stride_;
  std::vector<char> buffers_;
  unsigned buffers_returned_ = 0;
  ConnTable<RecvSlot> recv_slots_;
  std::vector<std::unique_ptr<SendSlot>> send_slots_;
  std::vector<uint32_t> free_send_slots_;
  AcceptGate accept_{*this};
  uint64_t accept_gen_ = 0;
  int wakeup_fd_ = -1;
};

bool kernel_at_least(int major, int minor) {
  utsname u;
  if (uname(&u) != 0) return false;
  int ma = 0, mi = 0;
  if (std::sscanf(u.release, "%d.%d", &ma, &mi) != 2) return false;
  return ma > major || (ma == major && mi >= minor);
}

}  // namespace

Result<void> probe_uring_support() {
  if (const char* forced = std::getenv("CHATD_FORCE_URING_FAILURE"); forced && *forced && *forced != '0')
    return Error{"io_uring_setup refused (forced by CHATD_FORCE_URING_FAILURE)"};
  io_uring ring;
  int rc = io_uring_queue_init(4, &ring, 0);
  if (rc < 0) {
    std::string why = "io_uring_setup failed: ";
    why += std::strerror(-rc);
    if (rc == -EPERM) why += " (kernel.io_uring_disabled, a seccomp filter or a container policy)";
    if (rc == -ENOSYS) why += " (kernel built without io_uring)";
    return Error{why};
  }
  io_uring_probe* probe = io_uring_get_probe_ring(&ring);
  bool ops_ok = probe && io_uring_opcode_supported(probe, IORING_OP_ACCEPT) &&
                io_uring_opcode_supported(probe, IORING_OP_RECV) &&
                io_uring_opcode_supported(probe, IORING_OP_SENDMSG) &&
                io_uring_opcode_supported(probe, IORING_OP_POLL_ADD) &&
                io_uring_opcode_supported(probe, IORING_OP_ASYNC_CANCEL);
  if (probe) io_uring_free_probe(probe);
  io_uring_queue_exit(&ring);
  if (!ops_ok) return Error{"io_uring lacks accept/recv/sendmsg/poll/cancel"};
  if (!kernel_at_least(6, 0)) return Error{"kernel older than 6.0: no multishot recv"};
  return {};
}

Result<std::unique_ptr<Reactor>> make_uring_reactor(UringBufferRing buffers) {
  auto r = std::make_unique<UringReactor>(buffers);
  if (auto ok = r->init(); !ok) return ok.error();
  return std::unique_ptr<Reactor>(std::move(r));
}

}  // namespace chatd::reactor
