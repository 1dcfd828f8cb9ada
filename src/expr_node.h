/*
 * expr_node.h -- private to expr.c and expr_eval.c: a --where filter's
 * tree (colstore_filter) and the comparisons both the parser and the
 * evaluation make.
 */
#ifndef CS_EXPR_NODE_H
#define CS_EXPR_NODE_H

#include "calc.h"

/* N_XCMP: two value expressions compared (op, or like: pattern in sval);
 * N_XNULL: a value expression [not] null (op 1: not) */
enum { N_AND, N_OR, N_CMP, N_NULL, N_XCMP, N_XNULL };

/* a set of values as a range [lo, hi] (R_IN) or its complement (R_OUT) */
enum { R_NONE, R_ALL, R_IN, R_OUT, R_TABLE };

typedef struct cs_node {
	int kind, op;       /* N_NULL: op = 1 for "is not null" */
	int neg;            /* N_CMP, N_XCMP: true on the non-null rows where op
	                     * is not (not of a float comparison, which NaN keeps
	                     * from being another comparison; not like; any
	                     * N_XCMP); a negated comparison of any other type
	                     * takes the opposite op instead (cs_negate) */
	int l, r;           /* children (node indexes) of AND / OR */
	uint32_t col;
	uint8_t type;
	int lit_int;        /* integer-like column compared with an integer literal */
	int64_t ival;
	double dval;
	char *sval;
	uint32_t slen;
	uint8_t *dict_match; /* string column: per dictionary code, 1 if it matches */
	int dict_set;        /* R_*: the matching codes as one range of codes, */
	uint32_t dict_lo, dict_hi; /* or its complement; R_TABLE: look up each */
	int xl, xr;          /* N_XCMP, N_XNULL: the sides, in f->calcs (xr -1: none) */
	/* N_XCMP, N_XNULL whose left side reads one dictionary string column,
	 * against a literal: the result for each dictionary entry of xd_col,
	 * and for a null, worked out once at parse time */
	uint8_t *xd_match;
	uint32_t xd_col;
	uint8_t xd_null;
} cs_node;


struct colstore_filter {
	colstore_reader *r;
	cs_node *nodes;
	int n, cap, root, depth;
	cs_calc **calcs;  /* the value expressions of N_XCMP and N_XNULL nodes */
	int ncalc, calc_cap;
	uint64_t serial;  /* names the filter's state kept in a worker's buffers */
};

static inline int cs_is_float_type(uint8_t t)
{
	return t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64;
}

static inline int cs_op_ok(int op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	default: return c >= 0;
	}
}

/* a string against a leaf's literal: its op, then its negation */
static inline int cs_str_ok(const cs_node *d, const char *s, uint32_t len)
{
	int ok = d->op >= OP_LIKE ? cs_like(s, len, d->sval, d->slen, d->op == OP_ILIKE)
	                          : cs_op_ok(d->op, cs_bytes_cmp(s, len, d->sval, d->slen));
	return ok ^ d->neg;
}

/* node d's result for each dictionary entry of the one column its left
 * side reads, worked out at parse time where it can be (expr_eval.c) */
CS_HIDDEN void cs_xdict(colstore_filter *f, cs_node *d);

#endif
