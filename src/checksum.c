/*
 * checksum.c -- XXH3-64, seed 0 (format-spec.md §2, §11).
 *
 * A distribution's libxxhash is built for the baseline CPU, so its
 * XXH3_64bits runs SSE2 code (17 GB/s on the benchmark machine); its
 * XXH3_64bits_dispatch, where the library has one, picks AVX2 or AVX-512
 * at run time (72 GB/s there).  The same hash either way; the scalar SIMD
 * table (COLSTORE_SIMD=scalar) keeps the plain one, so that tests run both.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <xxhash.h>
#if defined(HAVE_XXH_X86DISPATCH_H) && defined(HAVE_XXH3_64BITS_DISPATCH) && \
        defined(__x86_64__) && defined(__GNUC__)
#define XXH_DISPATCH_DISABLE_REPLACE /* the plain names stay the plain functions */
#include <xxh_x86dispatch.h>
#define CS_XXH_DISPATCH 1
#endif

#include "internal.h"

/* below this the vector loop is not reached (XXH3 hashes up to 240 bytes
 * without it) or not worth a call through the dispatcher */
#define CS_XXH_DISPATCH_MIN 1024

uint64_t cs_xxh3_plain(const void *p, size_t n)
{
	return (uint64_t)XXH3_64bits(p, n);
}

uint64_t cs_xxh3_vector(const void *p, size_t n)
{
#ifdef CS_XXH_DISPATCH
	uint64_t h = (uint64_t)XXH3_64bits_dispatch(p, n);
	/* Debian's build of the AVX-512 kernel returns without vzeroupper:
	 * SSE code after it (the plain XXH3 among it) then ran 4x slower on
	 * the benchmark machine.  Only the AVX2 and AVX-512 tables call this,
	 * so the CPU has the instruction. */
	__asm__ volatile("vzeroupper" ::: "memory");
	return h;
#else
	return (uint64_t)XXH3_64bits(p, n);
#endif
}

uint64_t cs_xxh3(const void *p, size_t n)
{
	if (n < CS_XXH_DISPATCH_MIN)
		return (uint64_t)XXH3_64bits(p, n);
	return cs_simd()->hash(p, n);
}
