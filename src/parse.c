/*
 * parse.c -- text to values, for the CSV import.  The strict forms decide
 * type inference: a column gets a type only if every value's text comes
 * back from the stored value (README.md, "Importing CSV").
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int cs_parse_int(const char *p, size_t n, int64_t *v)
{
	size_t i = 0;
	int neg = 0;
	if (n && p[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i >= n || n - i > 19)
		return 0;
	if (p[i] == '0' && (n - i > 1 || neg))
		return 0; /* leading zero, or -0 */
	uint64_t acc = 0;
	for (; i < n; i++) {
		if (!is_digit(p[i]))
			return 0;
		acc = acc * 10 + (uint64_t)(p[i] - '0'); /* 19 digits fit in uint64 */
	}
	if (neg ? acc > (uint64_t)INT64_MAX + 1 : acc > (uint64_t)INT64_MAX)
		return 0; /* never wrapped */
	if (v)
		*v = neg ? (int64_t)(0 - acc) : (int64_t)acc;
	return 1;
}

/* strtod of n bytes of text checked to be a decimal (correctly rounded;
 * errno is set on overflow and underflow); 0 when the text is too long */
static int cs_strtod_n(const char *p, size_t n, double *d)
{
	char buf[64];
	if (n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	errno = 0;
	*d = strtod(buf, NULL);
	return !errno;
}

/* Text of 16 or 17 significant digits (mant x 10^e10, checked for range)
 * is a double only when it is the shortest text that reads back as that
 * double, as written by the shortest-round-trip printers (0.1 + 0.2 is
 * 0.30000000000000004): the digits then come back from the stored value.
 * Any other such text holds more than a double keeps, and is not one. */
static int cs_shortest_double(const char *p, size_t n, uint64_t mant, int e10, double *v)
{
	double d;
	if (!cs_strtod_n(p, n, &d) || !isfinite(d) || d == 0)
		return 0;
	while (mant % 10 == 0) { /* trailing zeros say nothing */
		mant /= 10;
		e10++;
	}
	for (int prec = 1; prec <= 17; prec++) {
		char t[40];
		snprintf(t, sizeof(t), "%.*e", prec - 1, fabs(d));
		if (strtod(t, NULL) != fabs(d))
			continue;
		/* t is D[.DDD]e[+-]X: the shortest digits, their exponent */
		uint64_t sm = 0;
		int nd = 0;
		const char *q = t;
		for (; *q && *q != 'e'; q++)
			if (is_digit(*q)) {
				sm = sm * 10 + (uint64_t)(*q - '0');
				nd++;
			}
		int se = (int)strtol(q + 1, NULL, 10) - (nd - 1);
		while (sm % 10 == 0) {
			sm /= 10;
			se++;
		}
		if (sm != mant || se != e10)
			return 0;
		if (v)
			*v = d; /* strtod took the sign */
		return 1;
	}
	return 0;
}

int cs_parse_double(const char *p, size_t n, double *v)
{
	/* the common case in one loop: [-]digits[.digits], at most 15 digits,
	 * no leading zero; the value is the same as below (the digits as one
	 * integer, exact, over a power of ten, correctly rounded) */
	if (n && n <= 17) {
		size_t s0 = p[0] == '-', i = s0, dot = 0;
		uint64_t mant = 0;
		unsigned nd = 0;
		for (; i < n; i++) {
			unsigned c = (unsigned)(uint8_t)p[i] - '0';
			if (c <= 9) {
				mant = mant * 10 + c;
				nd++;
			} else if (p[i] == '.' && !dot) {
				dot = i + 1;
			} else {
				break;
			}
		}
		if (i == n && nd && nd <= 15 &&
		    !(p[s0] == '0' && s0 + 1 < n && is_digit(p[s0 + 1]))) {
			if (v) {
				double d = dot ? (double)mant / cs_pow10[n - dot] : (double)mant;
				*v = s0 ? -d : d;
			}
			return 1;
		}
	}
	return cs_parse_double_full(p, n, v);
}

int cs_parse_double_full(const char *p, size_t n, double *v)
{
	size_t i = 0;
	int neg = 0;
	if (n && p[0] == '-') {
		neg = 1;
		i = 1;
	}
	uint64_t mant = 0;
	int sig = 0, frac = 0, digits = 0;
	/* integer part: no leading zeros (0.5 is fine, 01.5 is not) */
	if (i < n && p[i] == '0' && i + 1 < n && is_digit(p[i + 1]))
		return 0;
	for (; i < n && is_digit(p[i]); i++, digits++) {
		if (mant || p[i] != '0') {
			if (++sig > 17)
				return 0;
			mant = mant * 10 + (uint64_t)(p[i] - '0');
		}
	}
	if (i < n && p[i] == '.') {
		i++;
		for (; i < n && is_digit(p[i]); i++, digits++, frac++) {
			if (mant || p[i] != '0') {
				if (++sig > 17)
					return 0;
			}
			mant = mant * 10 + (uint64_t)(p[i] - '0');
		}
	}
	if (digits == 0)
		return 0;
	int exp = 0;
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		int eneg = 0;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			eneg = p[i++] == '-';
		int ed = 0;
		for (; i < n && is_digit(p[i]); i++, ed++)
			if (exp < 10000)
				exp = exp * 10 + (p[i] - '0');
		if (ed == 0)
			return 0;
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return 0;
	int e10 = exp - frac;
	if (mant && (e10 + sig > 309 || e10 + sig < -306))
		return 0; /* would overflow or lose digits to subnormals */
	if (mant && e10 + sig == 309) { /* in [1e308, 1e309): finite up to DBL_MAX */
		double d;
		if (!cs_strtod_n(p, n, &d) || !isfinite(d))
			return 0;
	}
	if (sig > 15) /* 16 or 17 digits: a double's shortest text, or not a double */
		return cs_shortest_double(p, n, mant, e10, v);
	if (!v)
		return 1;
	double d;
	if (e10 >= 0 && e10 <= 22)
		d = (double)mant * cs_pow10[e10]; /* exact operands: correctly rounded */
	else if (e10 < 0 && e10 >= -22)
		d = (double)mant / cs_pow10[-e10];
	else {
		if (n >= 64)
			return 0;
		cs_strtod_n(p, n, &d); /* in range: the exponent was checked above */
		*v = d;
		return 1;
	}
	*v = neg ? -d : d;
	return 1;
}

int cs_parse_bool(const char *p, size_t n, int *v)
{
	/* ASCII lower case of the first four bytes and the last one: "true"
	 * and "false" both end in e; no branch on which it is */
	if (n != 4 && n != 5)
		return 0;
	uint32_t w = cs_le32(p) | 0x20202020u;
	int end_e = (p[n - 1] | 0x20) == 'e';
	int is_t = (n == 4) & (w == cs_le32((const uint8_t *)"true"));
	int is_f = (n == 5) & (w == cs_le32((const uint8_t *)"fals")) & end_e;
	if (!(is_t | is_f))
		return 0;
	if (v)
		*v = is_t;
	return 1;
}

int64_t cs_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Howard Hinnant's algorithm, proleptic Gregorian */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int num(const char *p, int n, int *v)
{
	int acc = 0;
	for (int i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return 0;
		acc = acc * 10 + (p[i] - '0');
	}
	*v = acc;
	return 1;
}

/* Eight bytes w (little-endian: byte i in bits 8i) hold ASCII digits where
 * digits has 0xff bytes, and the bytes of sep elsewhere: every digit byte
 * is 0x30-0x3f and still so with 6 added (no byte carries into the next
 * while the first holds); the other bytes equal sep's */
static inline int cs_swar_fits(uint64_t w, uint64_t digits, uint64_t sep)
{
	const uint64_t hi = 0xf0f0f0f0f0f0f0f0ull & digits, zeros = 0x3030303030303030ull & digits;
	return (w & hi) == zeros && ((w + (0x0606060606060606ull & digits)) & hi) == zeros &&
	       (w & ~digits) == sep;
}

/* two digits at byte i of w */
static inline int cs_swar_2(uint64_t w, unsigned i)
{
	return (int)((w >> (8 * i)) & 0xf) * 10 + (int)((w >> (8 * i + 8)) & 0xf);
}

/* the day of a checked YYYY-MM-DD: w its first 8 bytes, p the text */
static int64_t cs_date_day(uint64_t w, const char *p)
{
	return cs_days_from_civil(cs_swar_2(w, 0) * 100 + cs_swar_2(w, 2), (unsigned)cs_swar_2(w, 5),
	                          (unsigned)((p[8] - '0') * 10 + (p[9] - '0')));
}

int cs_parse_date(const char *p, size_t n, int64_t *days)
{
	return cs_parse_date_m(p, n, days, NULL);
}

int cs_parse_date_m(const char *p, size_t n, int64_t *days, cs_date_memo *memo)
{
	if (n != 10)
		return 0;
	if (memo && memo->state && memo->head == cs_le64(p) && memo->tail == cs_le16(p + 8)) {
		if (days && memo->state == 1) { /* checked before, day not yet wanted */
			memo->days = cs_date_day(memo->head, p);
			memo->state = 2;
		}
		if (days)
			*days = memo->days;
		return 1;
	}
	/* YYYY-MM- in one word, DD in the last two bytes */
	uint64_t w = cs_le64(p);
	if (!cs_swar_fits(w, 0x00ffff00ffffffffull, 0x2d00002d00000000ull))
		return 0;
	unsigned d0 = (uint8_t)p[8] - '0', d1 = (uint8_t)p[9] - '0';
	if (d0 > 9 || d1 > 9)
		return 0;
	int y = cs_swar_2(w, 0) * 100 + cs_swar_2(w, 2), m = cs_swar_2(w, 5), d = (int)(d0 * 10 + d1);
	static const unsigned char mdays[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12 || d < 1 || d > mdays[m])
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return 0;
	if (days)
		*days = cs_date_day(w, p);
	if (memo) {
		memo->head = w;
		memo->tail = cs_le16(p + 8);
		memo->state = days ? 2 : 1;
		memo->days = days ? *days : 0;
	}
	return 1;
}

int cs_parse_timestamp(const char *p, size_t n, int64_t *us)
{
	return cs_parse_timestamp_m(p, n, us, NULL);
}

int cs_parse_timestamp_m(const char *p, size_t n, int64_t *us, cs_date_memo *memo)
{
	/* a run of one timestamp (a sorted log's second, or minute) */
	if (n == 19 && memo && memo->ts_state && memo->ts0 == cs_le64(p) &&
	    memo->ts8 == cs_le64(p + 8) && memo->ts15 == cs_le32(p + 15)) {
		if (!us)
			return 1;
		if (memo->ts_state == 2) {
			*us = memo->us;
			return 1;
		}
	}
	int64_t days = 0; /* the day only when the value is wanted: checking is cheaper */
	if (n < 10 || !cs_parse_date_m(p, 10, us ? &days : NULL, memo))
		return 0;
	int64_t t = days * 86400;
	int64_t micros = 0;
	if (n == 10)
		goto done;
	int hh, mm, ss = 0;
	size_t i = 16;
	uint64_t w = n >= 19 ? cs_le64(p + 11) : 0;
	if (n >= 19 && (p[10] == 'T' || p[10] == ' ') &&
	    cs_swar_fits(w, 0xffff00ffff00ffffull, 0x00003a00003a0000ull)) {
		/* HH:MM:SS in one word (the common case) */
		hh = cs_swar_2(w, 0);
		mm = cs_swar_2(w, 3);
		ss = cs_swar_2(w, 6);
		if (hh > 23 || mm > 59 || ss > 59)
			return 0; /* no leap seconds */
		i = 19;
	} else {
		if (n < 16 || (p[10] != 'T' && p[10] != ' ') || p[13] != ':' ||
		    !num(p + 11, 2, &hh) || !num(p + 14, 2, &mm) || hh > 23 || mm > 59)
			return 0;
		if (i < n && p[i] == ':') {
			if (n < 19 || !num(p + 17, 2, &ss) || ss > 59)
				return 0;
			i = 19;
		}
	}
	if (i == 19 && i < n && p[i] == '.') {
		i++;
		int fd = 0;
		for (; i < n && is_digit(p[i]); i++, fd++) {
			if (fd >= 6)
				return 0; /* finer than a microsecond would be lost */
			micros = micros * 10 + (p[i] - '0');
		}
		if (fd == 0)
			return 0;
		for (; fd < 6; fd++)
			micros *= 10;
	}
	t += hh * 3600 + mm * 60 + ss;
	if (i < n && p[i] == 'Z') {
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		int sign = p[i] == '-' ? -1 : 1, oh, om;
		if (n - i == 6 && p[i + 3] == ':' && num(p + i + 1, 2, &oh) && num(p + i + 4, 2, &om))
			i += 6;
		else if (n - i == 5 && num(p + i + 1, 2, &oh) && num(p + i + 3, 2, &om))
			i += 5;
		else
			return 0;
		if (oh > 23 || om > 59)
			return 0;
		t -= sign * (oh * 3600 + om * 60); /* to UTC */
	}
	if (i != n)
		return 0;
done:;
	const int64_t value = t * 1000000 + micros; /* (only when us is asked) */
	if (n == 19 && memo) {
		memo->ts0 = cs_le64(p);
		memo->ts8 = cs_le64(p + 8);
		memo->ts15 = cs_le32(p + 15);
		memo->ts_state = us ? 2 : 1;
		memo->us = value;
	}
	if (us)
		*us = value;
	return 1;
}

int cs_parse_int_lenient(const char *p, size_t n, int64_t *v)
{
	char buf[32];
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	char *end;
	errno = 0;
	long long x = strtoll(buf, &end, 10);
	if (errno || *end || !(is_digit(buf[0]) || buf[0] == '-' || buf[0] == '+'))
		return 0;
	*v = x;
	return 1;
}

int cs_parse_double_lenient(const char *p, size_t n, double *v)
{
	char buf[128];
	if (cs_parse_double(p, n, v))
		return 1;
	if (n == 0 || n >= sizeof(buf) || p[0] == ' ' || p[0] == '\t')
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (*end || end == buf)
		return 0;
	if (errno == ERANGE && isinf(d))
		return 0; /* 1e400 overflows: an error, not inf (inf itself is fine) */
	*v = d;
	return 1;
}

size_t cs_utf8_prefix(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		while (i + 8 <= n) { /* ASCII, 8 bytes at a time */
			uint64_t w;
			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		uint8_t c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t k;
		uint8_t lo = 0x80, hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			k = 1;
		else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			if (c == 0xe0)
				lo = 0xa0;
			else if (c == 0xed)
				hi = 0x9f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			if (c == 0xf0)
				lo = 0x90;
			else if (c == 0xf4)
				hi = 0x8f;
		} else
			return i;
		if (k > n - i - 1)
			return i;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (size_t j = 2; j <= k; j++)
			if ((p[i + j] & 0xc0) != 0x80)
				return i;
		i += k + 1;
	}
	return n;
}
