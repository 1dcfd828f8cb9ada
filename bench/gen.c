/*
 * gen.c -- deterministic generator of a sales-like CSV for benchmarks.
 *
 * Usage: gen [-n ROWS | -s SIZE[k|M|G]] [--seed N] [-o FILE]
 *
 * Columns: id, ts (ISO-8601 timestamp), region (16 values), city (~10,000
 * values), customer (~1,000,000 values), qty (1..100), price (2 decimals),
 * discount (float, empty ~5% of rows), returned (true/false), note (short
 * text; ~2% hold a comma and doubled quotes, ~0.5% a newline, both quoted).
 * Same seed and size, same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state;

static uint64_t rnd(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const regions[16] = {
	"north", "south", "east", "west", "north-east", "north-west", "south-east",
	"south-west", "central", "coast", "highlands", "islands", "lakes", "plains",
	"valley", "metro",
};
static const char *const words[16] = {
	"fast", "delivery", "gift", "wrap", "please", "call", "before", "door",
	"fragile", "box", "thanks", "again", "late", "ok", "left", "porch",
};

static char *put_u(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_2(char *p, unsigned v)
{
	*p++ = (char)('0' + v / 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *put_s(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static void civil(int64_t z, unsigned *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (unsigned)((int64_t)yoe + era * 400 + (*m <= 2));
}

static uint64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end); /* 0.5G works */
	switch (*end) {
	case 'k': case 'K': v *= 1024.0; break;
	case 'm': case 'M': v *= 1048576.0; break;
	case 'g': case 'G': v *= 1073741824.0; break;
	default: break;
	}
	return v > 0 ? (uint64_t)v : 0;
}

int main(int argc, char **argv)
{
	uint64_t rows = 0, size = 0, seed = 42;
	const char *out = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			rows = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			size = parse_size(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
			out = argv[++i];
		else {
			fprintf(stderr, "usage: gen [-n ROWS | -s SIZE[k|M|G]] [--seed N] [-o FILE]\n");
			return 2;
		}
	}
	if (!rows && !size)
		rows = 1000;
	state = seed * 0x2545f4914f6cdd1dull + 1;
	FILE *f = out ? fopen(out, "wb") : stdout;
	if (!f) {
		fprintf(stderr, "gen: %s: %s\n", out, strerror(errno));
		return 1;
	}
	static char buf[1 << 20];
	size_t len = 0;
	uint64_t written = 0;
	const char *hdr = "id,ts,region,city,customer,qty,price,discount,returned,note\n";
	fputs(hdr, f);
	written += strlen(hdr);
	int64_t t = 1735689600; /* 2025-01-01T00:00:00 */
	for (uint64_t i = 0; rows ? i < rows : written < size; i++) {
		char *p = buf + len, *start = p;
		p = put_u(p, i + 1);
		*p++ = ',';
		t += (int64_t)(rnd() % 7);
		unsigned y, mo, d;
		civil(t / 86400, &y, &mo, &d);
		unsigned sod = (unsigned)(t % 86400);
		p = put_u(p, y);
		*p++ = '-';
		p = put_2(p, mo);
		*p++ = '-';
		p = put_2(p, d);
		*p++ = 'T';
		p = put_2(p, sod / 3600);
		*p++ = ':';
		p = put_2(p, sod / 60 % 60);
		*p++ = ':';
		p = put_2(p, sod % 60);
		*p++ = ',';
		p = put_s(p, regions[rnd() % 16]);
		p = put_s(p, ",city-");
		p = put_u(p, rnd() % 10000);
		p = put_s(p, ",C");
		p = put_u(p, 1000000 + rnd() % 1000000);
		*p++ = ',';
		p = put_u(p, 1 + rnd() % 100);
		*p++ = ',';
		uint64_t cents = 100 + rnd() % 99900;
		p = put_u(p, cents / 100);
		*p++ = '.';
		p = put_2(p, (unsigned)(cents % 100));
		*p++ = ',';
		uint64_t r = rnd();
		if (r % 100 >= 5) { /* discount: empty in ~5% of rows */
			p = put_s(p, "0.");
			p = put_u(p, r / 100 % 50);
		}
		*p++ = ',';
		p = put_s(p, rnd() % 8 == 0 ? "true" : "false");
		*p++ = ',';
		uint64_t k = rnd() % 1000;
		const char *w1 = words[rnd() % 16], *w2 = words[rnd() % 16];
		if (k < 20) { /* comma and doubled quotes */
			p = put_s(p, "\"");
			p = put_s(p, w1);
			p = put_s(p, ", \"\"");
			p = put_s(p, w2);
			p = put_s(p, "\"\"\"");
		} else if (k < 25) { /* newline inside quotes */
			p = put_s(p, "\"");
			p = put_s(p, w1);
			p = put_s(p, "\n");
			p = put_s(p, w2);
			p = put_s(p, "\"");
		} else if (k < 600) {
			p = put_s(p, w1);
			*p++ = ' ';
			p = put_s(p, w2);
		}
		*p++ = '\n';
		len += (size_t)(p - start);
		written += (uint64_t)(p - start);
		if (len > sizeof(buf) - 512) {
			if (fwrite(buf, 1, len, f) != len)
				goto fail;
			len = 0;
		}
	}
	if (len && fwrite(buf, 1, len, f) != len)
		goto fail;
	if (fclose(f) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "gen: write failed: %s\n", strerror(errno));
	return 1;
}
