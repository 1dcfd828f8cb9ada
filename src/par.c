/*
 * par.c -- one function run on several threads at once, for work that is
 * not a scan (cs_par): fn(ctx, t, nt) for t = 0 .. nt - 1, part 0 on the
 * calling thread.  A thread that cannot be started leaves its part to the
 * calling thread, after its own: the work is done either way, only slower.
 */
#include <pthread.h>

#include "internal.h"

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
		started[t] = pthread_create(&th[t], NULL, cs_par_main, &arg[t]) == 0;
	}
	fn(ctx, 0, nt);
	for (uint32_t t = 1; t < nt; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		else
			fn(ctx, t, nt);
	}
}
