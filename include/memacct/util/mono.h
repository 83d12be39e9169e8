/* mono: the monotonic clock for timed waits and durations: a condition
 * variable whose timed waits use it, the time some milliseconds from now on
 * it, now in nanoseconds or seconds and what is left before a deadline; and
 * now on the wall clock in seconds, for ages against timestamps from
 * elsewhere. It does not sleep or wait itself. */
#ifndef MEMACCT_MONO_H
#define MEMACCT_MONO_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* pthread_cond_init with CLOCK_MONOTONIC for pthread_cond_timedwait. 0 or
 * an errno value, as pthread_cond_init. */
int mono_cond_init(pthread_cond_t *c);
/* CLOCK_MONOTONIC's now plus ms, for pthread_cond_timedwait. */
struct timespec mono_after_ms(long ms);
/* CLOCK_MONOTONIC's now in nanoseconds, and in seconds (for durations). */
uint64_t mono_now_ns(void);
double mono_now_s(void);
/* CLOCK_REALTIME's now in seconds since the epoch (for ages of Unix
 * timestamps; it may jump). */
double wall_now_s(void);
/* Milliseconds left before deadline_ns (CLOCK_MONOTONIC), rounded up; 0
 * once it has passed. */
unsigned mono_left_ms(uint64_t deadline_ns);

#endif
