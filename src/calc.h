/*
 * calc.h -- the expression language shared by --where, the aggregates and
 * the group-by: its lexer, and value expressions (columns, literals,
 * + - * /, functions) compiled against a reader's columns and evaluated a
 * batch at a time (lex.c, calc.c, calc_eval.c).  Nothing here is API;
 * every symbol is cs_-prefixed and hidden.
 */
#ifndef CS_CALC_H
#define CS_CALC_H

#include "internal.h"

/* ---- lexer ---------------------------------------------------------------- */

enum { T_END, T_NAME, T_NUM, T_STR, T_OP, T_LP, T_RP, T_AND, T_OR, T_IS, T_NOT, T_NULL, T_TRUE,
       T_FALSE, T_COMMA, T_IN, T_BETWEEN, T_LIKE, T_ILIKE, T_PLUS, T_MINUS, T_STAR, T_SLASH };
/* T_OP's op; OP_LIKE, OP_ILIKE: a string against a pattern */
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_LIKE, OP_ILIKE };

typedef struct cs_lex {
	const char *src, *p;
	int tok;
	const char *start; /* token text */
	size_t len;
	int op;
	int quoted;        /* T_NAME written in "quotes" */
	char *str;         /* T_STR / T_NAME, unescaped, NUL-terminated */
	size_t strlen_;
	colstore_error *err;
} cs_lex;

/* the first token of src */
CS_HIDDEN int cs_lex_start(cs_lex *x, const char *src, colstore_error *err);
CS_HIDDEN int cs_lex_next(cs_lex *x);
CS_HIDDEN void cs_lex_done(cs_lex *x);
/* COLSTORE_EPARSE with the message, at character at of the source */
CS_HIDDEN int cs_perr(cs_lex *x, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* the token as 'text' (or "the end of the expression"), for messages */
CS_HIDDEN int cs_tok_text(const cs_lex *x, char *buf, size_t n);
/* are the n bytes at p the keyword kw (given in lower case), in any ASCII case? */
CS_HIDDEN int cs_kw(const char *p, size_t n, const char *kw);
/* is the token at x the name kw (unquoted, any ASCII case)? */
CS_HIDDEN int cs_tok_is(const cs_lex *x, const char *kw);

/* ---- value expressions ------------------------------------------------------ */

typedef struct cs_calc cs_calc;

/* strings while evaluating: bytes not NUL-terminated */
typedef struct cs_str {
	const char *p;
	uint32_t len;
} cs_str;

/* a batch of an expression's values: ok[i] = 0 for null; one of i (int64,
 * bool 0/1, date days, timestamp µs), d (float64) or s (string) by type */
typedef struct cs_cvec {
	uint8_t type; /* COLSTORE_TYPE_INT64, FLOAT64, BOOL, DATE, TIMESTAMP, STRING */
	const uint8_t *ok;
	const int64_t *i;
	const double *d;
	const cs_str *s;
	/* a float64 that is exactly a decimal in this batch (a DECIMAL column
	 * times integers, sums of such at one scale): value = m / 10^mscale;
	 * mscale -1: not */
	const int64_t *m;
	int mscale;
} cs_cvec;

/* one value expression at x (stops at a token that cannot continue it:
 * a comparison, and, or, ',' ')' or the end) */
CS_HIDDEN int cs_calc_parse(colstore_reader *r, cs_lex *x, cs_calc **out);
CS_HIDDEN void cs_calc_free(cs_calc *c);
CS_HIDDEN uint8_t cs_calc_type(const cs_calc *c);
/* 1 with *col when c is a column alone */
CS_HIDDEN int cs_calc_is_column(const cs_calc *c, uint32_t *col);
/* 1 when c is a literal alone (*tok: T_NUM, T_STR, T_TRUE or T_FALSE; its
 * text as written, and a string's bytes) */
CS_HIDDEN int cs_calc_is_literal(const cs_calc *c, int *tok, const char **text, size_t *len,
                                 const char **str, size_t *slen);
/* the source text it was parsed from, and where it starts in the source */
CS_HIDDEN const char *cs_calc_text(const cs_calc *c);
CS_HIDDEN size_t cs_calc_at(const cs_calc *c);
/* sets mark[col] for each column it reads */
CS_HIDDEN void cs_calc_columns(const cs_calc *c, uint8_t *mark);
/* the range [*lo, *hi] an integer-valued (int64, bool, date, timestamp)
 * expression's values can take, worked out from the file's statistics and
 * the functions' own ranges: 1 when known (nulls aside), else 0 */
CS_HIDDEN int cs_calc_range(const cs_calc *c, int64_t *lo, int64_t *hi);
/* the same over row group rg's statistics alone */
CS_HIDDEN int cs_calc_range_rg(const cs_calc *c, uint32_t rg, int64_t *lo, int64_t *hi);
/* 1 with *v when c is an integer-like literal (int64, bool, a date or
 * timestamp as it was read for what it is compared with) */
CS_HIDDEN int cs_calc_int_literal(const cs_calc *c, int64_t *v);
/* make a and b comparable (numbers with numbers, a string literal read as
 * the date or timestamp it is compared with); COLSTORE_EPARSE naming the
 * two types if they are not */
CS_HIDDEN int cs_calc_unify(cs_calc *a, cs_calc *b, cs_lex *x, const char *at);

/* "ITEM as NAME": cuts " as NAME" off item (an "as" outside parentheses,
 * then one name, then the end) and gives NAME in *alias (malloc'd), else
 * NULL; -1 when out of memory */
CS_HIDDEN int cs_item_alias(char *item, char **alias);
/* the next item of the list at *save (cs_list_cut), " as NAME" cut off
 * into *alias (malloc'd, or NULL) and the spaces around it trimmed; NULL
 * after the last, or with *rc = COLSTORE_ENOMEM */
CS_HIDDEN char *cs_item_next(char **save, char **alias, int *rc, colstore_error *err);
/* an item naming a value (-c, -g, an aggregate's argument): a column's
 * name as a list gives it (names.c: "Unit Price" may go unquoted), *out
 * NULL and *col the column; or else a value expression, *out.  what
 * prefixes messages. */
CS_HIDDEN int cs_item_parse(colstore_reader *r, const char *text, const char *what, uint32_t *col,
                            cs_calc **out, colstore_error *err);

/* values of column col for the batch (rows as the batch's); *out lives
 * until the batch is done */
typedef int (*cs_colget)(void *ctx, uint32_t col, colstore_values *out, colstore_error *err);

/* a float64 column's values for the batch as DECIMAL mantissas: *scale
 * the exponent (out holds int64 m, value m / 10^scale), or -1 (out holds
 * the doubles) */
typedef int (*cs_colget_m)(void *ctx, uint32_t col, colstore_values *out, int *scale,
                           colstore_error *err);
/* could c be a decimal (a product or sum of float64 columns with integers)?
 * its float64 columns are then best read as mantissas (cs_colget_m) */
CS_HIDDEN int cs_calc_maybe_decimal(const cs_calc *c);

/* a worker's scratch for evaluating c */
typedef struct cs_calc_run cs_calc_run;
CS_HIDDEN cs_calc_run *cs_calc_run_new(const cs_calc *c);
CS_HIDDEN void cs_calc_run_free(cs_calc_run *cr);
/* c over a batch of n rows (n <= CS_BATCH_ROWS), at rows idx[0..m) (all n
 * when idx is NULL; other rows come out null).  COLSTORE_ERANGE when an
 * integer result overflows int64 at one of those rows. */
CS_HIDDEN int cs_calc_eval(cs_calc_run *cr, cs_colget get, void *ctx, uint32_t n,
                           const uint32_t *idx, uint32_t m, cs_cvec *out, colstore_error *err);
/* the same, float64 columns read through getm (out->m, out->mscale set);
 * dec_only: out->d is not wanted where the decimal form holds (it is
 * worked out when the form does not) */
CS_HIDDEN int cs_calc_eval_m(cs_calc_run *cr, cs_colget get, cs_colget_m getm, void *ctx,
                             uint32_t n, const uint32_t *idx, uint32_t m, int dec_only,
                             cs_cvec *out, colstore_error *err);
/* the vector as a column's values would come (int64, float64, date as
 * int32, bool as bits, strings PLAIN), in cr's scratch */
CS_HIDDEN int cs_calc_values(cs_calc_run *cr, const cs_cvec *v, uint32_t n,
                             colstore_values *out);
/* row i of v against row j of w by op (after cs_calc_unify); ok rows only */
CS_HIDDEN int cs_cvec_cmp(const cs_cvec *v, uint32_t i, const cs_cvec *w, uint32_t j);

#endif /* CS_CALC_H */
