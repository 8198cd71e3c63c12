#include "config.h"
#include "util/time.h"

#include <time.h>

int64_t ql_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ql_mono_ms(void)
{
    return ql_mono_us() / 1000;
}
