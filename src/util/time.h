/* Clocks for deadlines and intervals: always the monotonic clock, so that a change of the
 * wall clock never stretches or cuts a timeout. */
#pragma once
#include <stdint.h>

int64_t ql_mono_ms(void);
int64_t ql_mono_us(void);
/* The deadline timeout_ms from now; -1 (none) when timeout_ms < 0. */
int64_t ql_deadline_ms(int64_t timeout_ms);
/* What is left of a deadline as a poll() timeout: -1 without one (deadline < 0), 0 once it
 * has passed, at most INT32_MAX. */
int ql_deadline_left_ms(int64_t deadline);
