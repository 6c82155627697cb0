// fanout_limit — the ceiling for chatd's fan-out on this machine: the cost of the
// work chatd cannot avoid, and nothing else.
//
// One prepared frame (a ~100-byte `msg` event line) is written to N loopback TCP
// sockets, round after round, with batched io_uring submission: one sendmsg SQE per
// socket, the whole round handed to the kernel with one io_uring_enter that also
// waits for the round's completions. The sockets are set up as chatd sets up its
// connections (accepted side, TCP_NODELAY, SO_SNDBUF 1 MiB); the ring as chatd's
// (SINGLE_ISSUER | DEFER_TASKRUN where the kernel has them). A reader thread drains
// the other ends with epoll so the sender never blocks. No parsing, no queues, no
// cross-shard hop: what chatd delivers per second, divided by this, is how close
// it gets to the limit (scripts/bench.sh reports that percentage).
//
//   fanout_limit                                  N = 100 and N = 1000, 3 s each
//   fanout_limit --members 1000 --seconds 10      one run
//   fanout_limit --members 1000 --senders 2       two sender threads (like 2 shards),
//                                                 each with its own ring and N/2 sockets
//   fanout_limit --submit syscall                 one sendmsg(2) per socket (epoll backend)
//   fanout_limit --per-send 16                    16 frames per sendmsg (16 iovecs), as chatd
//                                                 coalesces the events queued for a connection
//   fanout_limit --sender-cpu 1 --reader-cpu 0    where the threads run (as scripts/bench.sh
//                                                 places chatd and its clients)
//
// Like with like: chatd writes every event queued for a connection in one sendmsg
// per loop turn (up to reactor::kMaxSendIov = 64 iovecs, one per event), so under
// load it sends several frames per syscall. --per-send K makes each sendmsg carry K
// frames as K iovecs; a chatd run is compared with the limit at the K it measured
// (scripts/bench.sh counts chatd's sendmsg calls), not with one frame per write.
//
// Prints, per run, one line a script can parse:
//   fanout_limit members=1000 senders=1 submit=uring frame_bytes=100 per_send=1 seconds=3.00
//     frames_per_second=... sends_per_second=... reader_frames_per_second=... rounds=...
//     enters_per_round=1.00
//     sender_cpu_ns_per_frame=... frames_per_sender_cpu_second=... reader_cpu_ns_per_frame=...
//     verified=yes
// (one line; wrapped here). frames_per_second is the figure to compare chatd with;
// frames_per_sender_cpu_second is what one whole sender core would do, which stays
// meaningful when other work shares the CPUs (the wall-clock figure does not);
// verified=yes says every byte the kernel accepted reached the reader.
//
// Needs Linux >= 6.1 for the ring flags (falls back to COOP_TASKRUN before), and
// 2N + a few fds: N is capped by RLIMIT_NOFILE.
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const char* what, int err) {
  std::fprintf(stderr, "fanout_limit: %s: %s\n", what, std::strerror(err));
  std::exit(1);
}

struct Options {
  std::vector<int> members;  // one run per entry
  double seconds = 3.0;
  double warmup = 0.5;
  int frame_bytes = 100;
  int senders = 1;
  int per_send = 1;     // frames (iovecs) per sendmsg
  bool uring = true;    // false: one sendmsg(2) per socket, as the epoll backend does
  bool pin = false;     // sender k on CPU k, reader on the last CPU
  int sender_cpu = -1;  // the first sender's CPU (the next ones follow); -1: not pinned
  int reader_cpu = -1;
};

constexpr int kMaxPerSend = 1024;  // IOV_MAX

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % int(std::thread::hardware_concurrency()), &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// A msg event as chatd encodes it, padded (in the text) to exactly `bytes`.
std::string make_frame(int bytes) {
  std::string head = R"({"type":"msg","room":"r0","from":"lg-a1b2c3-17","seq":123456,"id":"1.17.42","text":")";
  std::string tail = R"("})" "\n";
  int text = std::max(1, bytes - int(head.size() + tail.size()));
  return head + std::string(std::size_t(text), 'x') + tail;
}

// N connected loopback pairs: `send_fds` are the accepted ends (chatd's side),
// `recv_fds` the connecting ends (the clients').
void make_pairs(int n, std::vector<int>& send_fds, std::vector<int>& recv_fds) {
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket", errno);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("bind", errno);
  if (listen(lfd, 128) != 0) die("listen", errno);
  if (getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) die("getsockname", errno);
  const int sndbuf = 1 << 20;  // chatd: --max-outbound (4 MiB) / 4
  const int one = 1;
  for (int i = 0; i < n; ++i) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0) die("socket (raise the open-file limit or lower --members)", errno);
    if (connect(c, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("connect", errno);
    int s = accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (s < 0) die("accept", errno);
    setsockopt(s, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    send_fds.push_back(s);
    recv_fds.push_back(c);
  }
  close(lfd);
}

// Drains every receiving end until told to stop; counts the bytes.
struct Reader {
  std::atomic<uint64_t> bytes{0};
  std::atomic<bool> stop{false};
  double cpu_seconds = 0;

  void run(const std::vector<int>& fds, int cpu) {
    if (cpu >= 0) pin_to(cpu);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) die("epoll_create1", errno);
    for (int fd : fds) {
      epoll_event ev{};
      ev.events = EPOLLIN;  // level-triggered: one recv per ready socket per turn is enough
      ev.data.fd = fd;
      if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl", errno);
    }
    std::vector<epoll_event> events(1024);
    std::vector<char> buf(256 * 1024);
    const double cpu0 = thread_cpu_seconds();
    while (!stop.load(std::memory_order_relaxed)) {
      int n = epoll_wait(ep, events.data(), int(events.size()), 50);
      if (n < 0 && errno != EINTR) die("epoll_wait", errno);
      uint64_t got = 0;
      for (int i = 0; i < n; ++i) {
        ssize_t r = recv(events[i].data.fd, buf.data(), buf.size(), MSG_DONTWAIT);
        if (r > 0) got += uint64_t(r);
        else if (r == 0 || (errno != EAGAIN && errno != EINTR)) die("recv", r == 0 ? EPIPE : errno);
      }
      bytes.fetch_add(got, std::memory_order_relaxed);
    }
    cpu_seconds = thread_cpu_seconds() - cpu0;
    close(ep);
  }
};

// One sender: its sockets, its ring, its counters. Rounds until `stop`.
struct Sender {
  std::vector<int> fds;
  uint64_t bytes = 0;         // accepted by the kernel while measuring
  uint64_t all_bytes = 0;     // accepted by the kernel, warm-up and tail included
  uint64_t rounds = 0;        // measured rounds
  uint64_t enters = 0;        // io_uring_enter calls in measured rounds
  uint64_t sends = 0;         // sendmsg calls (SQEs) that wrote bytes in measured rounds
  double cpu_seconds = 0;     // measured part only
  std::atomic<bool>* measuring = nullptr;
  std::atomic<bool>* stop = nullptr;

  void run(const std::string& frame, int per_send, bool uring, int cpu) {
    if (cpu >= 0) pin_to(cpu);
    // K iovecs pointing at the same frame, as chatd's queue points at shared events.
    std::vector<iovec> iov(std::size_t(per_send), iovec{const_cast<char*>(frame.data()), frame.size()});
    msghdr msg{};  // shared by every SQE: the kernel only reads it
    msg.msg_iov = iov.data();
    msg.msg_iovlen = iov.size();
    if (uring) run_uring(msg);
    else run_syscalls(msg);
  }

 private:
  // Counts a measured round, starting the CPU clock at the first one.
  bool round_counts(bool& was_measuring, double& cpu0) {
    bool m = measuring->load(std::memory_order_relaxed);
    if (m && !was_measuring) cpu0 = thread_cpu_seconds();
    if (!m && was_measuring) cpu_seconds = thread_cpu_seconds() - cpu0;
    was_measuring = m;
    return m;
  }

  void run_uring(msghdr& msg) {
    // The whole round fits the SQ, so it goes in one io_uring_enter (the kernel caps
    // entries at 32768; a bigger N costs one more enter per 32768 sockets).
    unsigned entries = 1;
    while (entries < fds.size() && entries < 32768) entries <<= 1;
    io_uring ring;
    io_uring_params p{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    p.cq_entries = 2 * entries;
    int rc = io_uring_queue_init_params(entries, &ring, &p);
    if (rc == -EINVAL) {  // kernels before 6.1
      p = io_uring_params{};
      p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN;
      p.cq_entries = 2 * entries;
      rc = io_uring_queue_init_params(entries, &ring, &p);
    }
    if (rc < 0) die("io_uring_queue_init", -rc);
    bool was_measuring = false;
    double cpu0 = 0;
    while (!stop->load(std::memory_order_relaxed)) {
      const bool counts = round_counts(was_measuring, cpu0);
      unsigned queued = 0, enters = 0;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);
        if (!sqe) {  // only when N > 32768
          io_uring_submit(&ring);
          ++enters;
          sqe = io_uring_get_sqe(&ring);
        }
        io_uring_prep_sendmsg(sqe, fds[i], &msg, MSG_NOSIGNAL);
        sqe->user_data = i;
        ++queued;
      }
      // Submit and wait for the round in one enter. A send that found its socket full
      // is poll-armed by the kernel and completes when the reader drains; waiting for
      // the whole round keeps one send in flight per socket, as chatd does.
      rc = io_uring_submit_and_wait(&ring, queued);
      if (rc < 0 && rc != -EINTR) die("io_uring_submit_and_wait", -rc);
      ++enters;
      unsigned done = 0, wrote = 0;
      uint64_t got = 0;
      while (done < queued) {
        io_uring_cqe* cqe;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&ring, head, cqe) {
          if (cqe->res < 0) die("sendmsg completion", -cqe->res);
          got += uint64_t(cqe->res);
          wrote += cqe->res > 0;
          ++seen;
        }
        io_uring_cq_advance(&ring, seen);
        done += seen;
        if (done < queued) {
          rc = io_uring_wait_cqe_nr(&ring, &cqe, queued - done);
          if (rc < 0 && rc != -EINTR) die("io_uring_wait_cqe_nr", -rc);
          ++enters;
        }
      }
      all_bytes += got;
      if (counts) {
        bytes += got;
        ++rounds;
        this->enters += enters;
        sends += wrote;
      }
    }
    if (was_measuring) cpu_seconds = thread_cpu_seconds() - cpu0;
    io_uring_queue_exit(&ring);
  }

  void run_syscalls(msghdr& msg) {
    bool was_measuring = false;
    double cpu0 = 0;
    while (!stop->load(std::memory_order_relaxed)) {
      const bool counts = round_counts(was_measuring, cpu0);
      uint64_t got = 0, wrote = 0;
      for (int fd : fds) {
        ssize_t r = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r > 0) got += uint64_t(r), ++wrote;
        else if (r < 0 && errno != EAGAIN) die("sendmsg", errno);
        // EAGAIN: that socket skips a round (the epoll backend would wait for EPOLLOUT).
      }
      all_bytes += got;
      if (counts) {
        bytes += got;
        ++rounds;
        enters += fds.size();
        sends += wrote;
      }
    }
    if (was_measuring) cpu_seconds = thread_cpu_seconds() - cpu0;
  }
};

void run_once(const Options& o, int members) {
  const std::string frame = make_frame(o.frame_bytes);
  std::vector<int> send_fds, recv_fds;
  make_pairs(members, send_fds, recv_fds);

  const int cpus = int(std::thread::hardware_concurrency());
  Reader reader;
  const int reader_cpu = o.reader_cpu >= 0 ? o.reader_cpu : (o.pin ? cpus - 1 : -1);
  std::thread reader_thread([&] { reader.run(recv_fds, reader_cpu); });

  std::atomic<bool> measuring{false}, stop{false};
  std::vector<Sender> senders(std::size_t(o.senders));
  for (std::size_t i = 0; i < send_fds.size(); ++i) senders[i % senders.size()].fds.push_back(send_fds[i]);
  std::vector<std::thread> threads;
  for (int k = 0; k < o.senders; ++k) {
    senders[std::size_t(k)].measuring = &measuring;
    senders[std::size_t(k)].stop = &stop;
    const int cpu = o.sender_cpu >= 0 ? (o.sender_cpu + k) % cpus : (o.pin ? k : -1);
    threads.emplace_back([&, k, cpu] { senders[std::size_t(k)].run(frame, o.per_send, o.uring, cpu); });
  }

  auto sleep_for = [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); };
  sleep_for(o.warmup);
  const uint64_t reader_before = reader.bytes.load();
  const auto t0 = Clock::now();
  measuring.store(true);
  sleep_for(o.seconds);
  measuring.store(false);
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const uint64_t reader_during = reader.bytes.load() - reader_before;
  stop.store(true);
  for (auto& t : threads) t.join();

  uint64_t bytes = 0, all_bytes = 0, rounds = 0, enters = 0, sends = 0;
  double sender_cpu = 0;
  for (auto& s : senders) {
    bytes += s.bytes;
    all_bytes += s.all_bytes;
    rounds += s.rounds;
    enters += s.enters;
    sends += s.sends;
    sender_cpu += s.cpu_seconds;
  }
  // Everything the kernel accepted must reach the other ends: wait for the reader.
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  while (reader.bytes.load() < all_bytes && Clock::now() < deadline) sleep_for(0.01);
  reader.stop.store(true);
  reader_thread.join();
  const uint64_t total_read = reader.bytes.load();
  // Frames are counted from completions; the reader's count of the same window
  // is a cross-check (it lags by what sat in socket buffers at the edges).
  const uint64_t frames = bytes / frame.size();
  const double fps = double(frames) / elapsed;
  const double reader_fps = double(reader_during / frame.size()) / elapsed;
  const bool verified = total_read == all_bytes;
  std::printf(
      "fanout_limit members=%d senders=%d submit=%s frame_bytes=%zu per_send=%d seconds=%.2f "
      "frames_per_second=%.0f sends_per_second=%.0f reader_frames_per_second=%.0f rounds=%llu "
      "enters_per_round=%.2f "
      "sender_cpu_ns_per_frame=%.0f frames_per_sender_cpu_second=%.0f reader_cpu_ns_per_frame=%.0f "
      "verified=%s\n",
      members, o.senders, o.uring ? "uring" : "syscall", frame.size(), o.per_send, elapsed, fps,
      double(sends) / elapsed, reader_fps,
      (unsigned long long)rounds, rounds ? double(enters) / double(rounds) : 0.0,
      frames ? sender_cpu * 1e9 / double(frames) : 0.0, sender_cpu > 0 ? double(frames) / sender_cpu : 0.0,
      frames ? reader.cpu_seconds * 1e9 / double(total_read / frame.size()) : 0.0,
      verified ? "yes" : "no");
  std::fflush(stdout);
  for (int fd : send_fds) close(fd);
  for (int fd : recv_fds) close(fd);
}

void usage(std::FILE* to) {
  std::fprintf(to,
      "usage: fanout_limit [--members N]... [--seconds S] [--size BYTES] [--senders K]\n"
      "                    [--submit uring|syscall] [--per-send K] [--pin]\n"
      "                    [--sender-cpu C] [--reader-cpu C]\n"
      "Writes one prepared frame to N loopback TCP sockets per round (one sendmsg SQE per\n"
      "socket, one io_uring_enter per round) while a thread drains the other ends, and\n"
      "prints frames written per second. Defaults: --members 100 and 1000, --seconds 3,\n"
      "--size 100, --senders 1, --submit uring, --per-send 1 (frames per sendmsg, as\n"
      "that many iovecs; at most 1024). --pin puts sender k on CPU k and the reader on\n"
      "the last CPU; --sender-cpu / --reader-cpu choose the CPUs instead. N is capped by\n"
      "the open-file limit (2N fds).\n");
}

Options parse(int argc, char** argv) {
  Options o;
  auto value = [&](int& i) -> std::string_view {
    if (i + 1 >= argc) { usage(stderr); std::exit(2); }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--members") o.members.push_back(std::atoi(value(i).data()));
    else if (a == "--seconds") o.seconds = std::atof(value(i).data());
    else if (a == "--size") o.frame_bytes = std::atoi(value(i).data());
    else if (a == "--senders") o.senders = std::atoi(value(i).data());
    else if (a == "--pin") o.pin = true;
    else if (a == "--per-send") o.per_send = std::atoi(value(i).data());
    else if (a == "--sender-cpu") o.sender_cpu = std::atoi(value(i).data());
    else if (a == "--reader-cpu") o.reader_cpu = std::atoi(value(i).data());
    else if (a == "--submit") {
      std::string_view v = value(i);
      if (v != "uring" && v != "syscall") { usage(stderr); std::exit(2); }
      o.uring = v == "uring";
    } else if (a == "-h" || a == "--help") { usage(stdout); std::exit(0); }
    else { std::fprintf(stderr, "fanout_limit: unknown argument %s\n", argv[i]); usage(stderr); std::exit(2); }
  }
  if (o.members.empty()) o.members = {100, 1000};
  if (o.seconds <= 0 || o.frame_bytes < 16 || o.frame_bytes > 65536 || o.senders < 1 ||
      o.per_send < 1 || o.per_send > kMaxPerSend) {
    usage(stderr);
    std::exit(2);
  }
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  for (int n : o.members) {
    if (n < o.senders || rlim_t(2 * n + 64) > rl.rlim_cur) {
      std::fprintf(stderr, "fanout_limit: --members %d needs %d fds; the limit is %llu\n", n,
                   2 * n + 64, (unsigned long long)rl.rlim_cur);
      return 2;
    }
    run_once(o, n);
  }
  return 0;
}
