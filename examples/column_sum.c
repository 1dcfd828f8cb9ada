/*
 * column_sum.c -- open a colstore file and sum one numeric column, reading
 * each row group's values in place from the file's mapping.
 *
 *   column_sum FILE COLUMN
 *
 * Prints the sum, the count of non-null values, and how many row groups
 * were read without a copy: stored uncompressed, their values pointer is
 * the block's own place in the mapping (colstore_reader_block says so).
 */
#include <stdio.h>

#include <colstore/colstore.h>

static int is_valid(const colstore_values *v, uint32_t i)
{
	return !v->validity || (v->validity[i / 8] >> (i % 8) & 1);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s FILE COLUMN\n", argv[0]);
		return 2;
	}
	colstore_error e;
	colstore_reader *r;
	if (colstore_reader_open(argv[1], NULL, &r, &e)) {
		fprintf(stderr, "%s: %s\n", argv[1], e.message);
		return 1;
	}
	uint32_t col;
	colstore_buffers *b = colstore_buffers_create();
	if (!b || colstore_reader_find_column(r, argv[2], &col, &e)) {
		fprintf(stderr, "%s: %s\n", argv[1], b ? e.message : "out of memory");
		colstore_buffers_free(b);
		colstore_reader_close(r);
		return 1;
	}
	double sum = 0;
	uint64_t count = 0;
	uint32_t in_place = 0, groups = colstore_reader_num_row_groups(r);
	int rc = 0;
	for (uint32_t g = 0; g < groups && !rc; g++) {
		colstore_values v;
		if ((rc = colstore_reader_values(r, g, col, b, &v, &e))) {
			fprintf(stderr, "%s: %s\n", argv[1], e.message);
			break;
		}
		colstore_block blk;
		if (colstore_reader_block(r, g, col, COLSTORE_BLOCK_DATA, NULL, 0, &blk, NULL) == 0 &&
		    blk.zero_copy && blk.data == v.data)
			in_place++;
		for (uint32_t i = 0; i < v.rows; i++) {
			if (!is_valid(&v, i))
				continue;
			switch (v.type) {
			case COLSTORE_TYPE_INT8: sum += ((const int8_t *)v.data)[i]; break;
			case COLSTORE_TYPE_INT16: sum += ((const int16_t *)v.data)[i]; break;
			case COLSTORE_TYPE_INT32: sum += ((const int32_t *)v.data)[i]; break;
			case COLSTORE_TYPE_INT64: sum += (double)((const int64_t *)v.data)[i]; break;
			case COLSTORE_TYPE_FLOAT32: sum += ((const float *)v.data)[i]; break;
			case COLSTORE_TYPE_FLOAT64: sum += ((const double *)v.data)[i]; break;
			default:
				fprintf(stderr, "%s: column %s is not numeric\n", argv[1], argv[2]);
				rc = 1;
				i = v.rows;
			}
			count += !rc;
		}
	}
	if (!rc)
		printf("sum(%s) = %.17g over %llu values; %u of %u row groups read in place\n",
		       argv[2], sum, (unsigned long long)count, in_place, groups);
	colstore_buffers_free(b);
	colstore_reader_close(r);
	return rc ? 1 : 0;
}
