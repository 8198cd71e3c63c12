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

int64_t ql_deadline_ms(int64_t timeout_ms)
{
    return timeout_ms < 0 ? -1 : ql_mono_ms() + timeout_ms;
}

int ql_deadline_left_ms(int64_t deadline)
{
    if (deadline < 0)
        return -1;
    int64_t left = deadline - ql_mono_ms();
    return left <= 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
}
