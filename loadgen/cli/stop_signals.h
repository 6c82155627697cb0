// Ctrl-C and SIGTERM: the first one raises a flag that every mode polls, so the
// run stops between steps' waits and still writes its results; the second one
// (the handler resets itself) kills the process as usual.
#pragma once

#include <atomic>

namespace chatd::loadgen {

// Installs the handlers; returns the flag they raise.
const std::atomic<bool>& install_stop_signals();
// Helper threads call this first, so the signals reach the main thread only.
void block_stop_signals();

}  // namespace chatd::loadgen
