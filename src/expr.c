/*
 * expr.c -- --where filters: a recursive-descent parser bound to a reader's
 * columns, zone-map skipping from chunk statistics, and column-at-a-time
 * evaluation into selection bitmaps.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

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

/* ---- parser -------------------------------------------------------------------- */

static int cs_new_node(colstore_filter *f)
{
	if (f->n == f->cap) {
		int cap = f->cap ? f->cap * 2 : 16;
		cs_node *nn = realloc(f->nodes, (size_t)cap * sizeof(*nn));
		if (!nn)
			return -1;
		f->nodes = nn;
		f->cap = cap;
	}
	memset(&f->nodes[f->n], 0, sizeof(cs_node));
	f->nodes[f->n].xl = f->nodes[f->n].xr = -1;
	return f->n++;
}

/* a value expression at x, kept by the filter as f->calcs[*out] */
static int cs_value(colstore_filter *f, cs_lex *x, int *out)
{
	cs_calc *c;
	int rc;
	if (f->ncalc == f->calc_cap) {
		int cap = f->calc_cap ? f->calc_cap * 2 : 8;
		cs_calc **nc = realloc(f->calcs, (size_t)cap * sizeof(*nc));
		if (!nc)
			return cs_perr(x, x->start, "out of memory");
		f->calcs = nc;
		f->calc_cap = cap;
	}
	if ((rc = cs_calc_parse(f->r, x, &c)))
		return rc;
	f->calcs[f->ncalc] = c;
	*out = f->ncalc++;
	return COLSTORE_OK;
}

static int cs_expr(colstore_filter *f, cs_lex *x, int *out, int depth);

/* bind literal lit to column node d */
static int cs_bind(cs_lex *x, const cs_calc *lit, cs_node *d, const char *name)
{
	uint8_t t = d->type;
	const char *tn = colstore_type_name(t);
	int tok;
	const char *text, *str;
	size_t len, slen;
	cs_calc_is_literal(lit, &tok, &text, &len, &str, &slen);
	const char *at = x->src + cs_calc_at(lit);
	char shown[64];
	snprintf(shown, sizeof(shown), "'%.*s'", (int)(len > 40 ? 40 : len), text);
	switch (t) {
	case COLSTORE_TYPE_STRING:
		if (tok != T_STR)
			return cs_perr(x, at, "column '%s' is a string: compare it with a 'quoted' "
			               "literal, not %s", name, shown);
		if (!(d->sval = malloc(slen + 1)))
			return cs_perr(x, at, "out of memory");
		memcpy(d->sval, str, slen + 1);
		d->slen = (uint32_t)slen;
		return COLSTORE_OK;
	case COLSTORE_TYPE_BOOL:
		if (tok != T_TRUE && tok != T_FALSE)
			return cs_perr(x, at, "column '%s' is bool: compare it with true or false, "
			               "not %s", name, shown);
		d->lit_int = 1;
		d->ival = tok == T_TRUE;
		return COLSTORE_OK;
	case COLSTORE_TYPE_DATE:
	case COLSTORE_TYPE_TIMESTAMP:
		if (tok != T_STR ||
		    !(t == COLSTORE_TYPE_DATE ? cs_parse_date(str, slen, &d->ival)
		                              : cs_parse_timestamp(str, slen, &d->ival)))
			return cs_perr(x, at, "column '%s' is %s: compare it with an ISO %s in "
			               "quotes such as '%s', not %s", name, tn, tn,
			               t == COLSTORE_TYPE_DATE ? "2025-01-31" : "2025-01-31T10:00:00", shown);
		d->lit_int = 1;
		return COLSTORE_OK;
	default: { /* numbers: the text without spaces ("- 5") */
		char buf[64];
		size_t o = 0;
		if (tok != T_NUM || len >= sizeof(buf))
			return cs_perr(x, at, "column '%s' is %s: compare it with a number, not %s",
			               name, tn, shown);
		for (size_t i = 0; i < len; i++)
			if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
				buf[o++] = text[i];
		buf[o] = '\0';
		char *end;
		double dv = strtod(buf, &end);
		if (*end)
			return cs_perr(x, at, "%s is not a number", shown);
		d->dval = dv;
		int64_t iv;
		if (t != COLSTORE_TYPE_FLOAT32 && t != COLSTORE_TYPE_FLOAT64 &&
		    cs_parse_int_lenient(buf, o, &iv)) {
			d->lit_int = 1;
			d->ival = iv;
		}
		return COLSTORE_OK;
	}
	}
}

static int cs_is_float_type(uint8_t t)
{
	return t == COLSTORE_TYPE_FLOAT32 || t == COLSTORE_TYPE_FLOAT64;
}

static int cs_op_ok(int op, int c)
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
static int cs_str_ok(const cs_node *d, const char *s, uint32_t len)
{
	int ok = d->op >= OP_LIKE ? cs_like(s, len, d->sval, d->slen, d->op == OP_ILIKE)
	                          : cs_op_ok(d->op, cs_bytes_cmp(s, len, d->sval, d->slen));
	return ok ^ d->neg;
}

/* the matching codes as one run (or the complement of one), so that the
 * scan compares codes instead of looking each up: always so for = and, in
 * a sorted dictionary, for < <= > >= */
static void cs_dict_range(cs_node *d, uint32_t count)
{
	const uint8_t *m = d->dict_match;
	uint32_t first = count, last = 0, runs = 0;
	for (uint32_t c = 0; c < count; c++) {
		if (!m[c])
			continue;
		if (first == count)
			first = c;
		if (c == 0 || !m[c - 1])
			runs++;
		last = c;
	}
	d->dict_set = R_TABLE;
	if (runs == 0) {
		d->dict_set = R_NONE;
	} else if (runs == 1) {
		d->dict_set = first == 0 && last == count - 1 ? R_ALL : R_IN;
		d->dict_lo = first;
		d->dict_hi = last;
	} else if (runs == 2 && m[0] && m[count - 1]) { /* matches all but one run */
		uint32_t a = 0, b = count - 1;
		while (m[a])
			a++;
		while (m[b])
			b--;
		d->dict_set = R_OUT;
		d->dict_lo = a;
		d->dict_hi = b;
	}
}

/* a like pattern at x, into d */
static int cs_pattern(cs_lex *x, cs_node *d)
{
	if (x->tok != T_STR) {
		char tok[64];
		cs_tok_text(x, tok, sizeof(tok));
		return cs_perr(x, x->start, "expected a 'quoted' pattern after '%s', not %s",
		               d->op == OP_LIKE ? "like" : "ilike", tok);
	}
	d->sval = x->str;
	d->slen = (uint32_t)x->strlen_;
	x->str = NULL;
	return cs_lex_next(x);
}

/* column col against a literal (lit, or the like pattern at x), as a new
 * node *out */
static int cs_leaf_new(colstore_filter *f, cs_lex *x, uint32_t col, const char *name,
                       const char *name_at, int op, const cs_calc *lit, int *out)
{
	int rc, k = cs_new_node(f);
	if (k < 0)
		return cs_perr(x, name_at, "out of memory");
	cs_node *d = &f->nodes[k];
	d->kind = N_CMP;
	d->op = op;
	d->col = col;
	d->type = f->r->columns[col].type;
	if ((rc = op >= OP_LIKE ? cs_pattern(x, d) : cs_bind(x, lit, d, name)))
		return rc;
	/* a string literal meets each dictionary entry once, here */
	const cs_column *c = &f->r->columns[col];
	if (d->type == COLSTORE_TYPE_STRING && c->dict_count) {
		colstore_error derr;
		if (cs_dict_ready(f->r, col, &derr))
			return cs_perr(x, name_at, "%s", derr.message);
		d->dict_match = malloc(c->dict_count);
		if (!d->dict_match)
			return cs_perr(x, name_at, "out of memory");
		for (uint32_t code = 0; code < c->dict_count; code++) {
			const char *str;
			uint32_t len;
			colstore_reader_dict_lookup(f->r, col, code, &str, &len, NULL);
			d->dict_match[code] = (uint8_t)cs_str_ok(d, str, len);
		}
		cs_dict_range(d, c->dict_count);
	}
	*out = k;
	return COLSTORE_OK;
}

/* value l against value r (f->calcs) by op, as a new node *out: a column
 * against a literal as a leaf that zone maps and dictionaries serve;
 * anything else as N_XCMP */
static int cs_cmp_new(colstore_filter *f, cs_lex *x, int l, int op, int r, const char *at,
                      int *out)
{
	static const int flipped[] = { OP_EQ, OP_NE, OP_GT, OP_GE, OP_LT, OP_LE };
	uint32_t col;
	int tok, rc;
	const char *text, *str;
	size_t len, slen;
	if (!cs_calc_is_column(f->calcs[l], &col) && cs_calc_is_column(f->calcs[r], &col) &&
	    cs_calc_is_literal(f->calcs[l], &tok, &text, &len, &str, &slen)) {
		int t = l; /* 5 < x: x > 5 */
		l = r;
		r = t;
		op = flipped[op];
	}
	if (cs_calc_is_column(f->calcs[l], &col) &&
	    cs_calc_is_literal(f->calcs[r], &tok, &text, &len, &str, &slen))
		return cs_leaf_new(f, x, col, f->r->columns[col].name, x->src + cs_calc_at(f->calcs[l]),
		                   op, f->calcs[r], out);
	if ((rc = cs_calc_unify(f->calcs[l], f->calcs[r], x, at)))
		return rc;
	int k = cs_new_node(f);
	if (k < 0)
		return cs_perr(x, at, "out of memory");
	f->nodes[k].kind = N_XCMP;
	f->nodes[k].op = op;
	f->nodes[k].xl = l;
	f->nodes[k].xr = r;
	*out = k;
	return COLSTORE_OK;
}

/* node k made its negation: AND and OR swap (De Morgan), "is null" and
 * "is not null" swap, and a comparison takes the opposite op, which
 * holds on the same non-null values but for NaN (any comparison with NaN
 * is false, so its negation is true): a float comparison, a like and a
 * comparison of expressions keep their op and are negated (neg) where
 * they are evaluated.  Nulls match neither a comparison nor its
 * negation, as in SQL. */
static void cs_negate(colstore_filter *f, int k)
{
	static const int opposite[] = { OP_NE, OP_EQ, OP_GE, OP_GT, OP_LE, OP_LT };
	cs_node *d = &f->nodes[k];
	switch (d->kind) {
	case N_AND:
	case N_OR:
		d->kind = d->kind == N_AND ? N_OR : N_AND;
		cs_negate(f, d->l);
		cs_negate(f, f->nodes[k].r);
		return;
	case N_NULL:
	case N_XNULL: d->op ^= 1; return;
	case N_XCMP: d->neg ^= 1; return;
	default:
		if (d->op >= OP_LIKE || cs_is_float_type(d->type))
			d->neg ^= 1;
		else
			d->op = opposite[d->op];
		if (d->dict_match) { /* the entries that match, the other way */
			uint32_t count = f->r->columns[d->col].dict_count;
			for (uint32_t c = 0; c < count; c++)
				d->dict_match[c] ^= 1;
			cs_dict_range(d, count);
		}
		return;
	}
}

/* two nodes joined by AND or OR, as a new node *out */
static int cs_join(colstore_filter *f, cs_lex *x, int kind, int l, int r, int *out)
{
	int k = cs_new_node(f);
	if (k < 0)
		return cs_perr(x, x->start, "out of memory");
	f->nodes[k].kind = kind;
	f->nodes[k].l = l;
	f->nodes[k].r = r;
	*out = k;
	return COLSTORE_OK;
}

static int cs_expect(cs_lex *x, int tok, const char *what)
{
	if (x->tok == tok)
		return cs_lex_next(x);
	char t[64];
	cs_tok_text(x, t, sizeof(t));
	return cs_perr(x, x->start, "expected %s, found %s", what, t);
}

/* does the parenthesis at x hold a condition (a comparison, and, or,
 * not...) rather than a value ("(price - cost) > 5")? */
static int cs_paren_is_cond(const cs_lex *x)
{
	cs_lex y;
	int depth = 0, cond = 0;
	if (cs_lex_start(&y, x->p, NULL)) {
		cs_lex_done(&y);
		return 1; /* the condition's parser names the error */
	}
	for (; y.tok != T_END && !cond; cond = cond || cs_lex_next(&y)) {
		if (y.tok == T_LP)
			depth++;
		else if (y.tok == T_RP && depth-- == 0)
			break;
		else if (depth == 0)
			cond = y.tok == T_OP || y.tok == T_AND || y.tok == T_OR || y.tok == T_NOT ||
			       y.tok == T_IS || y.tok == T_IN || y.tok == T_BETWEEN || y.tok == T_LIKE ||
			       y.tok == T_ILIKE;
	}
	cs_lex_done(&y);
	return cond;
}

static int cs_factor(colstore_filter *f, cs_lex *x, int *out, int depth)
{
	int rc;
	if (depth > 200)
		return cs_perr(x, x->start, "expression nested too deeply");
	if (x->tok == T_NOT) {
		if ((rc = cs_lex_next(x)) || (rc = cs_factor(f, x, out, depth + 1)))
			return rc;
		cs_negate(f, *out);
		return COLSTORE_OK;
	}
	if (x->tok == T_LP && cs_paren_is_cond(x)) {
		const char *lp = x->start;
		if ((rc = cs_lex_next(x)) || (rc = cs_expr(f, x, out, depth + 1)))
			return rc;
		if (x->tok != T_RP)
			return cs_perr(x, x->tok == T_END ? lp : x->start,
			               x->tok == T_END ? "unclosed parenthesis" : "expected ')'");
		return cs_lex_next(x);
	}
	const char *left_at = x->start;
	int l;
	if ((rc = cs_value(f, x, &l)))
		return rc;
	uint32_t col;
	const int is_col = cs_calc_is_column(f->calcs[l], &col);
	const uint8_t ltype = cs_calc_type(f->calcs[l]);
	char name[256];
	snprintf(name, sizeof(name), "%s%s%s", is_col ? "column '" : "", is_col ? f->r->columns[col].name
	                                                                       : cs_calc_text(f->calcs[l]),
	         is_col ? "'" : "");
	if (x->tok == T_IS) {
		int k = cs_new_node(f);
		if (k < 0)
			return cs_perr(x, left_at, "out of memory");
		f->nodes[k].kind = is_col ? N_NULL : N_XNULL;
		f->nodes[k].col = col;
		f->nodes[k].xl = l;
		f->nodes[k].type = is_col ? f->r->columns[col].type : ltype;
		if ((rc = cs_lex_next(x)))
			return rc;
		if (x->tok == T_NOT) {
			f->nodes[k].op = 1;
			if ((rc = cs_lex_next(x)))
				return rc;
		}
		if (x->tok != T_NULL)
			return cs_perr(x, x->start, "expected 'null' after 'is%s'",
			               f->nodes[k].op ? " not" : "");
		*out = k;
		return cs_lex_next(x);
	}
	int neg = x->tok == T_NOT;
	if (neg && (rc = cs_lex_next(x)))
		return rc;
	if (x->tok == T_IN) { /* x in (a, b, ...): x = a or x = b ... */
		if ((rc = cs_lex_next(x)) || (rc = cs_expect(x, T_LP, "'(' after 'in'")))
			return rc;
		for (int first = 1;; first = 0) {
			int k, r;
			const char *at = x->start;
			if ((rc = cs_value(f, x, &r)) || (rc = cs_cmp_new(f, x, l, OP_EQ, r, at, &k)) ||
			    (!first && (rc = cs_join(f, x, N_OR, *out, k, &k))))
				return rc;
			*out = k;
			if (x->tok != T_COMMA)
				break;
			if ((rc = cs_lex_next(x)))
				return rc;
		}
		if ((rc = cs_expect(x, T_RP, "',' or ')' in the list after 'in'")))
			return rc;
	} else if (x->tok == T_BETWEEN) { /* x between a and b: x >= a and x <= b */
		int lo, hi, a, b;
		const char *at = x->start;
		if ((rc = cs_lex_next(x)) || (rc = cs_value(f, x, &a)) ||
		    (rc = cs_cmp_new(f, x, l, OP_GE, a, at, &lo)) ||
		    (rc = cs_expect(x, T_AND, "'and' after the first value of 'between'")) ||
		    (rc = cs_value(f, x, &b)) || (rc = cs_cmp_new(f, x, l, OP_LE, b, at, &hi)) ||
		    (rc = cs_join(f, x, N_AND, lo, hi, out)))
			return rc;
	} else if (x->tok == T_LIKE || x->tok == T_ILIKE) {
		int op = x->tok == T_LIKE ? OP_LIKE : OP_ILIKE;
		if (ltype != COLSTORE_TYPE_STRING)
			return cs_perr(x, x->start, "'%s' needs a string%s: %s is %s",
			               op == OP_LIKE ? "like" : "ilike", is_col ? " column" : "", name,
			               colstore_type_name(is_col ? f->r->columns[col].type : ltype));
		if ((rc = cs_lex_next(x)))
			return rc;
		if (is_col) {
			if ((rc = cs_leaf_new(f, x, col, name, left_at, op, NULL, out)))
				return rc;
		} else {
			int k = cs_new_node(f);
			if (k < 0)
				return cs_perr(x, left_at, "out of memory");
			f->nodes[k].kind = N_XCMP;
			f->nodes[k].op = op;
			f->nodes[k].xl = l;
			if ((rc = cs_pattern(x, &f->nodes[k])))
				return rc;
			*out = k;
		}
	} else if (x->tok == T_OP && !neg) {
		int op = x->op, r;
		const char *at = x->start;
		if ((rc = cs_lex_next(x)) || (rc = cs_value(f, x, &r)) ||
		    (rc = cs_cmp_new(f, x, l, op, r, at, out)))
			return rc;
	} else {
		char tok[64];
		cs_tok_text(x, tok, sizeof(tok));
		if (neg)
			return cs_perr(x, x->start, "expected 'in', 'between', 'like' or 'ilike' after "
			               "'not', found %s", tok);
		return cs_perr(x, x->start, "expected an operator (= != < <= > >=), 'in', 'between', "
		               "'like', 'ilike', 'not' or 'is' after %s, found %s", name, tok);
	}
	if (neg)
		cs_negate(f, *out);
	return COLSTORE_OK;
}

/* does node k compare value expressions (which may fail, and cost more)? */
static int cs_has_x(const colstore_filter *f, int k)
{
	const cs_node *d = &f->nodes[k];
	if (d->kind == N_AND || d->kind == N_OR)
		return cs_has_x(f, d->l) || cs_has_x(f, d->r);
	return d->kind == N_XCMP || d->kind == N_XNULL;
}

static int cs_chain(colstore_filter *f, cs_lex *x, int *out, int depth, int is_or)
{
	int rc = is_or ? cs_chain(f, x, out, depth, 0) : cs_factor(f, x, out, depth);
	if (rc)
		return rc;
	while (x->tok == (is_or ? T_OR : T_AND)) {
		int right;
		if ((rc = cs_lex_next(x)))
			return rc;
		rc = is_or ? cs_chain(f, x, &right, depth, 0) : cs_factor(f, x, &right, depth);
		if (rc)
			return rc;
		int k = cs_new_node(f);
		if (k < 0)
			return cs_perr(x, x->start, "out of memory");
		f->nodes[k].kind = is_or ? N_OR : N_AND;
		/* comparisons of columns with literals first: an expression is
		 * then worked out only on the rows they leave undecided */
		int swap = cs_has_x(f, *out) && !cs_has_x(f, right);
		f->nodes[k].l = swap ? right : *out;
		f->nodes[k].r = swap ? *out : right;
		*out = k;
	}
	return COLSTORE_OK;
}

static int cs_expr(colstore_filter *f, cs_lex *x, int *out, int depth)
{
	return cs_chain(f, x, out, depth, 1);
}

/* batches of scratch that evaluating node k needs (cs_eval_node): a left
 * side reuses its parent's, so a long and/or chain needs one */
static int cs_depth(const colstore_filter *f, int k)
{
	const cs_node *d = &f->nodes[k];
	if (d->kind != N_AND && d->kind != N_OR)
		return 0;
	int a = cs_depth(f, d->l), b = 1 + cs_depth(f, d->r);
	return a > b ? a : b;
}

void colstore_filter_free(colstore_filter *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->n; i++) {
		free(f->nodes[i].sval);
		free(f->nodes[i].dict_match);
		free(f->nodes[i].xd_match);
	}
	for (int i = 0; i < f->ncalc; i++)
		cs_calc_free(f->calcs[i]);
	free(f->calcs);
	free(f->nodes);
	free(f);
}

static void cs_xdict(colstore_filter *f, cs_node *d);

int colstore_filter_parse(const colstore_reader *r, const char *expr, colstore_filter **out,
                          colstore_error *err)
{
	if (!r || !expr || !out)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "reader, expr and out are required");
	*out = NULL;
	colstore_filter *f = calloc(1, sizeof(*f));
	if (!f)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	f->r = (colstore_reader *)r; /* reads only update atomic flags */
	static uint64_t serials;
	f->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	cs_lex x;
	int rc = cs_lex_start(&x, expr, err);
	if (!rc && x.tok == T_END)
		rc = cs_perr(&x, x.start, "empty expression");
	if (!rc)
		rc = cs_expr(f, &x, &f->root, 0);
	if (!rc && x.tok != T_END) {
		char tok[64];
		cs_tok_text(&x, tok, sizeof(tok));
		rc = cs_perr(&x, x.start, "unexpected %s (expected 'and', 'or' or the end)", tok);
	}
	cs_lex_done(&x);
	if (rc) {
		colstore_filter_free(f);
		return rc;
	}
	f->depth = cs_depth(f, f->root);
	for (int k = 0; k < f->n; k++) /* functions of a dictionary column, per entry */
		if (f->nodes[k].kind == N_XCMP || f->nodes[k].kind == N_XNULL)
			cs_xdict(f, &f->nodes[k]);
	*out = f;
	return COLSTORE_OK;
}

/* ---- zone maps ------------------------------------------------------------------ */

static int cs_int_set(int op, int lit_int, int64_t L, double D, int64_t *lo, int64_t *hi);

static int cs_node_may(const colstore_filter *f, int k, uint32_t rg)
{
	const cs_node *d = &f->nodes[k];
	if (d->kind == N_AND)
		return cs_node_may(f, d->l, rg) && cs_node_may(f, d->r, rg);
	if (d->kind == N_OR)
		return cs_node_may(f, d->l, rg) || cs_node_may(f, d->r, rg);
	if (d->kind == N_XNULL)
		return 1;
	if (d->kind == N_XCMP) { /* an integer expression's range against a literal */
		int64_t lo, hi, v;
		if (d->neg || d->op >= OP_LIKE || d->xr < 0 || !cs_calc_int_literal(f->calcs[d->xr], &v) ||
		    !cs_calc_range_rg(f->calcs[d->xl], rg, &lo, &hi))
			return 1;
		switch (d->op) {
		case OP_EQ: return lo <= v && v <= hi;
		case OP_NE: return !(lo == v && hi == v);
		case OP_LT: return lo < v;
		case OP_LE: return lo <= v;
		case OP_GT: return hi > v;
		default: return hi >= v;
		}
	}
	const cs_chunk *ch = cs_chunk_at(f->r, rg, d->col);
	if (d->kind == N_NULL)
		return d->op ? ch->null_count < ch->row_count : ch->null_count > 0;
	if (ch->null_count == ch->row_count)
		return 0; /* nulls never compare true */
	if (d->op == OP_LIKE && !d->neg && d->type == COLSTORE_TYPE_STRING &&
	    (ch->stats_flags & CS_STATS_MINMAX)) {
		/* like 'prefix%': the strings from prefix up to (not) its successor */
		uint32_t pl = 0;
		while (pl < d->slen && d->sval[pl] != '%' && d->sval[pl] != '_')
			pl++;
		if (pl == 0)
			return 1;
		const char *h = (const char *)f->r->heap;
		const char *mx = h + (ch->max & 0xffffffffu), *mn = h + (ch->min & 0xffffffffu);
		uint32_t mxl = (uint32_t)(ch->max >> 32), mnl = (uint32_t)(ch->min >> 32);
		if (cs_bytes_cmp(mx, mxl < pl ? mxl : pl, d->sval, pl) < 0)
			return 0; /* every string sorts before the prefix */
		return cs_bytes_cmp(mn, mnl < pl ? mnl : pl, d->sval, pl) <= 0; /* or after all it starts */
	}
	if (d->neg || d->op >= OP_LIKE)
		return 1; /* judged on the values alone */
	if (!(ch->stats_flags & CS_STATS_MINMAX))
		return 1;
	if (ch->stats_flags & CS_STATS_NAN && d->op == OP_NE)
		return 1;
	int cmin, cmax; /* sign of (min - literal), (max - literal) */
	if (d->type == COLSTORE_TYPE_STRING) {
		const char *h = (const char *)f->r->heap;
		cmin = cs_bytes_cmp(h + (ch->min & 0xffffffffu), (uint32_t)(ch->min >> 32), d->sval, d->slen);
		cmax = cs_bytes_cmp(h + (ch->max & 0xffffffffu), (uint32_t)(ch->max >> 32), d->sval, d->slen);
	} else if (d->type != COLSTORE_TYPE_FLOAT32 && d->type != COLSTORE_TYPE_FLOAT64 && !d->lit_int) {
		/* an integer column against a fraction or a number past int64:
		 * judged on the integer set the rows are tested against, never on
		 * min and max rounded to doubles (above 2^53 they land on the
		 * literal) */
		int64_t lo, hi, mn = (int64_t)ch->min, mx = (int64_t)ch->max;
		switch (cs_int_set(d->op, 0, 0, d->dval, &lo, &hi)) {
		case R_NONE: return 0;
		case R_IN: return mx >= lo && mn <= hi;
		case R_OUT: return mn < lo || mx > hi;
		default: return 1;
		}
	} else if (d->type == COLSTORE_TYPE_FLOAT32 || d->type == COLSTORE_TYPE_FLOAT64) {
		double lo, hi;
		memcpy(&lo, &ch->min, 8);
		memcpy(&hi, &ch->max, 8);
		if (isnan(d->dval))
			return 1;
		cmin = (lo > d->dval) - (lo < d->dval);
		cmax = (hi > d->dval) - (hi < d->dval);
	} else {
		int64_t lo = (int64_t)ch->min, hi = (int64_t)ch->max;
		cmin = (lo > d->ival) - (lo < d->ival);
		cmax = (hi > d->ival) - (hi < d->ival);
	}
	switch (d->op) {
	case OP_EQ: return cmin <= 0 && cmax >= 0;
	case OP_NE: return !(cmin == 0 && cmax == 0);
	case OP_LT: return cmin < 0;
	case OP_LE: return cmin <= 0;
	case OP_GT: return cmax > 0;
	default: return cmax >= 0;
	}
}

int colstore_filter_may_match(const colstore_filter *f, uint32_t rg)
{
	if (!f || rg >= f->r->num_row_groups)
		return 0;
	return cs_node_may(f, f->root, rg);
}

/* ---- evaluation ---------------------------------------------------------------- */

/* 8 rows make a byte of sel: built without branches, then masked by the
 * validity (a null never matches a comparison).  EXPR sees x_ and is 0/1. */
/* sel bit i = EXPR for value x_ = row i.  Two steps per 256 rows, each
 * of which vectorizes: one 0/1 byte per row, then 8 bytes to a bitmap
 * byte by one multiply (bit k of the product's top byte is byte k). */
#define CS_SCAN(T, EXPR)                                                         \
	do {                                                                     \
		const T *a_ = v.data;                                            \
		uint8_t t_[256 + 8];                                             \
		for (uint32_t i0_ = 0; i0_ < n; i0_ += 256) {                    \
			uint32_t c_ = n - i0_ < 256 ? n - i0_ : 256;             \
			const T *p_ = a_ + i0_;                                  \
			for (uint32_t k_ = 0; k_ < c_; k_++) {                   \
				T x_ = p_[k_];                                   \
				t_[k_] = (uint8_t)(EXPR);                        \
			}                                                        \
			memset(t_ + c_, 0, 8);                                   \
			uint8_t *s_ = sel + i0_ / 8;                             \
			for (uint32_t k_ = 0; k_ < (c_ + 7) / 8; k_++) {         \
				uint64_t w_;                                     \
				memcpy(&w_, t_ + k_ * 8, 8);                     \
				s_[k_] = (uint8_t)((w_ * 0x0102040810204080ull) >> 56); \
			}                                                        \
		}                                                                \
	} while (0)

/* X op Y, or its negation (ng) */
#define CS_SCAN_OPS(T, X, Y, ng)                                                    \
	do {                                                                        \
		switch (op) {                                                       \
		case OP_EQ: CS_SCAN(T, ((X) == (Y)) ^ (ng)); break;                 \
		case OP_NE: CS_SCAN(T, ((X) != (Y)) ^ (ng)); break;                 \
		case OP_LT: CS_SCAN(T, ((X) < (Y)) ^ (ng)); break;                  \
		case OP_LE: CS_SCAN(T, ((X) <= (Y)) ^ (ng)); break;                 \
		case OP_GT: CS_SCAN(T, ((X) > (Y)) ^ (ng)); break;                  \
		default: CS_SCAN(T, ((X) >= (Y)) ^ (ng)); break;                    \
		}                                                                   \
	} while (0)

/* {x : x op literal} for an integer column, as a range [lo, hi] or its
 * complement; the literal may be a fraction or out of the int64 range */

static int cs_int_set(int op, int lit_int, int64_t L, double D, int64_t *lo, int64_t *hi)
{
	if (!lit_int) {
		if (isnan(D))
			return op == OP_NE ? R_ALL : R_NONE;
		double fl = floor(D), cl = ceil(D);
		if (fl == D && D >= -9223372036854775808.0 && D < 9223372036854775808.0) {
			L = (int64_t)D; /* an integer after all */
		} else {
			switch (op) {
			case OP_EQ: return R_NONE;
			case OP_NE: return R_ALL;
			case OP_LT:
			case OP_LE:
				if (fl < -9223372036854775808.0)
					return R_NONE;
				if (fl >= 9223372036854775808.0)
					return R_ALL;
				*lo = INT64_MIN;
				*hi = (int64_t)fl;
				return R_IN;
			default:
				if (cl >= 9223372036854775808.0)
					return R_NONE;
				if (cl < -9223372036854775808.0)
					return R_ALL;
				*lo = (int64_t)cl;
				*hi = INT64_MAX;
				return R_IN;
			}
		}
	}
	*lo = INT64_MIN;
	*hi = INT64_MAX;
	switch (op) {
	case OP_EQ: *lo = *hi = L; return R_IN;
	case OP_NE: *lo = *hi = L; return R_OUT;
	case OP_LT:
		if (L == INT64_MIN)
			return R_NONE;
		*hi = L - 1;
		return R_IN;
	case OP_LE: *hi = L; return R_IN;
	case OP_GT:
		if (L == INT64_MAX)
			return R_NONE;
		*lo = L + 1;
		return R_IN;
	default: *lo = L; return R_IN;
	}
}

/* a leaf made ready for one row group: the set of values it keeps (its
 * column's values are read a batch at a time) */
typedef struct cs_leaf {
	int set;
	int64_t lo, hi;
} cs_leaf;

static void cs_leaf_prep(const colstore_filter *f, const cs_node *d, uint32_t rg, cs_leaf *lf)
{
	int64_t lo = 0, hi = 0;
	int set = R_IN;
	if (d->kind == N_CMP && d->type != COLSTORE_TYPE_STRING && !cs_is_float_type(d->type)) {
		set = cs_int_set(d->op, d->lit_int, d->ival, d->dval, &lo, &hi);
	} else if (d->kind == N_CMP && d->dict_match &&
	           cs_chunk_at(f->r, rg, d->col)->encoding == COLSTORE_ENCODING_DICT) {
		set = d->dict_set;
		lo = d->dict_lo;
		hi = d->dict_hi;
	}
	lf->set = set;
	lf->lo = lo;
	lf->hi = hi;
}

/* the leaf over rows [i0, i0 + n) of row group rg (i0 a multiple of the
 * batch), into sel (n bits): its column's values for those rows alone */
static int cs_leaf_scan(const colstore_filter *f, const cs_node *d, const cs_leaf *lf,
                        uint32_t rg, colstore_buffers *b, uint32_t i0, uint32_t n, uint8_t *sel,
                        colstore_error *err)
{
	size_t nbytes = cs_bitmap_bytes(n);
	int op = d->op;
	int64_t lo = lf->lo, hi = lf->hi;
	int set = lf->set;
	if (set == R_NONE) { /* no value can match: nothing to read */
		memset(sel, 0, nbytes);
		return COLSTORE_OK;
	}
	colstore_values v;
	int rc = cs_values_range(f->r, rg, d->col, b, i0, n, &v, NULL, err);
	if (rc)
		return rc;
	const uint8_t *vb = v.validity;
	if (d->kind == N_NULL) {
		for (size_t j = 0; j < nbytes; j++)
			sel[j] = vb ? (uint8_t)(d->op ? vb[j] : ~vb[j]) : (uint8_t)(d->op ? 0xff : 0);
	} else if (set == R_ALL) { /* every value: the non-null rows */
		if (vb)
			memcpy(sel, vb, nbytes);
		else
			memset(sel, 0xff, nbytes);
	} else {
/* [lo, hi] cut to T's values, then tested in T's width (so that it vectorizes);
 * dictionary codes too: a chunk with narrower codes than the range's bounds
 * holds only the codes its width can hold */
#define CS_RANGE(T, UT, TMIN, TMAX)                                                    \
	do {                                                                           \
		const int64_t l_ = lo < (int64_t)(TMIN) ? (int64_t)(TMIN) : lo;        \
		const int64_t h_ = hi > (int64_t)(TMAX) ? (int64_t)(TMAX) : hi;        \
		if (l_ > h_)                                                           \
			memset(sel, out ? 0xff : 0, nbytes);                           \
		else                                                                   \
			CS_SCAN(T, ((UT)((UT)x_ - (UT)l_) <= (UT)(h_ - l_)) ^ out);       \
	} while (0)
		const double D = d->dval;
		const uint64_t span = (uint64_t)hi - (uint64_t)lo;
		const int out = set == R_OUT;
		switch (d->type) {
		case COLSTORE_TYPE_STRING:
			if (v.encoding == COLSTORE_ENCODING_DICT) {
				const uint8_t *m = d->dict_match;
				if (set == R_TABLE) {
					if (v.code_width == 1)
						CS_SCAN(uint8_t, m[x_]);
					else if (v.code_width == 2)
						CS_SCAN(uint16_t, m[x_]);
					else
						CS_SCAN(uint32_t, m[x_]);
				} else if (v.code_width == 1) { /* codes in a range */
					CS_RANGE(uint8_t, uint8_t, 0, UINT8_MAX);
				} else if (v.code_width == 2) {
					CS_RANGE(uint16_t, uint16_t, 0, UINT16_MAX);
				} else {
					CS_RANGE(uint32_t, uint32_t, 0, UINT32_MAX);
				}
			} else {
				const uint32_t *o = v.data;
				memset(sel, 0, nbytes);
				for (uint32_t i = 0; i < n; i++)
					if (cs_str_ok(d, v.bytes + o[i], o[i + 1] - o[i]))
						sel[i >> 3] |= (uint8_t)(1u << (i & 7));
			}
			break;
		case COLSTORE_TYPE_BOOL: /* values are bits already */
			for (size_t j = 0; j < nbytes; j++) {
				uint8_t x = ((const uint8_t *)v.data)[j];
				uint8_t in1 = lo <= 1 && hi >= 1, in0 = lo <= 0 && hi >= 0;
				uint8_t r = (uint8_t)((in1 ? x : 0) | (in0 ? (uint8_t)~x : 0));
				sel[j] = out ? (uint8_t)~r : r;
			}
			break;
		/* IEEE: a NaN meets only != */
		case COLSTORE_TYPE_FLOAT32: CS_SCAN_OPS(float, (double)x_, D, d->neg); break;
		case COLSTORE_TYPE_FLOAT64: CS_SCAN_OPS(double, x_, D, d->neg); break;
		case COLSTORE_TYPE_INT8: CS_RANGE(int8_t, uint8_t, INT8_MIN, INT8_MAX); break;
		case COLSTORE_TYPE_INT16: CS_RANGE(int16_t, uint16_t, INT16_MIN, INT16_MAX); break;
		case COLSTORE_TYPE_INT32:
		case COLSTORE_TYPE_DATE: CS_RANGE(int32_t, uint32_t, INT32_MIN, INT32_MAX); break;
		default: CS_SCAN(int64_t, ((uint64_t)x_ - (uint64_t)lo <= span) ^ out); break;
#undef CS_RANGE
		}
		if (vb)
			for (size_t j = 0; j < nbytes; j++)
				sel[j] &= vb[j];
	}
	if (n % 8) /* no bits past the last row */
		sel[nbytes - 1] &= (uint8_t)((1u << (n % 8)) - 1);
	return COLSTORE_OK;
}

/* ---- comparisons of value expressions ---------------------------------------------- */

/* a worker's state for a filter's value expressions, kept in its buffers */
typedef struct cs_fx {
	int n;
	cs_calc_run **runs; /* one per f->calcs */
	uint32_t *idx;      /* a batch's rows to evaluate */
} cs_fx;

static void cs_fx_free(void *p)
{
	cs_fx *fx = p;
	if (!fx)
		return;
	for (int k = 0; k < fx->n; k++)
		cs_calc_run_free(fx->runs[k]);
	free(fx->runs);
	free(fx->idx);
	free(fx);
}

static cs_fx *cs_fx_get(const colstore_filter *f, colstore_buffers *b)
{
	cs_fx *fx = cs_buffers_aux(b, f->serial);
	if (fx)
		return fx;
	fx = calloc(1, sizeof(*fx));
	if (!fx)
		return NULL;
	fx->runs = calloc((size_t)f->ncalc + 1, sizeof(*fx->runs));
	fx->idx = malloc(CS_BATCH_ROWS * sizeof(uint32_t));
	fx->n = f->ncalc;
	if (!fx->runs || !fx->idx) {
		cs_fx_free(fx);
		return NULL;
	}
	cs_buffers_set_aux(b, f->serial, fx, cs_fx_free);
	return fx;
}

typedef struct cs_fget {
	colstore_reader *r;
	colstore_buffers *b;
	uint32_t rg, i0, n;
} cs_fget;

static int cs_filter_get(void *ctx, uint32_t col, colstore_values *v, colstore_error *err)
{
	cs_fget *g = ctx;
	return cs_values_range(g->r, g->rg, col, g->b, g->i0, g->n, v, NULL, err);
}

/* calc j over the batch's rows idx[0..m) */
static int cs_x_eval(const colstore_filter *f, cs_fx *fx, int j, cs_fget *g, const uint32_t *idx,
                     uint32_t m, cs_cvec *out, colstore_error *err)
{
	if (!fx->runs[j] && !(fx->runs[j] = cs_calc_run_new(f->calcs[j])))
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	return cs_calc_eval(fx->runs[j], cs_filter_get, g, g->n, idx, m, out, err);
}

/* an N_XCMP or N_XNULL leaf on row i of its sides' values */
static int cs_xdecide(const cs_node *d, const cs_cvec *lv, const cs_cvec *rv, uint32_t i)
{
	if (d->kind == N_XNULL)
		return lv->ok[i] == d->op; /* op 1: is not null */
	if (!lv->ok[i] || (d->xr >= 0 && !rv->ok[i]))
		return 0; /* a null matches neither a comparison nor its negation */
	if (d->op >= OP_LIKE)
		return cs_like(lv->s[i].p, lv->s[i].len, d->sval, d->slen, d->op == OP_ILIKE) ^ d->neg;
	int c = cs_cvec_cmp(lv, i, rv, i);
	return (c == 2 ? d->op == OP_NE : cs_op_ok(d->op, c)) ^ d->neg;
}

typedef struct cs_dget {
	const colstore_values *v;
} cs_dget;

static int cs_dict_get(void *ctx, uint32_t col, colstore_values *v, colstore_error *err)
{
	(void)col;
	(void)err;
	*v = *((cs_dget *)ctx)->v;
	return COLSTORE_OK;
}

/* node d's result for each dictionary entry of the one column its left
 * side reads, when that is a dictionary string column and its right side
 * a literal: the entries in batches as PLAIN strings, then a null */
static void cs_xdict(colstore_filter *f, cs_node *d)
{
	colstore_reader *r = f->r;
	const cs_calc *c = f->calcs[d->xl];
	uint8_t *mark = calloc((size_t)r->num_columns + 1, 1);
	if (!mark)
		return;
	cs_calc_columns(c, mark);
	uint32_t col = 0, ncol = 0;
	for (uint32_t k = 0; k < r->num_columns; k++)
		if (mark[k]) {
			col = k;
			ncol++;
		}
	free(mark);
	int tok;
	const char *t1, *t2;
	size_t l1, l2;
	if (ncol != 1 || r->columns[col].type != COLSTORE_TYPE_STRING || !r->columns[col].dict_count ||
	    (d->xr >= 0 && !cs_calc_is_literal(f->calcs[d->xr], &tok, &t1, &l1, &t2, &l2)) ||
	    cs_dict_ready(r, col, NULL))
		return;
	enum { B = 4096 };
	const uint32_t n = r->columns[col].dict_count;
	uint8_t *match = malloc(n);
	uint32_t *off = malloc((B + 1) * sizeof(uint32_t));
	uint8_t vbits[B / 8];
	char *bytes = NULL;
	size_t cap = 0;
	cs_calc_run *lr = cs_calc_run_new(c), *rr = d->xr >= 0 ? cs_calc_run_new(f->calcs[d->xr]) : NULL;
	int ok = match && off && lr && (d->xr < 0 || rr);
	for (uint64_t base = 0; ok && base <= n; base += B) {
		const uint32_t cnt = (uint32_t)(n + 1 - base < B ? n + 1 - base : B);
		size_t len = 0;
		for (uint32_t j = 0; j < cnt; j++) { /* the bytes of this batch's entries */
			const char *s = "";
			uint32_t sl = 0;
			if (base + j < n)
				colstore_reader_dict_lookup(r, col, (uint32_t)(base + j), &s, &sl, NULL);
			len += sl;
		}
		if (len + 1 > cap) {
			char *nb = realloc(bytes, len + 1);
			if (!nb) {
				ok = 0;
				break;
			}
			bytes = nb;
			cap = len + 1;
		}
		len = 0;
		memset(vbits, 0xff, sizeof(vbits));
		for (uint32_t j = 0; j < cnt; j++) {
			const char *s = "";
			uint32_t sl = 0;
			off[j] = (uint32_t)len;
			if (base + j < n) {
				colstore_reader_dict_lookup(r, col, (uint32_t)(base + j), &s, &sl, NULL);
				memcpy(bytes + len, s, sl);
				len += sl;
			} else {
				vbits[j >> 3] &= (uint8_t)~(1u << (j & 7)); /* the null */
			}
		}
		off[cnt] = (uint32_t)len;
		colstore_values v = { COLSTORE_TYPE_STRING, cnt, vbits, off, bytes, COLSTORE_ENCODING_PLAIN, 0 };
		cs_dget g = { &v };
		cs_cvec lv, rv;
		colstore_error e;
		if (cs_calc_eval(lr, cs_dict_get, &g, cnt, NULL, cnt, &lv, &e) ||
		    (rr && cs_calc_eval(rr, cs_dict_get, &g, cnt, NULL, cnt, &rv, &e))) {
			ok = 0; /* (an overflow on some entry: row by row instead) */
			break;
		}
		for (uint32_t j = 0; j < cnt; j++) {
			uint8_t m = (uint8_t)cs_xdecide(d, &lv, &rv, j);
			if (base + j < n)
				match[base + j] = m;
			else
				d->xd_null = m;
		}
	}
	cs_calc_run_free(lr);
	cs_calc_run_free(rr);
	free(off);
	free(bytes);
	if (!ok) {
		free(match);
		return;
	}
	d->xd_match = match;
	d->xd_col = col;
}

/* an N_XCMP or N_XNULL leaf over the rows of mask (all when NULL): the
 * other rows' bits are left 0 (the and or or above does not read them) */
static int cs_xleaf_scan(const colstore_filter *f, const cs_node *d, uint32_t rg,
                         colstore_buffers *b, uint32_t i0, uint32_t n, const uint8_t *mask,
                         uint8_t *sel, colstore_error *err)
{
	memset(sel, 0, cs_bitmap_bytes(n));
	cs_fx *fx = cs_fx_get(f, b);
	if (!fx)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	uint32_t m = n;
	const uint32_t *idx = NULL;
	if (mask) {
		m = cs_simd()->rows(mask, n, fx->idx);
		idx = fx->idx;
		if (!m)
			return COLSTORE_OK;
	}
	if (d->xd_match && cs_chunk_at(f->r, rg, d->xd_col)->encoding == COLSTORE_ENCODING_DICT) {
		/* a dictionary chunk: each row's entry looked up */
		colstore_values v;
		int rc = cs_values_range(f->r, rg, d->xd_col, b, i0, n, &v, NULL, err);
		if (rc)
			return rc;
		for (uint32_t k = 0; k < m; k++) {
			const uint32_t i = idx ? idx[k] : k;
			uint8_t ok = v.validity && !cs_bit_get(v.validity, i)
			                     ? d->xd_null
			                     : d->xd_match[cs_code_at(v.data, v.code_width, i)];
			sel[i >> 3] |= (uint8_t)(ok << (i & 7));
		}
		return COLSTORE_OK;
	}
	cs_fget g = { f->r, b, rg, i0, n };
	cs_cvec lv, rv;
	int rc = cs_x_eval(f, fx, d->xl, &g, idx, m, &lv, err);
	if (rc)
		return rc;
	if (d->xr >= 0 && (rc = cs_x_eval(f, fx, d->xr, &g, idx, m, &rv, err)))
		return rc;
	for (uint32_t k = 0; k < m; k++) {
		const uint32_t i = idx ? idx[k] : k;
		sel[i >> 3] |= (uint8_t)(cs_xdecide(d, &lv, &rv, i) << (i & 7));
	}
	return COLSTORE_OK;
}

/* node k over one batch of n rows from i0 into sel, judged on the rows of
 * mask (all when NULL: an and's right side is judged where its left side
 * holds, an or's where it does not, so that a value expression is worked
 * out, and can fail, only where it decides the result); its left side may
 * use all of tmp, then its right side's result and mask go to tmp and the
 * rest of tmp is the right side's own (f->depth pairs of batches of
 * scratch in all) */
static int cs_eval_node(const colstore_filter *f, int k, const cs_leaf *lv, uint32_t rg,
                        colstore_buffers *b, uint32_t i0, uint32_t n, const uint8_t *mask,
                        uint8_t *sel, uint8_t *tmp, colstore_error *err)
{
	const cs_node *d = &f->nodes[k];
	if (d->kind == N_XCMP || d->kind == N_XNULL)
		return cs_xleaf_scan(f, d, rg, b, i0, n, mask, sel, err);
	if (d->kind != N_AND && d->kind != N_OR)
		return cs_leaf_scan(f, d, &lv[k], rg, b, i0, n, sel, err);
	size_t nbytes = cs_bitmap_bytes(n);
	int rc = cs_eval_node(f, d->l, lv, rg, b, i0, n, mask, sel, tmp, err);
	if (rc)
		return rc;
	/* the right side cannot change an all-0 AND or an all-1 OR */
	int decided = 1;
	for (size_t i = 0; i < nbytes && decided; i++) {
		uint8_t full = i + 1 < nbytes || n % 8 == 0 ? 0xff : (uint8_t)((1u << (n % 8)) - 1);
		uint8_t in = mask ? mask[i] : full; /* only the rows judged count */
		decided = (sel[i] & in) == (d->kind == N_AND ? 0 : in);
	}
	if (decided)
		return COLSTORE_OK;
	uint8_t *rmask = tmp + CS_BATCH_ROWS / 8;
	for (size_t i = 0; i < nbytes; i++)
		rmask[i] = (uint8_t)((mask ? mask[i] : 0xff) & (d->kind == N_AND ? sel[i] : ~sel[i]));
	if (n % 8)
		rmask[nbytes - 1] &= (uint8_t)((1u << (n % 8)) - 1);
	if ((rc = cs_eval_node(f, d->r, lv, rg, b, i0, n, rmask, tmp, tmp + CS_BATCH_ROWS / 4, err)))
		return rc;
	for (size_t i = 0; i < nbytes; i++)
		sel[i] = d->kind == N_AND ? (uint8_t)(sel[i] & tmp[i]) : (uint8_t)(sel[i] | tmp[i]);
	return COLSTORE_OK;
}

int colstore_filter_eval(const colstore_filter *f, uint32_t rg, colstore_buffers *b,
                         uint8_t *sel, uint64_t *matches, colstore_error *err)
{
	if (!f || !b || !sel || rg >= f->r->num_row_groups)
		return cs_err(err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "no row group %u", rg);
	uint32_t n = cs_chunk_at(f->r, rg, 0)->row_count;
	if (!cs_node_may(f, f->root, rg)) { /* ruled out by statistics, as a scan skips it */
		memset(sel, 0, cs_bitmap_bytes(n));
		if (matches)
			*matches = 0;
		return COLSTORE_OK;
	}
	/* scratch: the leaves, made ready, then f->depth pairs of batches of
	 * bits: a fixed size whatever the row group's size */
	size_t lbytes = (size_t)f->n * sizeof(cs_leaf);
	uint8_t *scratch = cs_buffers_scratch(b, lbytes + (size_t)f->depth * (CS_BATCH_ROWS / 4) + 1);
	if (!scratch)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	cs_leaf *lv = (cs_leaf *)(void *)scratch;
	uint8_t *tmp = scratch + lbytes;
	for (int k = 0; k < f->n; k++) {
		const cs_node *d = &f->nodes[k];
		if (d->kind == N_CMP || d->kind == N_NULL)
			cs_leaf_prep(f, d, rg, &lv[k]);
	}
	for (uint32_t i0 = 0; i0 < n; i0 += CS_BATCH_ROWS) {
		uint32_t c = n - i0 < CS_BATCH_ROWS ? n - i0 : CS_BATCH_ROWS;
		int rc = cs_eval_node(f, f->root, lv, rg, b, i0, c, NULL, sel + i0 / 8, tmp, err);
		if (rc)
			return rc;
	}
	if (matches)
		*matches = cs_bitmap_popcount(sel, n);
	return COLSTORE_OK;
}

void cs_filter_columns(const colstore_filter *f, uint8_t *mark)
{
	for (int k = 0; f && k < f->n; k++)
		if (f->nodes[k].kind == N_CMP || f->nodes[k].kind == N_NULL)
			mark[f->nodes[k].col] = 1;
	for (int k = 0; f && k < f->ncalc; k++)
		cs_calc_columns(f->calcs[k], mark);
}

const colstore_reader *cs_filter_reader(const colstore_filter *f)
{
	return f->r;
}
