/*
 * expr.c -- --where filters: a recursive-descent parser bound to a reader's
 * columns (the tree: expr_node.h; zone-map skipping and evaluation into
 * selection bitmaps: expr_eval.c).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "expr_node.h"

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
