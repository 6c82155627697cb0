// Autobahn-style conformance at the frame level (the cases: conformance_cases.h). Each
// case's client bytes go through WsReader whole, a byte at a time, and in 997-byte
// chunks; the events must be exactly the expected ones. The tally is printed per group.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "proto/line_framer.h"
#include "ws/conformance_cases.h"
#include "ws/reader.h"

namespace chatd::ws {
namespace {

using conformance::Case;
using conformance::case_groups;
using conformance::describe;
using conformance::kMaxFrame;
using conformance::Seen;

std::vector<Seen> run(const std::string& bytes, std::size_t chop) {
  WsReader reader(kMaxFrame);
  std::vector<Seen> seen;
  auto on_event = [&](const WsEvent& e) {
    seen.push_back({e.kind, e.code, std::string(e.payload)});
    return proto::FrameVerdict::next;
  };
  const std::size_t step = chop == 0 ? std::max<std::size_t>(bytes.size(), 1) : chop;
  for (std::size_t at = 0; at < bytes.size() || at == 0; at += step) {
    const std::size_t n = std::min(step, bytes.size() - at);
    auto chunk = std::make_unique<char[]>(n + proto::kFramePadding);
    if (n > 0) std::memcpy(chunk.get(), bytes.data() + at, n);
    if (reader.feed(std::span<char>(chunk.get(), n), on_event) == ReadResult::stopped) break;
    if (bytes.empty()) break;
  }
  return seen;
}

TEST(WsConformance, AutobahnStyleCaseGroups) {
  const std::map<std::string, std::vector<Case>> groups = case_groups();
  // A case passes when every way of feeding it does; runs count each way.
  int cases_passed_all = 0, cases_all = 0, runs_passed_all = 0, runs_all = 0;
  for (const auto& [group, cases] : groups) {
    int cases_passed = 0, runs_passed = 0, runs = 0;
    for (const Case& k : cases) {
      bool all = true;
      for (std::size_t chop : {std::size_t(0), std::size_t(1), std::size_t(997)}) {
        if (chop == 1 && k.bytes.size() > 20000) continue;  // a byte at a time: the small cases
        ++runs;
        const std::vector<Seen> got = run(k.bytes, chop);
        if (got == k.want) {
          ++runs_passed;
        } else {
          all = false;
          ADD_FAILURE() << "case " << k.id << " (chop " << chop << "): want " << describe(k.want) << "got "
                        << describe(got);
        }
      }
      cases_passed += all;
    }
    std::printf("ws conformance group %-16s cases %3d/%3d  runs %3d/%3d\n", group.c_str(), cases_passed,
                int(cases.size()), runs_passed, runs);
    cases_passed_all += cases_passed;
    cases_all += int(cases.size());
    runs_passed_all += runs_passed;
    runs_all += runs;
  }
  std::printf("ws conformance total                  cases %3d/%3d  runs %3d/%3d\n", cases_passed_all, cases_all,
              runs_passed_all, runs_all);
  EXPECT_EQ(cases_passed_all, cases_all);
}

}  // namespace
}  // namespace chatd::ws
