/*
 * calc_node.h -- private to calc.c and calc_eval.c: the tree of a value
 * expression (cs_calc), and the calendar helpers the two share.
 */
#ifndef CS_CALC_NODE_H
#define CS_CALC_NODE_H

#include "calc.h"

enum { C_COL, C_LIT, C_NEG, C_ADD, C_SUB, C_MUL, C_DIV, C_FN };
enum { F_YEAR, F_QUARTER, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_WEEKDAY, F_DATE_TRUNC, F_BUCKET,
       F_ABS, F_ROUND, F_LOWER, F_UPPER, F_LENGTH, F_COALESCE };
/* date_trunc's units */
enum { U_YEAR, U_QUARTER, U_MONTH, U_WEEK, U_DAY, U_HOUR, U_MINUTE };
#define CS_MAX_ARGS 16

typedef struct cs_cnode {
	int op, fn;
	uint8_t type;
	int nargs, arg[CS_MAX_ARGS];
	uint32_t col;
	/* C_LIT: its token and value; F_DATE_TRUNC: the unit in i; F_BUCKET:
	 * the width in i / d; F_ROUND: the digits in i */
	int tok;
	int64_t i;
	double d;
	char *s;
	uint32_t slen;
	size_t at, len; /* its text in the source */
	/* a function of a dictionary column: its value for each entry */
	int64_t *dint;
	cs_str *dstr;
	char *dbytes;
} cs_cnode;

struct cs_calc {
	colstore_reader *r;
	cs_cnode *nodes;
	int n, cap, root;
	char *text; /* the source text it came from */
	size_t at;
};

/* a / b rounded toward minus infinity */
CS_HIDDEN int64_t cs_floordiv(int64_t a, int64_t b);
/* a date or timestamp's part, or the date or timestamp truncated (*ovf
 * set when that lies before the first timestamp) */
CS_HIDDEN int64_t cs_time_fn(int fn, int unit, uint8_t t, int64_t v, int *ovf);

#endif
