/*
 * mksample.c -- write the bundled sample data set: a deterministic,
 * sales-like table, through the public writer API.
 *
 * Usage: mksample [-n ROWS] [--lz4] OUT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colstore/colstore.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* splitmix64: deterministic across platforms */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const regions[16] = {
	"north", "south", "east", "west", "north-east", "north-west", "south-east",
	"south-west", "central", "coast", "highlands", "islands", "lakes", "plains",
	"valley", "metro",
};

static int check(int rc, const colstore_error *e)
{
	if (rc) {
		fprintf(stderr, "mksample: %s (%s)\n", e->message, colstore_strerror(rc));
		exit(1);
	}
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t rows = 100000;
	const char *out = NULL;
	colstore_writer_options opts = COLSTORE_WRITER_OPTIONS_INIT;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			rows = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--lz4") == 0)
			opts.compression = COLSTORE_COMPRESSION_LZ4;
		else if (argv[i][0] != '-' && !out)
			out = argv[i];
		else {
			fprintf(stderr, "usage: mksample [-n ROWS] [--lz4] OUT\n");
			return 2;
		}
	}
	if (!out) {
		fprintf(stderr, "usage: mksample [-n ROWS] [--lz4] OUT\n");
		return 2;
	}
	colstore_error e;
	colstore_writer *w;
	check(colstore_writer_create(out, &opts, &w, &e), &e);
	check(colstore_writer_add_column(w, "id", COLSTORE_TYPE_INT64, 0, &e), &e);
	check(colstore_writer_add_column(w, "ts", COLSTORE_TYPE_TIMESTAMP, 0, &e), &e);
	check(colstore_writer_add_column(w, "day", COLSTORE_TYPE_DATE, 0, &e), &e);
	check(colstore_writer_add_column(w, "region", COLSTORE_TYPE_STRING, 0, &e), &e);
	check(colstore_writer_add_column(w, "city", COLSTORE_TYPE_STRING, 0, &e), &e);
	check(colstore_writer_add_column(w, "qty", COLSTORE_TYPE_INT8, 0, &e), &e);
	check(colstore_writer_add_column(w, "price", COLSTORE_TYPE_FLOAT64, 0, &e), &e);
	check(colstore_writer_add_column(w, "discount", COLSTORE_TYPE_FLOAT32, 0, &e), &e);
	check(colstore_writer_add_column(w, "returned", COLSTORE_TYPE_BOOL, 0, &e), &e);
	check(colstore_writer_add_column(w, "note", COLSTORE_TYPE_STRING, 0, &e), &e);
	int64_t t0 = 1735689600ll * 1000000; /* 2025-01-01T00:00:00Z */
	char city[32], note[64];
	for (uint64_t i = 0; i < rows; i++) {
		int64_t ts = t0 + (int64_t)i * 7919000 + (int64_t)(rnd() % 1000000);
		check(colstore_writer_put_int(w, 0, (int64_t)i + 1, &e), &e);
		check(colstore_writer_put_int(w, 1, ts, &e), &e);
		check(colstore_writer_put_int(w, 2, ts / 86400000000ll, &e), &e);
		const char *reg = regions[rnd() % 16];
		check(colstore_writer_put_string(w, 3, reg, strlen(reg), &e), &e);
		int cl = snprintf(city, sizeof(city), "city-%03u", (unsigned)(rnd() % 200));
		check(colstore_writer_put_string(w, 4, city, (size_t)cl, &e), &e);
		check(colstore_writer_put_int(w, 5, (int64_t)(rnd() % 100) + 1, &e), &e);
		check(colstore_writer_put_double(w, 6, (double)(rnd() % 100000) / 100.0, &e), &e);
		if (rnd() % 20 == 0)
			check(colstore_writer_put_null(w, 7, &e), &e);
		else
			check(colstore_writer_put_double(w, 7, (double)(rnd() % 30) / 100.0, &e), &e);
		check(colstore_writer_put_int(w, 8, rnd() % 10 == 0, &e), &e);
		uint64_t k = rnd() % 100;
		if (k < 60) {
			check(colstore_writer_put_null(w, 9, &e), &e);
		} else {
			int nl = snprintf(note, sizeof(note), "%s order %llu",
			                  k < 70 ? "gift," : k < 72 ? "said \"fast\"" : "ok",
			                  (unsigned long long)(rnd() % 1000000));
			check(colstore_writer_put_string(w, 9, note, (size_t)nl, &e), &e);
		}
		check(colstore_writer_end_row(w, &e), &e);
	}
	check(colstore_writer_finish(w, &e), &e);
	return 0;
}
