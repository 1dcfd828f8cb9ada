/*
 * par.c -- the library's threads: how each is started (cs_thread_start),
 * and one function run on several threads at once, for work that is not a
 * scan (cs_par): fn(ctx, t, nt) for t = 0 .. nt - 1, part 0 on the calling
 * thread.  A thread that cannot be started leaves its part to the calling
 * thread, after its own: the work is done either way, only slower.
 */
#define _GNU_SOURCE /* sched_getcpu, pthread_attr_setaffinity_np */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "internal.h"

/* A new thread is first put on the CPU of the thread that made it, and
 * there it waits while that thread runs on: until the scheduler's tick
 * (4 ms here) or a load balance moves one of them, even with another CPU
 * idle.  On the benchmark VM an aggregation's second worker began 2.2-4.0
 * ms after pthread_create in most runs, a sixth of a 25 ms query.  So the
 * thread is started allowed every CPU of the caller's but the caller's
 * current one, which puts it on another, and it takes back the caller's
 * full set as it begins (0.5-0.9 ms after the create).  Where that cannot
 * be done, or only one CPU is allowed, it starts as any thread would. */
typedef struct cs_thread_arg {
	void *(*fn)(void *);
	void *arg;
#ifdef CPU_COUNT
	cpu_set_t all; /* the creating thread's CPUs */
#endif
} cs_thread_arg;

static void *cs_thread_main(void *p)
{
	cs_thread_arg a = *(cs_thread_arg *)p;
	free(p);
#ifdef CPU_COUNT
	(void)pthread_setaffinity_np(pthread_self(), sizeof(a.all), &a.all);
#endif
	return a.fn(a.arg);
}

int cs_thread_start(pthread_t *th, void *(*fn)(void *), void *arg)
{
#ifdef CPU_COUNT
	cs_thread_arg *a = malloc(sizeof(*a));
	pthread_attr_t at;
	int cpu = sched_getcpu();
	if (a && cpu >= 0 && cpu < CPU_SETSIZE &&
	    !pthread_getaffinity_np(pthread_self(), sizeof(a->all), &a->all) &&
	    CPU_ISSET(cpu, &a->all) && CPU_COUNT(&a->all) > 1 && !pthread_attr_init(&at)) {
		cpu_set_t other = a->all;
		CPU_CLR(cpu, &other);
		a->fn = fn;
		a->arg = arg;
		int rc = pthread_attr_setaffinity_np(&at, sizeof(other), &other) ? -1
		         : pthread_create(th, &at, cs_thread_main, a);
		pthread_attr_destroy(&at);
		if (!rc)
			return 0;
	}
	free(a);
#endif
	return pthread_create(th, NULL, fn, arg);
}

typedef struct cs_par_arg {
	cs_par_fn fn;
	void *ctx;
	uint32_t t, nt;
} cs_par_arg;

static void *cs_par_main(void *p)
{
	const cs_par_arg *a = p;
	a->fn(a->ctx, a->t, a->nt);
	return NULL;
}

void cs_par(uint32_t nt, cs_par_fn fn, void *ctx)
{
	if (nt > CS_PAR_MAX)
		nt = CS_PAR_MAX;
	pthread_t th[CS_PAR_MAX];
	cs_par_arg arg[CS_PAR_MAX];
	int started[CS_PAR_MAX] = { 0 };
	for (uint32_t t = 1; t < nt; t++) {
		arg[t] = (cs_par_arg){ fn, ctx, t, nt };
		started[t] = cs_thread_start(&th[t], cs_par_main, &arg[t]) == 0;
	}
	fn(ctx, 0, nt);
	for (uint32_t t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			fn(ctx, t, nt);
	}
}
