/*
 * like.c -- SQL LIKE on bytes: % any run of characters, _ one UTF-8
 * character, anything else itself (ASCII letters in either case for
 * ilike); the filter's like and ilike (expr.c).
 */
#include "internal.h"

/* bytes of the UTF-8 character that starts with byte c (1 for a byte that
 * cannot start one) */
static uint32_t cs_utf8_len(unsigned char c)
{
	return c < 0xc0 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* ASCII letters folded, whatever the locale */
static unsigned char cs_ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

static int cs_like_eq(unsigned char a, unsigned char b, int ci)
{
	return a == b || (ci && cs_ascii_lower(a) == cs_ascii_lower(b));
}

/* SQL LIKE: % matches any run of characters, _ one character (a UTF-8
 * sequence), anything else itself (ci: ASCII letters in either case); no
 * escape character.  Backtracks to the last % only: linear in n for a
 * pattern with one %, O(n * pn) at worst. */
int cs_like(const char *s, uint32_t n, const char *p, uint32_t pn, int ci)
{
	uint32_t i = 0, j = 0, star = UINT32_MAX, from = 0;
	while (i < n) {
		if (j < pn && p[j] == '%') {
			star = ++j;
			from = i;
		} else if (j < pn && p[j] == '_') {
			uint32_t l = cs_utf8_len((unsigned char)s[i]);
			i += l < n - i ? l : n - i;
			j++;
		} else if (j < pn && cs_like_eq((unsigned char)s[i], (unsigned char)p[j], ci)) {
			i++;
			j++;
		} else if (star != UINT32_MAX) { /* the last % takes one more character */
			uint32_t l = cs_utf8_len((unsigned char)s[from]);
			from += l < n - from ? l : n - from;
			i = from;
			j = star;
		} else {
			return 0;
		}
	}
	while (j < pn && p[j] == '%')
		j++;
	return j == pn;
}
