/* Clocks. */
#pragma once
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds / microseconds. */
int64_t ql_mono_ms(void);
int64_t ql_mono_us(void);
