#pragma once
// Ctrl-C (SIGINT) and SIGTERM for the long-running commands, `load` and `bench`: the first one
// asks the job to stop gracefully (the job polls interrupt_count()); what the second does is the
// job's choice, because only some jobs have an abort path of their own.

#include <atomic>

namespace pgstream::cli {

// The exit status of an interrupted command (128 + SIGINT, as shells report it).
inline constexpr int kInterruptedExitStatus = 130;

enum class SecondInterrupt {
  job_aborts,  // the count reaches 2 and the job, which watches it, aborts and reports (load)
  exits_now,   // the process leaves at once with kInterruptedExitStatus, no report (bench)
};

// Installs the handler for SIGINT and SIGTERM. Without SA_RESTART: a blocking wait returns
// EINTR, so the job's loop sees the first signal at once instead of at its next wake-up.
void install_interrupt_handlers(SecondInterrupt second);

// How many SIGINT/SIGTERM arrived since the handlers were installed (written by the handler only).
[[nodiscard]] const std::atomic<int>& interrupt_count() noexcept;

}  // namespace pgstream::cli
