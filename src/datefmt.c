/*
 * datefmt.c -- dates and timestamps in other spellings than ISO 8601: a
 * strptime-like format (--date-format, --timestamp-format, --schema
 * col:date:FORMAT), and the common forms that say unambiguously which
 * number is the year, the month and the day (2000/01/31, Jan 31 2000,
 * 31 Jan 2000), which the CSV import infers without being told.  Never
 * D/M/Y against M/D/Y: that needs a format.
 */
#include <ctype.h>
#include <strings.h>

#include "internal.h"

static const char *const cs_months[12] = { "january", "february", "march",     "april",
	                                   "may",     "june",     "july",      "august",
	                                   "september", "october", "november", "december" };

/* 1 to max digits at *i */
static int cs_digits(const char *p, size_t n, size_t *i, int max, int *v)
{
	int k = 0, x = 0;
	while (*i < n && k < max && p[*i] >= '0' && p[*i] <= '9') {
		x = x * 10 + (p[*i] - '0');
		(*i)++;
		k++;
	}
	*v = x;
	return k > 0;
}

/* a month name at *i: abbreviated (3 letters) or full, any letter case */
static int cs_month_name(const char *p, size_t n, size_t *i, int full, int *m)
{
	for (int k = 0; k < 12; k++) {
		size_t len = full ? strlen(cs_months[k]) : 3;
		if (n - *i >= len && strncasecmp(p + *i, cs_months[k], len) == 0 &&
		    !(*i + len < n && isalpha((unsigned char)p[*i + len]))) {
			*i += len;
			*m = k + 1;
			return 1;
		}
	}
	return 0;
}

int cs_datefmt_check(const char *fmt, int ts, const char **why)
{
	int has_y = 0, has_m = 0, has_d = 0, has_i = 0, has_p = 0, has_time = 0;
	for (const char *f = fmt; *f; f++) {
		if (*f != '%')
			continue;
		switch (*++f) {
		case 'Y': has_y = 1; break;
		case 'm': case 'b': case 'B': has_m = 1; break;
		case 'd': has_d = 1; break;
		case 'H': case 'M': case 'S': case 'f': case 'z': has_time = 1; break;
		case 'I': has_i = has_time = 1; break;
		case 'p': has_p = has_time = 1; break;
		case '%': break;
		default:
			*why = "unknown directive (known: %Y %m %d %H %M %S %f %b %B %z %p %I %%)";
			return 0;
		}
	}
	if (!has_y || !has_m || !has_d) {
		*why = "needs a year (%Y), a month (%m, %b or %B) and a day (%d)";
		return 0;
	}
	if (!ts && has_time) {
		*why = "a date format has no time of day (--timestamp-format is for those)";
		return 0;
	}
	if (has_i != has_p) {
		*why = "%I (a 12-hour clock) goes with %p (AM or PM)";
		return 0;
	}
	return 1;
}

int cs_parse_datefmt(const char *fmt, const char *p, size_t n, int ts, int64_t *out)
{
	int y = -1, mo = -1, d = -1, hh = 0, mi = 0, ss = 0, pm = -1, off = 0;
	int64_t micros = 0;
	size_t i = 0;
	for (const char *f = fmt; *f; f++) {
		if (*f == ' ') { /* one space or more */
			if (i >= n || p[i] != ' ')
				return 0;
			while (i < n && p[i] == ' ')
				i++;
			continue;
		}
		if (*f != '%' || f[1] == '%') {
			f += *f == '%';
			if (i >= n || p[i] != *f)
				return 0;
			i++;
			continue;
		}
		switch (*++f) {
		case 'Y':
			if (!cs_digits(p, n, &i, 4, &y) || y < 1000)
				return 0; /* four digits */
			break;
		case 'm':
			if (!cs_digits(p, n, &i, 2, &mo))
				return 0;
			break;
		case 'd':
			if (!cs_digits(p, n, &i, 2, &d))
				return 0;
			break;
		case 'b':
		case 'B':
			if (!cs_month_name(p, n, &i, *f == 'B', &mo))
				return 0;
			break;
		case 'H':
		case 'I':
			if (!cs_digits(p, n, &i, 2, &hh))
				return 0;
			if (*f == 'I' && (hh < 1 || hh > 12))
				return 0;
			break;
		case 'M':
			if (!cs_digits(p, n, &i, 2, &mi) || mi > 59)
				return 0;
			break;
		case 'S':
			if (!cs_digits(p, n, &i, 2, &ss) || ss > 59)
				return 0;
			break;
		case 'f': {
			size_t start = i;
			int x;
			if (!cs_digits(p, n, &i, 6, &x) || (i < n && p[i] >= '0' && p[i] <= '9'))
				return 0; /* finer than a microsecond would be lost */
			for (size_t k = i - start; k < 6; k++)
				x *= 10;
			micros = x;
			break;
		}
		case 'p':
			if (n - i >= 2 && (p[i] == 'A' || p[i] == 'a' || p[i] == 'P' || p[i] == 'p') &&
			    (p[i + 1] == 'M' || p[i + 1] == 'm')) {
				pm = p[i] == 'P' || p[i] == 'p';
				i += 2;
			} else
				return 0;
			break;
		case 'z':
			if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
				i++;
			} else if (i < n && (p[i] == '+' || p[i] == '-')) {
				int sign = p[i] == '-' ? -1 : 1, oh, om = 0;
				i++;
				size_t s = i;
				if (!cs_digits(p, n, &i, 2, &oh) || i - s != 2)
					return 0;
				if (i < n && p[i] == ':')
					i++;
				s = i;
				if (i < n && p[i] >= '0' && p[i] <= '9' &&
				    (!cs_digits(p, n, &i, 2, &om) || i - s != 2))
					return 0;
				if (oh > 23 || om > 59)
					return 0;
				off = sign * (oh * 60 + om);
			} else
				return 0;
			break;
		default:
			return 0; /* cs_datefmt_check refused it */
		}
	}
	if (i != n || y < 0 || mo < 1 || mo > 12 || d < 1)
		return 0;
	static const unsigned char mdays[13] = { 0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (d > mdays[mo] || (mo == 2 && d == 29 && !leap))
		return 0;
	if (pm >= 0)
		hh = hh % 12 + (pm ? 12 : 0);
	if (hh > 23)
		return 0;
	int64_t days = cs_days_from_civil(y, (unsigned)mo, (unsigned)d);
	if (!ts) {
		*out = days;
		return 1;
	}
	int64_t t = days * 86400 + hh * 3600 + mi * 60 + ss - (int64_t)off * 60;
	*out = t * 1000000 + micros;
	return 1;
}

/* the spellings inferred without a format: year first, or the month by name */
static const char *const cs_date_forms[] = { "%Y/%m/%d", "%b %d %Y", "%b %d, %Y", "%d %b %Y",
	                                     "%B %d %Y", "%B %d, %Y", "%d %B %Y", "%Y-%b-%d",
	                                     "%d-%b-%Y" };
static const char *const cs_ts_forms[] = { "%Y/%m/%d %H:%M", "%Y/%m/%d %H:%M:%S",
	                                   "%Y/%m/%d %H:%M:%S.%f", "%Y/%m/%dT%H:%M:%S" };

/* the first of nf formats that reads p, into *out (out may be NULL) */
static int cs_parse_forms(const char *const *forms, size_t nf, const char *p, size_t n, int ts,
                          int64_t *out)
{
	int64_t v;
	for (size_t k = 0; k < nf; k++)
		if (cs_parse_datefmt(forms[k], p, n, ts, out ? out : &v))
			return 1;
	return 0;
}

int cs_parse_date_any(const char *p, size_t n, int64_t *days)
{
	if (cs_parse_date(p, n, days))
		return 1;
	return n >= 8 && n <= 20 &&
	       cs_parse_forms(cs_date_forms, sizeof(cs_date_forms) / sizeof(cs_date_forms[0]), p, n,
	                      0, days);
}

int cs_parse_timestamp_any(const char *p, size_t n, int64_t *us)
{
	if (cs_parse_timestamp(p, n, us))
		return 1;
	if (n >= 11 && n <= 40 && (p[10] == 't' || p[n - 1] == 'z')) {
		/* RFC 3339 allows t and z in lower case */
		char buf[40];
		memcpy(buf, p, n);
		if (buf[10] == 't')
			buf[10] = 'T';
		if (buf[n - 1] == 'z')
			buf[n - 1] = 'Z';
		if (cs_parse_timestamp(buf, n, us))
			return 1;
	}
	if (n < 8 || n > 40)
		return 0;
	if (cs_parse_forms(cs_ts_forms, sizeof(cs_ts_forms) / sizeof(cs_ts_forms[0]), p, n, 1, us))
		return 1;
	int64_t days;
	if (cs_parse_date_any(p, n, us ? &days : NULL)) {
		if (us)
			*us = days * 86400 * 1000000;
		return 1;
	}
	return 0;
}

int cs_looks_dmy(const char *p, size_t n)
{
	size_t i = 0;
	int a, b, y;
	if (!cs_digits(p, n, &i, 2, &a) || i >= n || (p[i] != '/' && p[i] != '.' && p[i] != '-'))
		return 0;
	char sep = p[i++];
	if (!cs_digits(p, n, &i, 2, &b) || i >= n || p[i] != sep)
		return 0;
	i++;
	size_t ys = i;
	if (!cs_digits(p, n, &i, 4, &y) || i - ys != 4)
		return 0;
	/* the rest may be a time: it does not decide the order */
	return a >= 1 && a <= 31 && b >= 1 && b <= 31 && (i == n || p[i] == ' ' || p[i] == 'T');
}
