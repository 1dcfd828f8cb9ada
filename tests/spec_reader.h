/* spec_reader.h - an independent colstore reader written only from format-spec.md.
 *
 * It shares no code with libcolstore; tests use it to show that the specification
 * alone is enough to read (and to reject) colstore files. */
#ifndef COLSTORE_SPEC_READER_H
#define COLSTORE_SPEC_READER_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Parse the colstore file held in data[0..size) using only format-spec.md,
 * check every rule the spec gives (checksums of header, trailer, footer and every block;
 * every offset/size/alignment/reserved-zero/padding rule; content rules of §9),
 * and print the whole table to `out` in the text form below.
 * Returns 0 on success; on any violation returns -1 and writes a one-line
 * message naming the rule (e.g. "R5.5.2: block offset not aligned") into err.
 * Nothing is written to `out` unless the whole file has been validated first. */
int spec_dump(const unsigned char *data, size_t size, FILE *out, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif

#endif /* COLSTORE_SPEC_READER_H */
