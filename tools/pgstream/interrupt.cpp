#include "interrupt.hpp"

#include <signal.h>
#include <unistd.h>

namespace pgstream::cli {
namespace {

// Signal handlers may only touch lock-free atomics (and async-signal-safe calls such as _exit).
std::atomic<int> g_interrupts{0};
static_assert(std::atomic<int>::is_always_lock_free);
std::atomic<bool> g_exit_on_second{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void on_interrupt(int) {
  const int before = g_interrupts.fetch_add(1, std::memory_order_relaxed);
  if (before >= 1 && g_exit_on_second.load(std::memory_order_relaxed)) ::_exit(kInterruptedExitStatus);
}

}  // namespace

void install_interrupt_handlers(SecondInterrupt second) {
  g_exit_on_second.store(second == SecondInterrupt::exits_now, std::memory_order_relaxed);
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: see the header
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

const std::atomic<int>& interrupt_count() noexcept { return g_interrupts; }

}  // namespace pgstream::cli
