/*
 * write_table.c -- write a colstore file from C arrays.
 *
 *   write_table OUT [ROWS]
 *
 * Four columns of ROWS rows (default 100000): id int64, city string (a few
 * distinct values, so it is dictionary-encoded), temp float64 with a null
 * every 10th row, and ok bool.  The rows are handed over column by column,
 * 4096 at a time (colstore_writer_append_batch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <colstore/colstore.h>

#define BATCH 4096

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s OUT [ROWS]\n", argv[0]);
		return 2;
	}
	const size_t rows = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	static const char *const cities[] = { "Lyon", "Oslo", "Porto", "Quito" };

	colstore_error e;
	colstore_writer *w;
	if (colstore_writer_create(argv[1], NULL, &w, &e) ||
	    colstore_writer_add_column(w, "id", COLSTORE_TYPE_INT64, 0, &e) ||
	    colstore_writer_add_column(w, "city", COLSTORE_TYPE_STRING, COLSTORE_COLUMN_AUTO, &e) ||
	    colstore_writer_add_column(w, "temp", COLSTORE_TYPE_FLOAT64, 0, &e) ||
	    colstore_writer_add_column(w, "ok", COLSTORE_TYPE_BOOL, 0, &e)) {
		fprintf(stderr, "%s: %s\n", argv[1], e.message);
		colstore_writer_abort(w); /* NULL when create failed: a no-op */
		return 1;
	}

	static int64_t id[BATCH];
	static double temp[BATCH];
	static uint8_t ok[BATCH], temp_valid[BATCH / 8];
	static char city_bytes[BATCH * 8];
	static uint64_t city_off[BATCH + 1];
	for (size_t done = 0; done < rows;) {
		size_t n = rows - done < BATCH ? rows - done : BATCH;
		size_t bytes = 0;
		memset(temp_valid, 0, sizeof(temp_valid));
		for (size_t i = 0; i < n; i++) {
			size_t row = done + i;
			const char *c = cities[row % 4];
			id[i] = (int64_t)row;
			city_off[i] = bytes;
			memcpy(city_bytes + bytes, c, strlen(c));
			bytes += strlen(c);
			temp[i] = (double)(row % 400) / 10.0 - 10.0;
			if (row % 10 != 0) /* every 10th temperature is missing */
				temp_valid[i / 8] |= (uint8_t)(1u << (i % 8));
			ok[i] = row % 3 == 0;
		}
		city_off[n] = bytes;
		const colstore_array cols[4] = {
			{ id, NULL, NULL },
			{ city_bytes, city_off, NULL },
			{ temp, NULL, temp_valid },
			{ ok, NULL, NULL },
		};
		if (colstore_writer_append_batch(w, cols, n, &e)) {
			fprintf(stderr, "%s: %s\n", argv[1], e.message);
			colstore_writer_abort(w);
			return 1;
		}
		done += n;
	}
	/* finish frees the writer, whatever it returns */
	if (colstore_writer_finish(w, &e)) {
		fprintf(stderr, "%s: %s\n", argv[1], e.message);
		return 1;
	}
	printf("wrote %zu rows to %s\n", rows, argv[1]);
	return 0;
}
