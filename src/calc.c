/*
 * calc.c -- the expression language's lexer, and value expressions:
 * columns, literals, + - * / and functions, parsed by recursive descent
 * into a tree over a reader's columns and evaluated a batch at a time, one
 * vector per node.  Integers widen to int64 and overflow is an error; /
 * gives a float64, and null on division by zero.  A function of a
 * dictionary string column is worked out once per dictionary entry.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "calc.h"

/* ---- lexer --------------------------------------------------------------------- */

int cs_perr(cs_lex *x, const char *at, const char *fmt, ...)
{
	if (x->err) {
		va_list ap;
		x->err->code = COLSTORE_EPARSE;
		x->err->offset = COLSTORE_NO_OFFSET;
		x->err->line = 0;
		x->err->column = (uint64_t)(at - x->src) + 1;
		va_start(ap, fmt);
		vsnprintf(x->err->message, sizeof(x->err->message), fmt, ap);
		va_end(ap);
	}
	return COLSTORE_EPARSE;
}

static int cs_kw(const char *p, size_t n, const char *kw)
{
	if (strlen(kw) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (tolower((unsigned char)p[i]) != kw[i])
			return 0;
	return 1;
}

int cs_tok_is(const cs_lex *x, const char *kw)
{
	return x->tok == T_NAME && !x->quoted && cs_kw(x->start, x->len, kw);
}

int cs_tok_text(const cs_lex *x, char *buf, size_t n)
{
	if (x->tok == T_END)
		return snprintf(buf, n, "the end of the expression");
	return snprintf(buf, n, "'%.*s'", (int)(x->len > 40 ? 40 : x->len), x->start);
}

int cs_lex_next(cs_lex *x)
{
	const char *p = x->p;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	x->start = p;
	x->quoted = 0;
	free(x->str);
	x->str = NULL;
	if (!*p) {
		x->tok = T_END;
		x->len = 0;
		x->p = p;
		return COLSTORE_OK;
	}
	static const char single[] = "(),+-*/";
	static const int stok[] = { T_LP, T_RP, T_COMMA, T_PLUS, T_MINUS, T_STAR, T_SLASH };
	const char *sc = strchr(single, *p);
	if (sc) {
		x->tok = stok[sc - single];
		x->p = p + 1;
		x->len = 1;
		return COLSTORE_OK;
	}
	if (*p == '\'' || *p == '"') {
		char q = *p;
		size_t cap = strlen(p) + 1, o = 0;
		x->str = malloc(cap);
		if (!x->str)
			return cs_perr(x, p, "out of memory");
		const char *s = p + 1;
		for (;; s++) {
			if (!*s)
				return cs_perr(x, p, "unterminated %s starting here",
				               q == '\'' ? "string literal" : "quoted name");
			if (*s == q) {
				if (s[1] == q) {
					x->str[o++] = q;
					s++;
					continue;
				}
				break;
			}
			x->str[o++] = *s;
		}
		x->str[o] = '\0';
		x->strlen_ = o;
		x->tok = q == '\'' ? T_STR : T_NAME;
		x->quoted = q == '"';
		x->p = s + 1;
		x->len = (size_t)(x->p - p);
		return COLSTORE_OK;
	}
	static const struct { const char *s; int op; } ops[] = {
		{ "<=", OP_LE }, { ">=", OP_GE }, { "!=", OP_NE }, { "<>", OP_NE },
		{ "==", OP_EQ }, { "=", OP_EQ },  { "<", OP_LT },  { ">", OP_GT },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].s);
		if (strncmp(p, ops[i].s, n) == 0) {
			x->tok = T_OP;
			x->op = ops[i].op;
			x->p = p + n;
			x->len = n;
			return COLSTORE_OK;
		}
	}
	if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
		const char *s = p + 1;
		while (isalnum((unsigned char)*s) || *s == '.' ||
		       ((*s == '-' || *s == '+') && (s[-1] == 'e' || s[-1] == 'E')))
			s++;
		x->tok = T_NUM;
		x->p = s;
		x->len = (size_t)(s - p);
		return COLSTORE_OK;
	}
	if (isalpha((unsigned char)*p) || *p == '_') {
		const char *s = p + 1;
		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		size_t n = (size_t)(s - p);
		x->p = s;
		x->len = n;
		x->tok = cs_kw(p, n, "and")     ? T_AND
		         : cs_kw(p, n, "or")    ? T_OR
		         : cs_kw(p, n, "is")    ? T_IS
		         : cs_kw(p, n, "not")   ? T_NOT
		         : cs_kw(p, n, "null")  ? T_NULL
		         : cs_kw(p, n, "true")  ? T_TRUE
		         : cs_kw(p, n, "false") ? T_FALSE
		         : cs_kw(p, n, "in")    ? T_IN
		         : cs_kw(p, n, "between") ? T_BETWEEN
		         : cs_kw(p, n, "like")  ? T_LIKE
		         : cs_kw(p, n, "ilike") ? T_ILIKE
		                                : T_NAME;
		if (x->tok == T_NAME) {
			x->str = malloc(n + 1);
			if (!x->str)
				return cs_perr(x, p, "out of memory");
			memcpy(x->str, p, n);
			x->str[n] = '\0';
			x->strlen_ = n;
		}
		return COLSTORE_OK;
	}
	return cs_perr(x, p, "unexpected character '%c'", *p);
}

int cs_lex_start(cs_lex *x, const char *src, colstore_error *err)
{
	memset(x, 0, sizeof(*x));
	x->src = x->p = src;
	x->err = err;
	return cs_lex_next(x);
}

void cs_lex_done(cs_lex *x)
{
	free(x->str);
	x->str = NULL;
}

/* ---- the tree -------------------------------------------------------------------- */

enum { C_COL, C_LIT, C_NEG, C_ADD, C_SUB, C_MUL, C_DIV, C_FN };
enum { F_YEAR, F_QUARTER, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_WEEKDAY, F_DATE_TRUNC, F_BUCKET,
       F_ABS, F_ROUND, F_LOWER, F_UPPER, F_LENGTH, F_COALESCE };
static const char *const fn_names[] = { "year", "quarter", "month", "day", "hour", "minute",
	                                "weekday", "date_trunc", "bucket", "abs", "round",
	                                "lower", "upper", "length", "coalesce" };
#define CS_NFN ((int)(sizeof(fn_names) / sizeof(fn_names[0])))
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

static int64_t cs_floordiv(int64_t a, int64_t b);
static int64_t cs_time_fn(int fn, int unit, uint8_t t, int64_t v, int *ovf);

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

/* ---- evaluation -------------------------------------------------------------------- */

typedef struct cs_nbuf {
	uint8_t *ok;
	int64_t *i;
	double *d;
	cs_str *s;
	char *arena; /* strings made in this batch (lower, upper of PLAIN chunks) */
	size_t arena_cap;
	uint32_t *idx; /* coalesce: the rows an argument is worked out on */
	double *ftmp;  /* integer operands as doubles */
	int64_t *m;    /* a decimal form of a float64 (cs_cvec.m), when mscale >= 0 */
	int mscale;
} cs_nbuf;

struct cs_calc_run {
	const cs_calc *c;
	cs_nbuf *nb;
	/* cs_calc_values */
	uint8_t *vbits, *vdata;
	uint32_t *voff;
	char *vbytes;
	size_t vbytes_cap;
};

cs_calc_run *cs_calc_run_new(const cs_calc *c)
{
	cs_calc_run *cr = calloc(1, sizeof(*cr));
	if (!cr)
		return NULL;
	cr->c = c;
	cr->nb = calloc((size_t)c->n, sizeof(cs_nbuf));
	if (!cr->nb) {
		free(cr);
		return NULL;
	}
	for (int k = 0; k < c->n; k++)
		cr->nb[k].mscale = -1;
	for (int k = 0; k < c->n; k++) {
		const cs_cnode *d = &c->nodes[k];
		cs_nbuf *b = &cr->nb[k];
		if (d->op == C_LIT)
			continue; /* constants are read from the node */
		b->ok = malloc(CS_BATCH_ROWS);
		if (d->type == COLSTORE_TYPE_FLOAT64)
			b->d = malloc(CS_BATCH_ROWS * sizeof(double));
		else if (d->type == COLSTORE_TYPE_STRING)
			b->s = malloc(CS_BATCH_ROWS * sizeof(cs_str));
		else
			b->i = malloc(CS_BATCH_ROWS * sizeof(int64_t));
		if (!b->ok || !(b->d || b->s || b->i)) {
			cs_calc_run_free(cr);
			return NULL;
		}
	}
	return cr;
}

void cs_calc_run_free(cs_calc_run *cr)
{
	if (!cr)
		return;
	for (int k = 0; k < cr->c->n; k++) {
		free(cr->nb[k].ok);
		free(cr->nb[k].i);
		free(cr->nb[k].d);
		free(cr->nb[k].s);
		free(cr->nb[k].arena);
		free(cr->nb[k].idx);
		free(cr->nb[k].ftmp);
		free(cr->nb[k].m);
	}
	free(cr->nb);
	free(cr->vbits);
	free(cr->vdata);
	free(cr->voff);
	free(cr->vbytes);
	free(cr);
}

typedef struct cs_ev {
	cs_calc_run *cr;
	cs_colget get;
	cs_colget_m getm; /* or NULL */
	int dec_only;     /* doubles of decimal columns not wanted */
	void *ctx;
	uint32_t n, m;
	const uint32_t *idx;
	colstore_error *err;
} cs_ev;

/* the body for each row i of the batch's rows (idx, or all: a plain loop
 * that the compiler can vectorize) */
#define CS_ROWS(ev, ...)                                                    \
	do {                                                                \
		const uint32_t *idx_ = (ev)->idx;                           \
		const uint32_t m_ = (ev)->m;                                \
		if (idx_) {                                                 \
			for (uint32_t k_ = 0; k_ < m_; k_++) {              \
				const uint32_t i = idx_[k_];                \
				__VA_ARGS__;                                \
			}                                                   \
		} else {                                                    \
			for (uint32_t i = 0; i < m_; i++) {                 \
				__VA_ARGS__;                                \
			}                                                   \
		}                                                           \
	} while (0)

static void cs_civil(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t cs_floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return q - ((a % b != 0) && ((a < 0) != (b < 0)));
}

#define US_DAY INT64_C(86400000000)

/* a date or timestamp's part, or the date or timestamp truncated (*ovf
 * set when that lies before the first timestamp) */
static int64_t cs_time_fn(int fn, int unit, uint8_t t, int64_t v, int *ovf)
{
	int64_t days = t == COLSTORE_TYPE_DATE ? v : cs_floordiv(v, US_DAY);
	/* in [0, US_DAY): wraps on the way near INT64_MIN, not at the end */
	int64_t us = t == COLSTORE_TYPE_DATE ? 0 : (int64_t)((uint64_t)v - (uint64_t)days * (uint64_t)US_DAY);
	int64_t y;
	unsigned m, d;
	switch (fn) {
	case F_HOUR: return us / INT64_C(3600000000);
	case F_MINUTE: return us / 60000000 % 60;
	case F_WEEKDAY: return ((days % 7) + 11) % 7; /* 1970-01-01 was a Thursday; Sunday 0 */
	case F_DATE_TRUNC: {
		int64_t r;
		if (unit == U_HOUR || unit == U_MINUTE) {
			int64_t q = unit == U_HOUR ? INT64_C(3600000000) : 60000000;
			*ovf |= t != COLSTORE_TYPE_DATE && __builtin_sub_overflow(v, us % q, &r);
			return t == COLSTORE_TYPE_DATE ? v : r;
		}
		if (unit == U_DAY) {
			r = days;
		} else if (unit == U_WEEK) { /* from the Monday */
			r = days - (((days % 7) + 10) % 7);
		} else {
			cs_civil(days, &y, &m, &d);
			if (unit == U_YEAR)
				m = 1;
			else if (unit == U_QUARTER)
				m = (m - 1) / 3 * 3 + 1;
			r = cs_days_from_civil(y, m, 1);
		}
		if (t == COLSTORE_TYPE_DATE)
			return r;
		*ovf |= __builtin_mul_overflow(r, US_DAY, &r);
		return r;
	}
	default:
		cs_civil(days, &y, &m, &d);
		return fn == F_YEAR ? y : fn == F_QUARTER ? (m - 1) / 3 + 1 : fn == F_MONTH ? m : d;
	}
}

/* round half away from zero at `digits` decimals, of the shortest decimal
 * that reads back as x (what was written: 2.675 rounds to 2.68) */
static double cs_round(double x, int digits)
{
	if (!isfinite(x) || x == 0)
		return x;
	/* most values: x * 10^digits well away from a half, where the
	 * shortest decimal and x itself round alike; r / 10^digits (both
	 * exact) is then the double nearest the rounded decimal */
	const double p10 = cs_pow10[digits], y = fabs(x) * p10;
	if (y < 4503599627370496.0) { /* 2^52 */
		double fl = floor(y), frac = y - fl;
		double ulp = nextafter(y, INFINITY) - y;
		if (fabs(frac - 0.5) > 8 * ulp) {
			double r = (fl + (frac > 0.5)) / p10;
			return x < 0 ? -r : r;
		}
	}
	char buf[64];
	int prec = 15;
	for (; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, x);
		if (strtod(buf, NULL) == x)
			break;
	}
	/* buf: [-]D.DDDDe[+-]XX: the digits, and the exponent of the first */
	const int neg = buf[0] == '-';
	const char *p = buf + neg;
	char dig[24];
	int nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p != '.')
			dig[nd++] = *p;
	int e10 = atoi(p + 1);
	/* digit j stands for 10^(e10 - j); keep those of 10^-digits and up */
	int keep = e10 + digits + 1;
	if (keep >= nd)
		return x; /* no digit to round away */
	if (keep < 0)
		return neg ? -0.0 : 0.0;
	int up = dig[keep] >= '5';
	char out[64];
	int o = 0;
	if (neg)
		out[o++] = '-';
	out[o++] = '0'; /* room for a carry */
	memcpy(out + o, dig, (size_t)keep);
	int last = o + keep - 1;
	o += keep;
	for (int j = last; up && j >= (neg ? 1 : 0); j--) {
		if (out[j] == '9') {
			out[j] = '0';
		} else {
			out[j]++;
			up = 0;
		}
	}
	snprintf(out + o, sizeof(out) - (size_t)o, "e%d", e10 - keep + 1);
	return strtod(out, NULL);
}

static int cs_overflow(cs_ev *ev, const cs_cnode *d)
{
	const char *src = ev->cr->c->text;
	size_t at = d->at - ev->cr->c->nodes[ev->cr->c->root].at;
	return cs_err(ev->err, COLSTORE_ERANGE, COLSTORE_NO_OFFSET, "integer overflow in %.*s",
	              (int)d->len, src + at);
}

static int cs_node_eval(cs_ev *ev, int k);

static int v_is_f64(const cs_calc *c, uint32_t col)
{
	return c->r->columns[col].type == COLSTORE_TYPE_FLOAT64;
}

/* node k's column values (col) read into its vector */
/* a column's validity as the node's ok flags */
static void cs_col_ok(cs_ev *ev, cs_nbuf *b, const uint8_t *vb)
{
	if (!vb && !ev->idx)
		memset(b->ok, 1, ev->m);
	else
		CS_ROWS(ev, b->ok[i] = !vb || cs_bit_get(vb, i));
}

static int cs_eval_col(cs_ev *ev, int k)
{
	const cs_calc *c = ev->cr->c;
	const cs_cnode *d = &c->nodes[k];
	cs_nbuf *b = &ev->cr->nb[k];
	colstore_values v;
	int rc;
	b->mscale = -1;
	if (ev->getm && v_is_f64(c, d->col)) { /* mantissas where the chunk is DECIMAL */
		int scale;
		if ((rc = ev->getm(ev->ctx, d->col, &v, &scale, ev->err)))
			return rc;
		cs_col_ok(ev, b, v.validity);
		if (scale < 0) {
			CS_ROWS(ev, b->d[i] = ((const double *)v.data)[i]);
			return COLSTORE_OK;
		}
		if (!b->m && !(b->m = malloc(CS_BATCH_ROWS * sizeof(int64_t))))
			return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		const int64_t *mv = v.data;
		const double p = cs_pow10[scale];
		if (ev->dec_only)
			CS_ROWS(ev, b->m[i] = mv[i]);
		else
			CS_ROWS(ev, {
				b->m[i] = mv[i];
				b->d[i] = (double)mv[i] / p; /* as DECIMAL decodes it */
			});
		b->mscale = scale;
		return COLSTORE_OK;
	}
	if ((rc = ev->get(ev->ctx, d->col, &v, ev->err)))
		return rc;
	cs_col_ok(ev, b, v.validity);
	switch (v.type) {
	case COLSTORE_TYPE_INT8: CS_ROWS(ev, b->i[i] = ((const int8_t *)v.data)[i]); break;
	case COLSTORE_TYPE_INT16: CS_ROWS(ev, b->i[i] = ((const int16_t *)v.data)[i]); break;
	case COLSTORE_TYPE_INT32:
	case COLSTORE_TYPE_DATE: CS_ROWS(ev, b->i[i] = ((const int32_t *)v.data)[i]); break;
	case COLSTORE_TYPE_INT64:
	case COLSTORE_TYPE_TIMESTAMP: CS_ROWS(ev, b->i[i] = ((const int64_t *)v.data)[i]); break;
	case COLSTORE_TYPE_BOOL: CS_ROWS(ev, b->i[i] = cs_bit_get(v.data, i)); break;
	case COLSTORE_TYPE_FLOAT32: CS_ROWS(ev, b->d[i] = ((const float *)v.data)[i]); break;
	case COLSTORE_TYPE_FLOAT64: CS_ROWS(ev, b->d[i] = ((const double *)v.data)[i]); break;
	default:
		if (v.encoding == COLSTORE_ENCODING_DICT) {
			CS_ROWS(ev, {
				uint32_t code = cs_code_at(v.data, v.code_width, i);
				if (!b->ok[i] || colstore_reader_dict_lookup(c->r, d->col, code, &b->s[i].p,
				                                               &b->s[i].len, NULL)) {
					b->s[i].p = "";
					b->s[i].len = 0;
				}
			});
		} else {
			const uint32_t *o = v.data;
			CS_ROWS(ev, {
				b->s[i].p = v.bytes + o[i];
				b->s[i].len = o[i + 1] - o[i];
			});
		}
		break;
	}
	return COLSTORE_OK;
}

/* lower, upper, length of a string: per dictionary entry where the chunk
 * is dictionary-encoded, else per row */
static int cs_eval_str_fn(cs_ev *ev, int k)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *d = &cr->c->nodes[k];
	const cs_cnode *a = &cr->c->nodes[d->arg[0]];
	cs_nbuf *b = &cr->nb[k];
	int rc;
	if (a->op == C_COL && (d->dint || d->dstr)) {
		colstore_values v;
		if ((rc = ev->get(ev->ctx, a->col, &v, ev->err)))
			return rc;
		if (v.encoding == COLSTORE_ENCODING_DICT) {
			const uint8_t *vb = v.validity;
			CS_ROWS(ev, {
				uint32_t code = cs_code_at(v.data, v.code_width, i);
				b->ok[i] = !vb || cs_bit_get(vb, i);
				if (d->dint)
					b->i[i] = b->ok[i] ? d->dint[code] : 0;
				else
					b->s[i] = b->ok[i] ? d->dstr[code] : (cs_str){ "", 0 };
			});
			return COLSTORE_OK;
		}
	}
	if ((rc = cs_node_eval(ev, d->arg[0])))
		return rc;
	/* the argument's strings: a literal's, or its vector's */
	const cs_cnode *an = &cr->c->nodes[d->arg[0]];
	const cs_nbuf *xb = &cr->nb[d->arg[0]];
	const int lit = an->op == C_LIT;
#define CS_XOK(i) (lit || xb->ok[i])
#define CS_XS(i) (lit ? (cs_str){ an->s, an->slen } : xb->s[i])
	if (d->fn == F_LENGTH) {
		CS_ROWS(ev, {
			int64_t chars = 0;
			b->ok[i] = (uint8_t)CS_XOK(i);
			const cs_str xs = CS_XS(i);
			for (uint32_t j = 0; b->ok[i] && j < xs.len; j++)
				chars += ((unsigned char)xs.p[j] & 0xc0) != 0x80;
			b->i[i] = chars;
		});
		return COLSTORE_OK;
	}
	size_t need = 0;
	CS_ROWS(ev, need += CS_XOK(i) ? CS_XS(i).len : 0);
	size_t used = 0;
	if (need + 1 > b->arena_cap) {
		char *p = realloc(b->arena, need + 1);
		if (!p)
			return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		b->arena = p;
		b->arena_cap = need + 1;
	}
	CS_ROWS(ev, {
		const cs_str xs = CS_XS(i);
		b->ok[i] = (uint8_t)CS_XOK(i);
		b->s[i].p = b->arena + used;
		b->s[i].len = b->ok[i] ? xs.len : 0;
		for (uint32_t j = 0; j < b->s[i].len; j++) {
			char ch = xs.p[j];
			if (d->fn == F_LOWER && ch >= 'A' && ch <= 'Z')
				ch = (char)(ch + 32);
			else if (d->fn == F_UPPER && ch >= 'a' && ch <= 'z')
				ch = (char)(ch - 32);
			b->arena[used + j] = ch;
		}
		used += b->s[i].len;
	});
	return COLSTORE_OK;
}
#undef CS_XOK
#undef CS_XS

/* operand j of node d as float64 / int64 at row i */
static inline double cs_fget(const cs_calc_run *cr, int a, uint32_t i)
{
	const cs_cnode *n = &cr->c->nodes[a];
	if (n->op == C_LIT)
		return n->type == COLSTORE_TYPE_FLOAT64 ? n->d : (double)n->i;
	return n->type == COLSTORE_TYPE_FLOAT64 ? cr->nb[a].d[i] : (double)cr->nb[a].i[i];
}

static inline int64_t cs_iget(const cs_calc_run *cr, int a, uint32_t i)
{
	const cs_cnode *n = &cr->c->nodes[a];
	return n->op == C_LIT ? n->i : cr->nb[a].i[i];
}

static inline int cs_okget(const cs_calc_run *cr, int a, uint32_t i)
{
	return cr->c->nodes[a].op == C_LIT || cr->nb[a].ok[i];
}

/* coalesce: each argument worked out only on the rows where the ones
 * before it are null (as SQL's coalesce, so that an overflow in an
 * argument not needed is no error) */
static int cs_eval_coalesce(cs_ev *ev, int k)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *d = &cr->c->nodes[k];
	cs_nbuf *b = &cr->nb[k];
	int rc;
	if (!b->idx && !(b->idx = malloc(CS_BATCH_ROWS * sizeof(uint32_t))))
		return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	cs_ev sub = *ev;
	for (int j = 0; j < d->nargs && sub.m; j++) {
		if ((rc = cs_node_eval(&sub, d->arg[j])))
			return rc;
		/* the rows still null go on to the next argument */
		uint32_t m = 0;
		CS_ROWS(&sub, if (!cs_okget(cr, d->arg[j], i)) b->idx[m++] = i);
		sub.idx = b->idx;
		sub.m = m;
	}
	int bad = 0;
	CS_ROWS(ev, {
		int j = 0;
		while (j < d->nargs - 1 && !cs_okget(cr, d->arg[j], i))
			j++;
		const int aj = d->arg[j];
		const uint8_t tj = cr->c->nodes[aj].type;
		b->ok[i] = (uint8_t)cs_okget(cr, aj, i);
		if (d->type == COLSTORE_TYPE_FLOAT64)
			b->d[i] = cs_fget(cr, aj, i);
		else if (d->type == COLSTORE_TYPE_STRING)
			b->s[i] = cr->c->nodes[aj].op == C_LIT ? (cs_str){ cr->c->nodes[aj].s, cr->c->nodes[aj].slen }
			                                       : cr->nb[aj].s[i];
		else if (d->type == COLSTORE_TYPE_TIMESTAMP && tj == COLSTORE_TYPE_DATE)
			bad |= __builtin_mul_overflow(cs_iget(cr, aj, i), US_DAY, &b->i[i]) & b->ok[i];
		else
			b->i[i] = cs_iget(cr, aj, i);
	});
	return bad ? cs_overflow(ev, d) : COLSTORE_OK;
}

/* node k's decimal form, when it has one in this batch: the sum,
 * difference or product of operands with decimal forms of one scale, or
 * with integers (a product); an overflow leaves the doubles alone */
static int cs_dec_form(cs_ev *ev, int k)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *d = &cr->c->nodes[k];
	cs_nbuf *b = &cr->nb[k];
	b->mscale = -1;
	if (d->type != COLSTORE_TYPE_FLOAT64 || !ev->getm)
		return COLSTORE_OK;
	const int a0 = d->arg[0], a1 = d->nargs > 1 ? d->arg[1] : -1;
	const cs_cnode *n0 = &cr->c->nodes[a0], *n1 = a1 >= 0 ? &cr->c->nodes[a1] : NULL;
	/* each operand: a decimal vector (scale), an integer vector, an integer literal */
	int s0 = n0->op == C_LIT ? -1 : n0->type == COLSTORE_TYPE_FLOAT64 ? cr->nb[a0].mscale : -2;
	int s1 = !n1 ? -3 : n1->op == C_LIT ? -1 : n1->type == COLSTORE_TYPE_FLOAT64 ? cr->nb[a1].mscale : -2;
	int lit0 = n0->op == C_LIT && n0->type == COLSTORE_TYPE_INT64;
	int lit1 = n1 && n1->op == C_LIT && n1->type == COLSTORE_TYPE_INT64;
	if (!b->m && !(b->m = malloc(CS_BATCH_ROWS * sizeof(int64_t))))
		return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	int bad = 0, scale = -1;
	const int64_t *m0 = s0 >= 0 ? cr->nb[a0].m : NULL, *m1 = s1 >= 0 ? cr->nb[a1].m : NULL;
	const int64_t *i0 = s0 == -2 ? cr->nb[a0].i : NULL, *i1 = s1 == -2 ? cr->nb[a1].i : NULL;
	const int64_t l0 = lit0 ? n0->i : 0, l1 = lit1 ? n1->i : 0;
	switch (d->op) {
	case C_NEG:
		if (!m0)
			return COLSTORE_OK;
		CS_ROWS(ev, bad |= __builtin_sub_overflow((int64_t)0, m0[i], &b->m[i]) & b->ok[i]);
		scale = s0;
		break;
	case C_MUL:
		if (m0 && (i1 || lit1)) {
			CS_ROWS(ev, bad |= __builtin_mul_overflow(m0[i], i1 ? i1[i] : l1, &b->m[i]) & b->ok[i]);
			scale = s0;
		} else if (m1 && (i0 || lit0)) {
			CS_ROWS(ev, bad |= __builtin_mul_overflow(i0 ? i0[i] : l0, m1[i], &b->m[i]) & b->ok[i]);
			scale = s1;
		}
		break;
	case C_ADD:
	case C_SUB:
		if (m0 && m1 && s0 == s1) {
			if (d->op == C_ADD)
				CS_ROWS(ev, bad |= __builtin_add_overflow(m0[i], m1[i], &b->m[i]) & b->ok[i]);
			else
				CS_ROWS(ev, bad |= __builtin_sub_overflow(m0[i], m1[i], &b->m[i]) & b->ok[i]);
			scale = s0;
		}
		break;
	default: break;
	}
	b->mscale = bad ? -1 : scale;
	return COLSTORE_OK;
}

/* operand a of node k as doubles at the batch's rows: its vector, its
 * integers converted into the node's scratch j, or (*x NULL) a constant */
static int cs_fops(cs_ev *ev, int k, int a, int j, const double **x, double *lit)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *n = &cr->c->nodes[a];
	*x = NULL;
	if (n->op == C_LIT) {
		*lit = n->type == COLSTORE_TYPE_FLOAT64 ? n->d : (double)n->i;
		return COLSTORE_OK;
	}
	if (n->type == COLSTORE_TYPE_FLOAT64) {
		*x = cr->nb[a].d;
		return COLSTORE_OK;
	}
	cs_nbuf *b = &cr->nb[k];
	if (!b->ftmp && !(b->ftmp = malloc(2 * (size_t)CS_BATCH_ROWS * sizeof(double))))
		return cs_err(ev->err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	double *t = b->ftmp + (size_t)j * CS_BATCH_ROWS;
	const int64_t *v = cr->nb[a].i;
	CS_ROWS(ev, t[i] = (double)v[i]);
	*x = t;
	return COLSTORE_OK;
}

static int cs_node_eval(cs_ev *ev, int k)
{
	cs_calc_run *cr = ev->cr;
	const cs_cnode *d = &cr->c->nodes[k];
	cs_nbuf *b = &cr->nb[k];
	int rc;
	if (d->op == C_LIT)
		return COLSTORE_OK;
	if (d->op == C_COL)
		return cs_eval_col(ev, k);
	if (d->op == C_FN && (d->fn == F_LOWER || d->fn == F_UPPER || d->fn == F_LENGTH))
		return cs_eval_str_fn(ev, k);
	if (d->op == C_FN && d->fn == F_COALESCE)
		return cs_eval_coalesce(ev, k);
	for (int j = 0; j < d->nargs; j++)
		if ((rc = cs_node_eval(ev, d->arg[j])))
			return rc;
	const int a0 = d->arg[0], a1 = d->arg[1];
	const uint8_t t0 = cr->c->nodes[a0].type;
	int bad = 0;
	{ /* not null where no argument is (a literal never is) */
		const uint8_t *o0 = cr->c->nodes[a0].op == C_LIT ? NULL : cr->nb[a0].ok;
		const uint8_t *o1 = d->nargs < 2 || cr->c->nodes[a1].op == C_LIT ? NULL : cr->nb[a1].ok;
		if (o0 && o1)
			CS_ROWS(ev, b->ok[i] = o0[i] & o1[i]);
		else if (o0 || o1)
			CS_ROWS(ev, b->ok[i] = (o0 ? o0 : o1)[i]);
		else
			CS_ROWS(ev, b->ok[i] = 1);
	}
	switch (d->op) {
	case C_NEG:
		if (d->type == COLSTORE_TYPE_FLOAT64 && ev->dec_only)
			break; /* the decimal form alone (cs_dec_form) */
		if (d->type == COLSTORE_TYPE_FLOAT64)
			CS_ROWS(ev, b->d[i] = -cs_fget(cr, a0, i));
		else
			CS_ROWS(ev, {
				int64_t v = cs_iget(cr, a0, i);
				bad |= b->ok[i] && v == INT64_MIN;
				b->i[i] = (int64_t)(0 - (uint64_t)v);
			});
		break;
	case C_ADD:
	case C_SUB:
	case C_MUL:
		if (d->type == COLSTORE_TYPE_FLOAT64 && ev->dec_only) {
			/* the decimal form alone (cs_dec_form) */
		} else if (d->type == COLSTORE_TYPE_FLOAT64) {
			/* the operands as doubles, each a vector or a constant */
			double l0, l1;
			const double *x, *y;
			if ((rc = cs_fops(ev, k, a0, 0, &x, &l0)) || (rc = cs_fops(ev, k, a1, 1, &y, &l1)))
				return rc;
#define CS_FLOOP(OP)                                                                  \
	do {                                                                          \
		if (x && y)                                                           \
			CS_ROWS(ev, b->d[i] = x[i] OP y[i]);                          \
		else if (x)                                                           \
			CS_ROWS(ev, b->d[i] = x[i] OP l1);                            \
		else if (y)                                                           \
			CS_ROWS(ev, b->d[i] = l0 OP y[i]);                            \
		else                                                                  \
			CS_ROWS(ev, b->d[i] = l0 OP l1);                              \
	} while (0)
			if (d->op == C_ADD)
				CS_FLOOP(+);
			else if (d->op == C_SUB)
				CS_FLOOP(-);
			else
				CS_FLOOP(*);
#undef CS_FLOOP
		} else if (d->op == C_ADD) {
			CS_ROWS(ev, bad |= __builtin_add_overflow(cs_iget(cr, a0, i), cs_iget(cr, a1, i), &b->i[i]) & b->ok[i]);
		} else if (d->op == C_SUB) {
			CS_ROWS(ev, bad |= __builtin_sub_overflow(cs_iget(cr, a0, i), cs_iget(cr, a1, i), &b->i[i]) & b->ok[i]);
		} else {
			CS_ROWS(ev, bad |= __builtin_mul_overflow(cs_iget(cr, a0, i), cs_iget(cr, a1, i), &b->i[i]) & b->ok[i]);
		}
		break;
	case C_DIV:
		CS_ROWS(ev, {
			double den = cs_fget(cr, a1, i);
			b->ok[i] &= den != 0;
			b->d[i] = den != 0 ? cs_fget(cr, a0, i) / den : 0;
		});
		break;
	default:
		switch (d->fn) {
		case F_ABS:
			if (d->type == COLSTORE_TYPE_FLOAT64)
				CS_ROWS(ev, b->d[i] = fabs(cs_fget(cr, a0, i)));
			else
				CS_ROWS(ev, {
					int64_t v = cs_iget(cr, a0, i);
					bad |= b->ok[i] && v == INT64_MIN;
					b->i[i] = v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
				});
			break;
		case F_ROUND:
			if (d->type == COLSTORE_TYPE_FLOAT64)
				CS_ROWS(ev, b->d[i] = b->ok[i] ? cs_round(cs_fget(cr, a0, i), (int)d->i) : 0);
			else
				CS_ROWS(ev, b->i[i] = cs_iget(cr, a0, i));
			break;
		case F_BUCKET:
			if (d->type == COLSTORE_TYPE_FLOAT64) {
				CS_ROWS(ev, b->d[i] = floor(cs_fget(cr, a0, i) / d->d) * d->d);
			} else {
				CS_ROWS(ev, {
					int64_t q = cs_floordiv(cs_iget(cr, a0, i), d->i);
					bad |= __builtin_mul_overflow(q, d->i, &b->i[i]) & b->ok[i];
				});
			}
			break;
		default: /* parts of dates and timestamps, date_trunc */
			if (d->fn == F_YEAR || d->fn == F_QUARTER || d->fn == F_MONTH || d->fn == F_DAY) {
				/* a day's part once for its rows (sorted data: runs of rows) */
				int64_t last = INT64_MIN, part = 0;
				CS_ROWS(ev, {
					if (b->ok[i]) {
						int64_t v = cs_iget(cr, a0, i);
						int64_t day = t0 == COLSTORE_TYPE_DATE ? v : cs_floordiv(v, US_DAY);
						if (day != last) {
							int ovf = 0;
							part = cs_time_fn(d->fn, 0, COLSTORE_TYPE_DATE, day, &ovf);
							last = day;
						}
						b->i[i] = part;
					}
				});
				break;
			}
			CS_ROWS(ev, {
				int ovf = 0;
				b->i[i] = b->ok[i] ? cs_time_fn(d->fn, (int)d->i, t0, cs_iget(cr, a0, i), &ovf) : 0;
				bad |= ovf;
			});
			break;
		}
	}
	if (bad)
		return cs_overflow(ev, d);
	return cs_dec_form(ev, k);
}

int cs_calc_eval(cs_calc_run *cr, cs_colget get, void *ctx, uint32_t n, const uint32_t *idx,
                 uint32_t m, cs_cvec *out, colstore_error *err)
{
	return cs_calc_eval_m(cr, get, NULL, ctx, n, idx, m, 0, out, err);
}

int cs_calc_maybe_decimal(const cs_calc *c)
{
	int fcol = 0;
	for (int k = 0; k < c->n; k++) {
		const cs_cnode *d = &c->nodes[k];
		if (d->op == C_COL)
			fcol |= d->type == COLSTORE_TYPE_FLOAT64 && c->r->columns[d->col].type == COLSTORE_TYPE_FLOAT64;
		else if (d->op == C_LIT ? d->type != COLSTORE_TYPE_INT64
		                        : d->op != C_NEG && d->op != C_ADD && d->op != C_SUB && d->op != C_MUL)
			return 0;
	}
	return fcol && c->nodes[c->root].type == COLSTORE_TYPE_FLOAT64;
}

int cs_calc_eval_m(cs_calc_run *cr, cs_colget get, cs_colget_m getm, void *ctx, uint32_t n,
                   const uint32_t *idx, uint32_t m, int dec_only, cs_cvec *out, colstore_error *err)
{
	cs_ev ev = { cr, get, getm, getm && dec_only, ctx, n, idx ? m : n, idx, err };
	const cs_calc *c = cr->c;
	const int k = c->root;
	const cs_cnode *d = &c->nodes[k];
	out->type = d->type;
	if (d->op == C_LIT) { /* a constant: written out */
		cs_nbuf *b = &cr->nb[k];
		if (!b->ok && !(b->ok = malloc(CS_BATCH_ROWS)))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (d->type == COLSTORE_TYPE_FLOAT64 && !b->d && !(b->d = malloc(CS_BATCH_ROWS * sizeof(double))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (d->type == COLSTORE_TYPE_STRING && !b->s && !(b->s = malloc(CS_BATCH_ROWS * sizeof(cs_str))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		if (d->type != COLSTORE_TYPE_FLOAT64 && d->type != COLSTORE_TYPE_STRING && !b->i &&
		    !(b->i = malloc(CS_BATCH_ROWS * sizeof(int64_t))))
			return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		CS_ROWS(&ev, {
			b->ok[i] = 1;
			if (b->d)
				b->d[i] = d->d;
			else if (b->s)
				b->s[i] = (cs_str){ d->s, d->slen };
			else
				b->i[i] = d->i;
		});
	} else {
		int rc = cs_node_eval(&ev, k);
		if (!rc && ev.dec_only && cr->nb[k].mscale < 0) { /* no decimal form: the doubles */
			ev.dec_only = 0;
			rc = cs_node_eval(&ev, k);
		}
		if (rc)
			return rc;
	}
	if (idx) { /* the other rows: null */
		/* mark taken rows first, then clear the rest */
		uint8_t *ok = cr->nb[k].ok;
		uint32_t j = 0;
		for (uint32_t i = 0; i < n; i++) {
			if (j < m && idx[j] == i) {
				j++;
				continue;
			}
			ok[i] = 0;
		}
	}
	out->ok = cr->nb[k].ok;
	out->i = cr->nb[k].i;
	out->d = cr->nb[k].d;
	out->s = cr->nb[k].s;
	out->m = cr->nb[k].m;
	out->mscale = d->op == C_LIT ? -1 : cr->nb[k].mscale;
	return COLSTORE_OK;
}

int cs_calc_values(cs_calc_run *cr, const cs_cvec *v, uint32_t n, colstore_values *out)
{
	memset(out, 0, sizeof(*out));
	out->type = (colstore_type)v->type;
	out->rows = n;
	out->encoding = COLSTORE_ENCODING_PLAIN;
	if (!cr->vbits && !(cr->vbits = malloc(CS_BATCH_ROWS / 8 + 8)))
		return -1;
	if (!n || !memchr(v->ok, 0, n)) { /* no null: no bitmap, as a column's */
		out->validity = NULL;
	} else {
		memset(cr->vbits, 0, cs_bitmap_bytes(n));
		for (uint32_t i = 0; i < n; i++)
			cr->vbits[i >> 3] |= (uint8_t)(v->ok[i] << (i & 7));
		out->validity = cr->vbits;
	}
	switch (v->type) {
	case COLSTORE_TYPE_FLOAT64: out->data = v->d; return 0;
	case COLSTORE_TYPE_INT64:
	case COLSTORE_TYPE_TIMESTAMP: out->data = v->i; return 0;
	default: break;
	}
	if (!cr->vdata && !(cr->vdata = malloc(CS_BATCH_ROWS * 4 + 8)))
		return -1;
	if (v->type == COLSTORE_TYPE_DATE) {
		int32_t *p = (int32_t *)(void *)cr->vdata;
		for (uint32_t i = 0; i < n; i++)
			p[i] = v->ok[i] ? (int32_t)v->i[i] : 0;
		out->data = p;
		return 0;
	}
	if (v->type == COLSTORE_TYPE_BOOL) {
		memset(cr->vdata, 0, cs_bitmap_bytes(n));
		for (uint32_t i = 0; i < n; i++)
			cr->vdata[i >> 3] |= (uint8_t)((v->ok[i] && v->i[i]) << (i & 7));
		out->data = cr->vdata;
		return 0;
	}
	/* strings: PLAIN offsets and bytes */
	if (!cr->voff && !(cr->voff = malloc((CS_BATCH_ROWS + 1) * sizeof(uint32_t))))
		return -1;
	size_t need = 0;
	for (uint32_t i = 0; i < n; i++)
		need += v->ok[i] ? v->s[i].len : 0;
	if (need >= UINT32_MAX)
		return -1;
	if (need + 1 > cr->vbytes_cap) {
		char *p = realloc(cr->vbytes, need + 1);
		if (!p)
			return -1;
		cr->vbytes = p;
		cr->vbytes_cap = need + 1;
	}
	uint32_t o = 0;
	for (uint32_t i = 0; i < n; i++) {
		cr->voff[i] = o;
		if (v->ok[i]) {
			memcpy(cr->vbytes + o, v->s[i].p, v->s[i].len);
			o += v->s[i].len;
		}
	}
	cr->voff[n] = o;
	out->data = cr->voff;
	out->bytes = cr->vbytes;
	return 0;
}

int cs_cvec_cmp(const cs_cvec *v, uint32_t i, const cs_cvec *w, uint32_t j)
{
	uint8_t s = v->type, t = w->type;
	if (s == COLSTORE_TYPE_STRING)
		return cs_bytes_cmp(v->s[i].p, v->s[i].len, w->s[j].p, w->s[j].len);
	if (s == COLSTORE_TYPE_FLOAT64 || t == COLSTORE_TYPE_FLOAT64) {
		/* exact: an int64 is exact in a long double (x86-64: 64 bits of
		 * mantissa) */
		long double a = s == COLSTORE_TYPE_FLOAT64 ? (long double)v->d[i] : (long double)v->i[i];
		long double b = t == COLSTORE_TYPE_FLOAT64 ? (long double)w->d[j] : (long double)w->i[j];
		if (a != a || b != b)
			return 2; /* unordered */
		return (a > b) - (a < b);
	}
	int64_t a = v->i[i], b = w->i[j];
	if (s != t) { /* a date against a timestamp: the date's midnight */
		int64_t ts = s == COLSTORE_TYPE_DATE ? b : a, days = s == COLSTORE_TYPE_DATE ? a : b;
		int64_t td = cs_floordiv(ts, US_DAY);
		/* past midnight: ts - td * US_DAY, in [0, US_DAY), wrapping on the way */
		int c = td != days ? (td > days) - (td < days)
		                   : (uint64_t)ts - (uint64_t)td * (uint64_t)US_DAY != 0;
		return s == COLSTORE_TYPE_DATE ? -c : c;
	}
	return (a > b) - (a < b);
}
