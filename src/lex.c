/*
 * lex.c -- the expression language's lexer, shared by value expressions
 * (calc.c) and filters (expr.c): tokens, keywords and errors that point at
 * their place in the text.
 */
#include <ctype.h>
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

int cs_kw(const char *p, size_t n, const char *kw)
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
