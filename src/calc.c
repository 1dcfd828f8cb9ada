/*
 * calc.c -- value expressions: columns, literals, + - * / and functions,
 * parsed by recursive descent into a tree over a reader's columns (the
 * tree's nodes: calc_node.h; its evaluation: calc_eval.c), their ranges
 * from chunk statistics, and the items of comma-separated lists.  A
 * function of a dictionary string column is worked out once per
 * dictionary entry.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "calc_node.h"

/* ---- the tree -------------------------------------------------------------------- */

static const char *const fn_names[] = { "year", "quarter", "month", "day", "hour", "minute",
	                                "weekday", "date_trunc", "bucket", "abs", "round",
	                                "lower", "upper", "length", "coalesce" };
#define CS_NFN ((int)(sizeof(fn_names) / sizeof(fn_names[0])))

static int cs_cnew(cs_calc *c)
{
	if (c->n == c->cap) {
		int cap = c->cap ? c->cap * 2 : 8;
		cs_cnode *nn = realloc(c->nodes, (size_t)cap * sizeof(*nn));
		if (!nn)
			return -1;
		c->nodes = nn;
		c->cap = cap;
	}
	memset(&c->nodes[c->n], 0, sizeof(cs_cnode));
	return c->n++;
}

void cs_calc_free(cs_calc *c)
{
	if (!c)
		return;
	for (int k = 0; k < c->n; k++) {
		free(c->nodes[k].s);
		free(c->nodes[k].dint);
		free(c->nodes[k].dstr);
		free(c->nodes[k].dbytes);
	}
	free(c->nodes);
	free(c->text);
	free(c);
}

static int cs_is_num(uint8_t t)
{
	return t == COLSTORE_TYPE_INT64 || t == COLSTORE_TYPE_FLOAT64;
}

static int cs_is_time(uint8_t t)
{
	return t == COLSTORE_TYPE_DATE || t == COLSTORE_TYPE_TIMESTAMP;
}

/* a column's type as the expression sees it */
static uint8_t cs_ctype(uint8_t t)
{
	switch (t) {
	case COLSTORE_TYPE_INT8:
	case COLSTORE_TYPE_INT16:
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_INT64: return COLSTORE_TYPE_INT64;
	case COLSTORE_TYPE_FLOAT32:
	case COLSTORE_TYPE_FLOAT64: return COLSTORE_TYPE_FLOAT64;
	default: return t;
	}
}

static const char *cs_tname(uint8_t t)
{
	return t == COLSTORE_TYPE_INT64 ? "an integer"
	       : t == COLSTORE_TYPE_FLOAT64 ? "a float"
	       : t == COLSTORE_TYPE_STRING ? "a string"
	       : t == COLSTORE_TYPE_BOOL ? "a bool"
	       : t == COLSTORE_TYPE_DATE ? "a date" : "a timestamp";
}

static void cs_span(cs_calc *c, int k, const cs_lex *x, const char *from)
{
	c->nodes[k].at = (size_t)(from - x->src);
	c->nodes[k].len = (size_t)(x->start - from);
	while (c->nodes[k].len && (from[c->nodes[k].len - 1] == ' ' || from[c->nodes[k].len - 1] == '\t'))
		c->nodes[k].len--;
}

/* a string literal as a date or timestamp (what it is compared or
 * combined with) */
static int cs_lit_time(cs_calc *c, int k, uint8_t t, cs_lex *x)
{
	cs_cnode *d = &c->nodes[k];
	int64_t v;
	if (!(t == COLSTORE_TYPE_DATE ? cs_parse_date(d->s, d->slen, &v)
	                              : cs_parse_timestamp(d->s, d->slen, &v)))
		return cs_perr(x, x->src + d->at, "'%s' is not an ISO %s such as '%s'", d->s,
		               colstore_type_name(t),
		               t == COLSTORE_TYPE_DATE ? "2025-01-31" : "2025-01-31T10:00:00");
	d->type = t;
	d->i = v;
	return COLSTORE_OK;
}

/* nodes a and b of (possibly) different calcs made comparable */
static int cs_unify_nodes(cs_calc *ca, int a, cs_calc *cb, int b, cs_lex *x, const char *at)
{
	cs_cnode *p = &ca->nodes[a], *q = &cb->nodes[b];
	uint8_t s = p->type, t = q->type;
	if ((cs_is_num(s) && cs_is_num(t)) || (cs_is_time(s) && cs_is_time(t)) || s == t)
		return COLSTORE_OK;
	if (p->op == C_LIT && s == COLSTORE_TYPE_STRING && cs_is_time(t))
		return cs_lit_time(ca, a, t, x);
	if (q->op == C_LIT && t == COLSTORE_TYPE_STRING && cs_is_time(s))
		return cs_lit_time(cb, b, s, x);
	return cs_perr(x, at, "cannot compare %s (%.*s) with %s (%.*s)", cs_tname(s), (int)p->len,
	               x->src + p->at, cs_tname(t), (int)q->len, x->src + q->at);
}

int cs_calc_unify(cs_calc *a, cs_calc *b, cs_lex *x, const char *at)
{
	return cs_unify_nodes(a, a->root, b, b->root, x, at);
}

static int cs_sum(cs_calc *c, cs_lex *x, int *out, int depth);

static int cs_expect(cs_lex *x, int tok, const char *what)
{
	if (x->tok == tok)
		return cs_lex_next(x);
	char t[64];
	cs_tok_text(x, t, sizeof(t));
	return cs_perr(x, x->start, "expected %s, found %s", what, t);
}

/* an integer literal argument of a function (round's digits, bucket's
 * width), at node k */
static int cs_const_arg(cs_calc *c, cs_lex *x, int k, const char *fn, const char *what)
{
	cs_cnode *d = &c->nodes[k];
	if (d->op != C_LIT || !cs_is_num(d->type))
		return cs_perr(x, x->src + d->at, "%s: %s must be a number", fn, what);
	return COLSTORE_OK;
}

/* the value of each dictionary entry of a string column under fn */
static int cs_fn_dict(cs_calc *c, int k, cs_lex *x)
{
	cs_cnode *d = &c->nodes[k], *a = &c->nodes[d->arg[0]];
	if (a->op != C_COL || c->r->columns[a->col].type != COLSTORE_TYPE_STRING)
		return COLSTORE_OK;
	uint32_t n = c->r->columns[a->col].dict_count;
	colstore_error e;
	if (!n)
		return COLSTORE_OK;
	if (cs_dict_ready(c->r, a->col, &e))
		return cs_perr(x, x->src + d->at, "%s", e.message);
	size_t bytes = 0;
	for (uint32_t code = 0; code < n; code++) {
		const char *s;
		uint32_t len;
		colstore_reader_dict_lookup(c->r, a->col, code, &s, &len, NULL);
		bytes += len;
	}
	if (d->fn == F_LENGTH) {
		if (!(d->dint = malloc((size_t)n * sizeof(int64_t))))
			return cs_perr(x, x->src + d->at, "out of memory");
	} else if (!(d->dstr = malloc((size_t)n * sizeof(cs_str))) || !(d->dbytes = malloc(bytes + 1))) {
		return cs_perr(x, x->src + d->at, "out of memory");
	}
	size_t o = 0;
	for (uint32_t code = 0; code < n; code++) {
		const char *s;
		uint32_t len;
		colstore_reader_dict_lookup(c->r, a->col, code, &s, &len, NULL);
		if (d->fn == F_LENGTH) {
			int64_t chars = 0;
			for (uint32_t i = 0; i < len; i++)
				chars += ((unsigned char)s[i] & 0xc0) != 0x80;
			d->dint[code] = chars;
			continue;
		}
		for (uint32_t i = 0; i < len; i++) {
			char ch = s[i];
			if (d->fn == F_LOWER && ch >= 'A' && ch <= 'Z')
				ch = (char)(ch + 32);
			else if (d->fn == F_UPPER && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 32);
			d->dbytes[o + i] = ch;
		}
		d->dstr[code].p = d->dbytes + o;
		d->dstr[code].len = len;
		o += len;
	}
	return COLSTORE_OK;
}

/* fn( args ) at x (past the '('), as node k */
static int cs_call(cs_calc *c, cs_lex *x, int k, const char *name_at, int depth)
{
	int rc;
	cs_cnode *d = &c->nodes[k];
	const char *fname = fn_names[d->fn];
	if (x->tok != T_RP) {
		for (;;) {
			int a;
			if (d->nargs == CS_MAX_ARGS)
				return cs_perr(x, x->start, "%s: too many arguments", fname);
			if ((rc = cs_sum(c, x, &a, depth + 1)))
				return rc;
			d = &c->nodes[k];
			d->arg[d->nargs++] = a;
			if (x->tok != T_COMMA)
				break;
			if ((rc = cs_lex_next(x)))
				return rc;
		}
	}
	if ((rc = cs_expect(x, T_RP, "',' or ')' after an argument")))
		return rc;
	d = &c->nodes[k];
	static const signed char nmin[] = { 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 2 };
	static const signed char nmax[] = { 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 2, 1, 1, 1, CS_MAX_ARGS };
	if (d->nargs < nmin[d->fn] || d->nargs > nmax[d->fn])
		return cs_perr(x, name_at, "%s takes %s%d argument%s", fname,
		               nmin[d->fn] == nmax[d->fn] ? "" : "at least ", nmin[d->fn],
		               nmin[d->fn] == 1 && nmax[d->fn] == 1 ? "" : "s");
	const cs_cnode *a0 = &c->nodes[d->arg[0]];
	uint8_t t0 = a0->type;
	switch (d->fn) {
	case F_YEAR: case F_QUARTER: case F_MONTH: case F_DAY: case F_HOUR: case F_MINUTE:
	case F_WEEKDAY:
		if (!cs_is_time(t0))
			return cs_perr(x, x->src + a0->at, "%s needs a date or timestamp, not %s", fname,
			               cs_tname(t0));
		d->type = COLSTORE_TYPE_INT64;
		break;
	case F_DATE_TRUNC: {
		static const char *const units[] = { "year", "quarter", "month", "week", "day", "hour", "minute" };
		const cs_cnode *a1 = &c->nodes[d->arg[1]];
		if (a0->op != C_LIT || t0 != COLSTORE_TYPE_STRING)
			return cs_perr(x, x->src + a0->at, "date_trunc: the unit comes first, as a 'quoted' "
			               "string: 'year', 'quarter', 'month', 'week', 'day', 'hour' or 'minute'");
		d->i = -1;
		for (int u = 0; u < 7; u++)
			if (cs_kw(a0->s, a0->slen, units[u]))
				d->i = u;
		if (d->i < 0)
			return cs_perr(x, x->src + a0->at, "date_trunc: unknown unit '%s' (year, quarter, "
			               "month, week, day, hour, minute)", a0->s);
		if (!cs_is_time(a1->type))
			return cs_perr(x, x->src + a1->at, "date_trunc needs a date or timestamp, not %s",
			               cs_tname(a1->type));
		d->arg[0] = d->arg[1]; /* the value; the unit is in i */
		d->nargs = 1;
		d->type = a1->type;
		break;
	}
	case F_BUCKET: {
		const cs_cnode *w = &c->nodes[d->arg[1]];
		if (!cs_is_num(t0))
			return cs_perr(x, x->src + a0->at, "bucket needs a number, not %s", cs_tname(t0));
		if ((rc = cs_const_arg(c, x, d->arg[1], fname, "the width")))
			return rc;
		double wd = w->type == COLSTORE_TYPE_INT64 ? (double)w->i : w->d;
		if (!(wd > 0) || !isfinite(wd))
			return cs_perr(x, x->src + w->at, "bucket: the width must be above 0");
		d->type = t0 == COLSTORE_TYPE_INT64 && w->type == COLSTORE_TYPE_INT64 ? COLSTORE_TYPE_INT64
		                                                                      : COLSTORE_TYPE_FLOAT64;
		d->i = w->type == COLSTORE_TYPE_INT64 ? w->i : 0;
		d->d = wd;
		d->nargs = 1;
		break;
	}
	case F_ABS:
		if (!cs_is_num(t0))
			return cs_perr(x, x->src + a0->at, "abs needs a number, not %s", cs_tname(t0));
		d->type = t0;
		break;
	case F_ROUND:
		if (!cs_is_num(t0))
			return cs_perr(x, x->src + a0->at, "round needs a number, not %s", cs_tname(t0));
		d->i = 0;
		if (d->nargs == 2) {
			const cs_cnode *g = &c->nodes[d->arg[1]];
			if ((rc = cs_const_arg(c, x, d->arg[1], fname, "the digits")))
				return rc;
			if (g->type != COLSTORE_TYPE_INT64 || g->i < 0 || g->i > 15)
				return cs_perr(x, x->src + g->at, "round: the digits must be an integer from 0 to 15");
			d->i = g->i;
			d->nargs = 1;
		}
		d->type = t0;
		break;
	case F_LOWER: case F_UPPER: case F_LENGTH:
		if (t0 != COLSTORE_TYPE_STRING)
			return cs_perr(x, x->src + a0->at, "%s needs a string, not %s", fname, cs_tname(t0));
		d->type = d->fn == F_LENGTH ? COLSTORE_TYPE_INT64 : COLSTORE_TYPE_STRING;
		if ((rc = cs_fn_dict(c, k, x)))
			return rc;
		break;
	default: /* coalesce: one type for all (numbers: float64 if any is) */
		d->type = t0;
		for (int j = 1; j < d->nargs; j++) {
			if ((rc = cs_unify_nodes(c, d->arg[0], c, d->arg[j], x, name_at)))
				return rc;
			d = &c->nodes[k];
			uint8_t tj = c->nodes[d->arg[j]].type;
			if (tj == COLSTORE_TYPE_FLOAT64 || (tj == COLSTORE_TYPE_TIMESTAMP && cs_is_time(d->type)))
				d->type = tj;
		}
		for (int j = 0; j < d->nargs; j++) /* string literals as dates, now the type is known */
			if (c->nodes[d->arg[j]].type == COLSTORE_TYPE_STRING && cs_is_time(d->type) &&
			    (rc = cs_lit_time(c, d->arg[j], d->type, x)))
				return rc;
		break;
	}
	return COLSTORE_OK;
}

static int cs_primary(cs_calc *c, cs_lex *x, int *out, int depth)
{
	int rc;
	const char *from = x->start;
	if (depth > 200)
		return cs_perr(x, x->start, "expression nested too deeply");
	if (x->tok == T_LP) {
		if ((rc = cs_lex_next(x)) || (rc = cs_sum(c, x, out, depth + 1)))
			return rc;
		if (x->tok != T_RP)
			return cs_perr(x, x->tok == T_END ? from : x->start,
			               x->tok == T_END ? "unclosed parenthesis" : "expected ')'");
		return cs_lex_next(x);
	}
	int k = cs_cnew(c);
	if (k < 0)
		return cs_perr(x, x->start, "out of memory");
	cs_cnode *d = &c->nodes[k];
	switch (x->tok) {
	case T_NUM: {
		char buf[64];
		d->op = C_LIT;
		d->tok = T_NUM;
		if (x->len >= sizeof(buf))
			return cs_perr(x, x->start, "'%.20s...' is not a number", x->start);
		memcpy(buf, x->start, x->len);
		buf[x->len] = '\0';
		char *end;
		d->d = strtod(buf, &end);
		if (*end)
			return cs_perr(x, x->start, "'%s' is not a number", buf);
		d->type = cs_parse_int_lenient(buf, x->len, &d->i) ? COLSTORE_TYPE_INT64
		                                                    : COLSTORE_TYPE_FLOAT64;
		break;
	}
	case T_STR:
		d->op = C_LIT;
		d->tok = T_STR;
		d->type = COLSTORE_TYPE_STRING;
		d->s = x->str;
		d->slen = (uint32_t)x->strlen_;
		x->str = NULL;
		break;
	case T_TRUE:
	case T_FALSE:
		d->op = C_LIT;
		d->tok = x->tok;
		d->type = COLSTORE_TYPE_BOOL;
		d->i = x->tok == T_TRUE;
		break;
	case T_NAME: {
		const char *name_at = x->start;
		const int quoted = x->quoted;
		char *name = x->str;
		x->str = NULL;
		if ((rc = cs_lex_next(x))) {
			free(name);
			return rc;
		}
		d = &c->nodes[k];
		if (x->tok == T_LP && !quoted) {
			d->op = C_FN;
			d->fn = -1;
			for (int f = 0; f < CS_NFN; f++)
				if (cs_kw(name, strlen(name), fn_names[f]))
					d->fn = f;
			free(name);
			if (d->fn < 0)
				return cs_perr(x, name_at, "unknown function '%.*s' (year quarter month day hour "
				               "minute weekday date_trunc bucket abs round lower upper length "
				               "coalesce)", (int)(x->start - name_at), name_at);
			if ((rc = cs_lex_next(x)) || (rc = cs_call(c, x, k, name_at, depth)))
				return rc;
			cs_span(c, k, x, from);
			*out = k;
			return COLSTORE_OK;
		}
		uint32_t col;
		if (colstore_reader_find_column(c->r, name, &col, NULL)) {
			char cols[400];
			cs_columns_text(c->r, cols, sizeof(cols));
			rc = cs_perr(x, name_at, "no column named '%s' (columns: %s)", name, cols);
			free(name);
			return rc;
		}
		free(name);
		d->op = C_COL;
		d->col = col;
		d->type = cs_ctype(c->r->columns[col].type);
		if (d->type == COLSTORE_TYPE_STRING && c->r->columns[col].dict_count) {
			colstore_error e;
			if (cs_dict_ready(c->r, col, &e))
				return cs_perr(x, name_at, "%s", e.message);
		}
		cs_span(c, k, x, from);
		*out = k;
		return COLSTORE_OK;
	}
	default: {
		char tok[64];
		cs_tok_text(x, tok, sizeof(tok));
		return cs_perr(x, x->start, "expected a value (a column, a number, a 'string' or a function), found %s", tok);
	}
	}
	if ((rc = cs_lex_next(x)))
		return rc;
	cs_span(c, k, x, from);
	*out = k;
	return COLSTORE_OK;
}

static int cs_unary(cs_calc *c, cs_lex *x, int *out, int depth)
{
	int rc;
	if (x->tok != T_MINUS && x->tok != T_PLUS)
		return cs_primary(c, x, out, depth);
	const char *from = x->start;
	const int plus = x->tok == T_PLUS;
	if (depth > 200)
		return cs_perr(x, x->start, "expression nested too deeply");
	if ((rc = cs_lex_next(x)))
		return rc;
	if (plus) { /* +x: x, a number */
		if ((rc = cs_unary(c, x, out, depth + 1)))
			return rc;
		if (!cs_is_num(c->nodes[*out].type))
			return cs_perr(x, from, "'+' needs a number, not %s", cs_tname(c->nodes[*out].type));
		cs_span(c, *out, x, from);
		return COLSTORE_OK;
	}
	if (x->tok == T_NUM) { /* a negative literal, read as one ("-9223372036854775808") */
		char buf[128]; /* a number is at most 63 characters (cs_primary) */
		const char *num = x->start;
		size_t n = x->len;
		if ((rc = cs_primary(c, x, out, depth + 1)))
			return rc;
		cs_cnode *d = &c->nodes[*out];
		if (n + 1 >= sizeof(buf))
			return cs_perr(x, from, "a number too long");
		{
			buf[0] = '-';
			memcpy(buf + 1, num, n);
			buf[n + 1] = '\0';
			d->d = -d->d;
			d->type = cs_parse_int_lenient(buf, n + 1, &d->i) ? COLSTORE_TYPE_INT64
			                                                  : COLSTORE_TYPE_FLOAT64;
		}
		cs_span(c, *out, x, from);
		return COLSTORE_OK;
	}
	int a, k;
	if ((rc = cs_unary(c, x, &a, depth + 1)))
		return rc;
	if ((k = cs_cnew(c)) < 0)
		return cs_perr(x, from, "out of memory");
	cs_cnode *d = &c->nodes[k];
	d->op = C_NEG;
	d->arg[0] = a;
	d->nargs = 1;
	d->type = c->nodes[a].type;
	if (!cs_is_num(d->type))
		return cs_perr(x, from, "'-' needs a number, not %s", cs_tname(d->type));
	cs_span(c, k, x, from);
	*out = k;
	return COLSTORE_OK;
}

/* a chain of * and / (mul = 1) or + and - */
static int cs_chain2(cs_calc *c, cs_lex *x, int *out, int depth, int mul)
{
	const char *from = x->start;
	int rc = mul ? cs_unary(c, x, out, depth) : cs_chain2(c, x, out, depth, 1);
	if (rc)
		return rc;
	while (mul ? x->tok == T_STAR || x->tok == T_SLASH : x->tok == T_PLUS || x->tok == T_MINUS) {
		const int tok = x->tok;
		const char *op_at = x->start;
		int b, k;
		if ((rc = cs_lex_next(x)))
			return rc;
		if ((rc = mul ? cs_unary(c, x, &b, depth) : cs_chain2(c, x, &b, depth, 1)))
			return rc;
		if ((k = cs_cnew(c)) < 0)
			return cs_perr(x, op_at, "out of memory");
		cs_cnode *d = &c->nodes[k];
		d->op = tok == T_STAR ? C_MUL : tok == T_SLASH ? C_DIV : tok == T_PLUS ? C_ADD : C_SUB;
		d->arg[0] = *out;
		d->arg[1] = b;
		d->nargs = 2;
		uint8_t ta = c->nodes[*out].type, tb = c->nodes[b].type;
		if (!cs_is_num(ta) || !cs_is_num(tb))
			return cs_perr(x, op_at, "'%c' needs numbers: %.*s is %s", *op_at,
			               (int)c->nodes[cs_is_num(ta) ? b : *out].len,
			               x->src + c->nodes[cs_is_num(ta) ? b : *out].at,
			               cs_tname(cs_is_num(ta) ? tb : ta));
		d->type = d->op == C_DIV || ta == COLSTORE_TYPE_FLOAT64 || tb == COLSTORE_TYPE_FLOAT64
		                  ? COLSTORE_TYPE_FLOAT64
		                  : COLSTORE_TYPE_INT64;
		cs_span(c, k, x, from);
		*out = k;
	}
	return COLSTORE_OK;
}

static int cs_sum(cs_calc *c, cs_lex *x, int *out, int depth)
{
	return cs_chain2(c, x, out, depth, 0);
}

int cs_calc_parse(colstore_reader *r, cs_lex *x, cs_calc **out)
{
	*out = NULL;
	cs_calc *c = calloc(1, sizeof(*c));
	if (!c)
		return cs_perr(x, x->start, "out of memory");
	c->r = r;
	const char *from = x->start;
	int rc = cs_sum(c, x, &c->root, 0);
	if (!rc) {
		size_t n = c->nodes[c->root].len;
		c->at = (size_t)(from - x->src);
		if (!(c->text = malloc(n + 1)))
			rc = cs_perr(x, from, "out of memory");
		else {
			memcpy(c->text, x->src + c->nodes[c->root].at, n);
			c->text[n] = '\0';
		}
	}
	if (rc) {
		cs_calc_free(c);
		return rc;
	}
	*out = c;
	return COLSTORE_OK;
}

uint8_t cs_calc_type(const cs_calc *c)
{
	return c->nodes[c->root].type;
}

int cs_calc_is_column(const cs_calc *c, uint32_t *col)
{
	const cs_cnode *d = &c->nodes[c->root];
	if (d->op != C_COL)
		return 0;
	*col = d->col;
	return 1;
}

int cs_calc_is_literal(const cs_calc *c, int *tok, const char **text, size_t *len,
                       const char **str, size_t *slen)
{
	const cs_cnode *d = &c->nodes[c->root];
	if (d->op != C_LIT)
		return 0;
	*tok = d->tok;
	*text = c->text;
	*len = strlen(c->text);
	*str = d->s;
	*slen = d->slen;
	return 1;
}

const char *cs_calc_text(const cs_calc *c)
{
	return c->text;
}

size_t cs_calc_at(const cs_calc *c)
{
	return c->at;
}

void cs_calc_columns(const cs_calc *c, uint8_t *mark)
{
	for (int k = 0; c && k < c->n; k++)
		if (c->nodes[k].op == C_COL || (c->nodes[k].op == C_FN && c->nodes[k].nargs &&
		                                 c->nodes[c->nodes[k].arg[0]].op == C_COL))
			mark[c->nodes[k].op == C_COL ? c->nodes[k].col : c->nodes[c->nodes[k].arg[0]].col] = 1;
}

/* ---- ranges from statistics ------------------------------------------------------ */

/* a column's values over every chunk (rg UINT32_MAX) or row group rg's:
 * 1 when every chunk with a value has statistics */
static int cs_col_range(const colstore_reader *r, uint32_t col, uint32_t rg, int64_t *lo, int64_t *hi)
{
	*lo = INT64_MAX;
	*hi = INT64_MIN;
	for (uint32_t g = rg == UINT32_MAX ? 0 : rg; g < r->num_row_groups && (rg == UINT32_MAX || g == rg); g++) {
		const cs_chunk *ch = cs_chunk_at(r, g, col);
		if (ch->null_count == ch->row_count)
			continue;
		if (!(ch->stats_flags & CS_STATS_MINMAX))
			return 0;
		if ((int64_t)ch->min < *lo)
			*lo = (int64_t)ch->min;
		if ((int64_t)ch->max > *hi)
			*hi = (int64_t)ch->max;
	}
	if (*lo > *hi) /* only nulls */
		*lo = *hi = 0;
	return 1;
}

static int cs_node_range(const cs_calc *c, uint32_t rg, int k, int64_t *lo, int64_t *hi)
{
	const cs_cnode *d = &c->nodes[k];
	int64_t a0, a1, b0, b1;
	if (d->type == COLSTORE_TYPE_FLOAT64 || d->type == COLSTORE_TYPE_STRING)
		return 0;
	switch (d->op) {
	case C_LIT: *lo = *hi = d->i; return 1;
	case C_COL: return c->r->columns[d->col].type != COLSTORE_TYPE_FLOAT32 &&
		           c->r->columns[d->col].type != COLSTORE_TYPE_FLOAT64 &&
		           cs_col_range(c->r, d->col, rg, lo, hi);
	case C_NEG:
		if (!cs_node_range(c, rg, d->arg[0], &a0, &a1) || a0 == INT64_MIN)
			return 0;
		*lo = -a1;
		*hi = -a0;
		return 1;
	case C_ADD:
	case C_SUB:
	case C_MUL: {
		if (!cs_node_range(c, rg, d->arg[0], &a0, &a1) || !cs_node_range(c, rg, d->arg[1], &b0, &b1))
			return 0;
		int64_t v[4];
		int bad = 0;
		if (d->op == C_ADD) {
			bad |= __builtin_add_overflow(a0, b0, &v[0]) | __builtin_add_overflow(a1, b1, &v[1]);
			v[2] = v[0], v[3] = v[1];
		} else if (d->op == C_SUB) {
			bad |= __builtin_sub_overflow(a0, b1, &v[0]) | __builtin_sub_overflow(a1, b0, &v[1]);
			v[2] = v[0], v[3] = v[1];
		} else {
			bad |= __builtin_mul_overflow(a0, b0, &v[0]) | __builtin_mul_overflow(a0, b1, &v[1]) |
			       __builtin_mul_overflow(a1, b0, &v[2]) | __builtin_mul_overflow(a1, b1, &v[3]);
		}
		if (bad)
			return 0;
		*lo = *hi = v[0];
		for (int j = 1; j < 4; j++) {
			*lo = v[j] < *lo ? v[j] : *lo;
			*hi = v[j] > *hi ? v[j] : *hi;
		}
		return 1;
	}
	case C_FN: break;
	default: return 0;
	}
	switch (d->fn) {
	case F_QUARTER: *lo = 1; *hi = 4; return 1;
	case F_MONTH: *lo = 1; *hi = 12; return 1;
	case F_DAY: *lo = 1; *hi = 31; return 1;
	case F_HOUR: *lo = 0; *hi = 23; return 1;
	case F_MINUTE: *lo = 0; *hi = 59; return 1;
	case F_WEEKDAY: *lo = 0; *hi = 6; return 1;
	case F_LENGTH: *lo = 0; *hi = CS_MAX_STRING_BYTES; return 1;
	case F_YEAR:
	case F_DATE_TRUNC: { /* both keep the order of their argument */
		const uint8_t t = c->nodes[d->arg[0]].type;
		if (!cs_node_range(c, rg, d->arg[0], &a0, &a1))
			return 0;
		if (t == COLSTORE_TYPE_DATE && (a0 < INT32_MIN || a1 > INT32_MAX))
			return 0;
		int ovf = 0;
		*lo = cs_time_fn(d->fn, (int)d->i, t, a0, &ovf);
		*hi = cs_time_fn(d->fn, (int)d->i, t, a1, &ovf);
		return !ovf;
	}
	case F_BUCKET: {
		if (!cs_node_range(c, rg, d->arg[0], &a0, &a1))
			return 0;
		int64_t q0 = cs_floordiv(a0, d->i), q1 = cs_floordiv(a1, d->i);
		return !__builtin_mul_overflow(q0, d->i, lo) && !__builtin_mul_overflow(q1, d->i, hi);
	}
	case F_ABS:
		if (!cs_node_range(c, rg, d->arg[0], &a0, &a1) || a0 == INT64_MIN)
			return 0;
		*hi = -a0 > a1 ? -a0 : a1;
		*lo = a0 >= 0 ? a0 : a1 <= 0 ? -a1 : 0;
		return 1;
	case F_ROUND: return cs_node_range(c, rg, d->arg[0], lo, hi);
	case F_COALESCE:
		for (int j = 0; j < d->nargs; j++) {
			if (!cs_node_range(c, rg, d->arg[j], &a0, &a1))
				return 0;
			if (c->nodes[d->arg[j]].type != d->type)
				return 0; /* a date widened to a timestamp */
			*lo = j == 0 || a0 < *lo ? a0 : *lo;
			*hi = j == 0 || a1 > *hi ? a1 : *hi;
		}
		return 1;
	default: return 0;
	}
}

int cs_calc_range(const cs_calc *c, int64_t *lo, int64_t *hi)
{
	return cs_node_range(c, UINT32_MAX, c->root, lo, hi);
}

int cs_calc_range_rg(const cs_calc *c, uint32_t rg, int64_t *lo, int64_t *hi)
{
	return cs_node_range(c, rg, c->root, lo, hi);
}

int cs_calc_int_literal(const cs_calc *c, int64_t *v)
{
	const cs_cnode *d = &c->nodes[c->root];
	if (d->op != C_LIT || d->type == COLSTORE_TYPE_FLOAT64 || d->type == COLSTORE_TYPE_STRING)
		return 0;
	*v = d->i;
	return 1;
}

/* ---- items of lists ---------------------------------------------------------------- */

/* "ITEM as NAME": cuts " as NAME" off item (an "as" outside parentheses,
 * then one name, then the end) and gives NAME in *alias (malloc'd), else
 * NULL; -1 when out of memory */
int cs_item_alias(char *item, char **alias)
{
	cs_lex x;
	int depth = 0;
	*alias = NULL;
	if (cs_lex_start(&x, item, NULL)) {
		cs_lex_done(&x);
		return 0; /* the item's parser names the error */
	}
	for (; x.tok != T_END; ) {
		if (x.tok == T_LP)
			depth++;
		else if (x.tok == T_RP)
			depth--;
		if (depth == 0 && cs_tok_is(&x, "as") && x.start > item) {
			char *as = (char *)x.start;
			if (cs_lex_next(&x) || x.tok != T_NAME)
				break;
			char *name = x.str;
			x.str = NULL; /* ours now */
			if (cs_lex_next(&x) || x.tok != T_END) {
				free(name);
				break;
			}
			*alias = name;
			*as = '\0';
			break;
		}
		if (cs_lex_next(&x))
			break;
	}
	cs_lex_done(&x);
	return 0;
}

char *cs_item_next(char **save, char **alias, int *rc, colstore_error *err)
{
	char *it = cs_list_cut(save);
	*alias = NULL;
	if (!it)
		return NULL;
	if (cs_item_alias(it, alias)) {
		*rc = cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		return NULL;
	}
	while (*it == ' ' || *it == '\t')
		it++;
	for (size_t l = strlen(it); l && (it[l - 1] == ' ' || it[l - 1] == '\t');)
		it[--l] = '\0';
	return it;
}

int cs_item_parse(colstore_reader *r, const char *text, const char *what, uint32_t *col,
                  cs_calc **out, colstore_error *err)
{
	char name[1024];
	const char *np = text;
	colstore_error ne;
	*out = NULL;
	if (cs_name_next(&np, name, sizeof(name), &ne) == 1 && !*np &&
	    colstore_reader_find_column(r, name, col, NULL) == COLSTORE_OK)
		return COLSTORE_OK;
	cs_lex x;
	cs_calc *c = NULL;
	int rc = cs_lex_start(&x, text, &ne);
	if (!rc && x.tok == T_END)
		rc = cs_perr(&x, x.start, "an empty item");
	if (!rc)
		rc = cs_calc_parse(r, &x, &c);
	if (!rc && x.tok != T_END) {
		char tok[64];
		cs_tok_text(&x, tok, sizeof(tok));
		rc = cs_perr(&x, x.start, "unexpected %s after %s", tok, cs_calc_text(c));
	}
	cs_lex_done(&x);
	if (rc) {
		cs_calc_free(c);
		/* the place in the item, as a --where error gives it */
		return cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "%s%s (at character %llu of '%s')",
		              what, ne.message, (unsigned long long)ne.column, text);
	}
	if (cs_calc_is_column(c, col)) { /* ("x") or x written unusually */
		cs_calc_free(c);
		return COLSTORE_OK;
	}
	*out = c;
	return COLSTORE_OK;
}
