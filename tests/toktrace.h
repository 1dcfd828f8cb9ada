/*
 * toktrace.h -- a run of the CSV tokenizer (src/csv.c) written out as text:
 * every record's line, fields (offset, length, flags) and lenient verdict,
 * then how it ended (error code, line, field, message).  Two runs over the
 * same input compare as strings: the CUnit suite and fuzz_csv.c compare the
 * tokenizer with each table's stop masks (simd_csv.c) against a byte-by-byte
 * scan this way.
 */
#ifndef COLSTORE_TOKTRACE_H
#define COLSTORE_TOKTRACE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* the trace of text with dialect d, the stop masks made by stops, or with
 * no masks at all when stops is NULL: every field's end found byte by byte
 * (the reference); malloc'd, NULL when out of memory */
static inline char *tok_trace(const uint8_t *text, size_t len, const cs_dialect *d,
                              uint64_t (*stops)(const uint8_t *, const uint8_t *))
{
	size_t cap = 4096, n = 0;
	char *out = malloc(cap), *o2;
	cs_csv c;
	colstore_error err;
	memset(&err, 0, sizeof(err));
	if (!out || cs_csv_init(&c, text, len, d)) {
		free(out);
		return NULL;
	}
	c.stops = stops;
	int rc;
	while ((rc = cs_csv_next(&c, &err)) == 1) {
		if (cap - n < 64 + (size_t)c.nfields * 40) {
			cap = 2 * cap + (size_t)c.nfields * 40;
			if (!(o2 = realloc(out, cap)))
				break;
			out = o2;
		}
		n += (size_t)snprintf(out + n, cap - n, "L%llu %s:", (unsigned long long)c.rec_line,
		                      c.bad ? c.bad : "ok");
		for (uint32_t i = 0; i < c.nfields; i++)
			n += (size_t)snprintf(out + n, cap - n, " %td+%u/%u",
			                      (const uint8_t *)c.fields[i].p - text, c.fields[i].len,
			                      c.fields[i].flags);
		out[n++] = '\n';
	}
	if (cap - n < 400 && (o2 = realloc(out, cap += 400)))
		out = o2;
	if (cap - n >= 400)
		snprintf(out + n, cap - n, "end %d line %llu field %llu %s\n", rc,
		         rc ? (unsigned long long)err.line : 0, rc ? (unsigned long long)err.column : 0,
		         rc ? err.message : "");
	cs_csv_free(&c);
	return out;
}

/* the four dialects the comparisons run: ',' with '"'; ';' with '\''
 * quotes and backslash escapes; "||"; tab without quotes */
static inline void tok_dialects(cs_dialect ds[4])
{
	memset(ds, 0, 4 * sizeof(*ds));
	for (int k = 0; k < 4; k++) {
		ds[k].quote = '"';
		ds[k].esc = -1;
		ds[k].comment = -1;
	}
	cs_dialect_delim(&ds[0], ",", 1);
	cs_dialect_delim(&ds[1], ";", 1);
	ds[1].quote = '\'';
	ds[1].esc = '\\';
	cs_dialect_delim(&ds[2], "||", 2);
	cs_dialect_delim(&ds[3], "\t", 1);
	ds[3].quote = -1;
}

#endif
