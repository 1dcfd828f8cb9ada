/*
 * agg_order.c -- colstore_agg's result order and limit: the groups ranked
 * by some of the result's columns, nulls last either way and ties in key
 * order; with a limit, by a heap that holds only the groups kept.
 */
#define _GNU_SOURCE /* qsort_r */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agg.h"

/* x against y for one order item: the key order (cs_cell_cmp), turned
 * around for desc but for nulls, last in both directions */
static int cs_ocmp(const colstore_cell *x, const colstore_cell *y, int desc)
{
	const int c = cs_cell_cmp(x, y);
	return desc && !x->is_null && !y->is_null ? -c : c;
}

/* a group with its first order item's cell, read once */
typedef struct cs_okey {
	colstore_cell c;
	uint64_t g;
} cs_okey;

/* the result order of two groups: every item, then the key order */
static int cs_okey_cmp(const void *pa, const void *pb, void *ctx)
{
	const colstore_agg *a = ctx;
	const cs_okey *x = pa, *y = pb;
	int c = cs_ocmp(&x->c, &y->c, a->ord[0].desc);
	for (uint32_t k = 1; !c && k < a->nord; k++) {
		colstore_cell cx, cy;
		colstore_agg_cell(a, x->g, a->ord[k].col, &cx);
		colstore_agg_cell(a, y->g, a->ord[k].col, &cy);
		c = cs_ocmp(&cx, &cy, a->ord[k].desc);
	}
	return c ? c : (x->g > y->g) - (x->g < y->g);
}

static int cs_order_err(colstore_agg *a, colstore_error *err, const char *s, size_t n)
{
	cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET,
	       "no result column '%.*s' to order by (result columns:", (int)(n > 200 ? 200 : n), s);
	if (err) {
		for (uint32_t k = 0; k < a->ngb + a->nagg; k++) {
			size_t l = strlen(err->message);
			snprintf(err->message + l, sizeof(err->message) - l, "%s ", k ? "," : "");
			l = strlen(err->message);
			cs_name_text(colstore_agg_column_name(a, k), err->message + l, sizeof(err->message) - l);
		}
		size_t l = strlen(err->message);
		snprintf(err->message + l, sizeof(err->message) - l, ")");
	}
	return COLSTORE_EPARSE;
}

int colstore_agg_set_order(colstore_agg *a, const char *order_by, uint64_t limit,
                           colstore_error *err)
{
	if (!a || a->ran)
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "set an aggregation's order before it runs");
	free(a->ord);
	a->ord = NULL;
	a->nord = 0;
	a->limit = limit;
	if (!order_by)
		return COLSTORE_OK;
	size_t len = strlen(order_by);
	a->ord = malloc((len / 2 + 1) * sizeof(*a->ord)); /* an item is 2 bytes or more, with its comma */
	char *copy = strdup(order_by), *rest = copy, *name = malloc(len + 1);
	int rc = a->ord && copy && name ? COLSTORE_OK
	                                : cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	for (char *s; !rc && (s = cs_list_cut(&rest));) {
		size_t n;
		int desc;
		if (cs_order_item(&s, name, len + 1, &n, &desc, err) < 0) {
			rc = COLSTORE_EPARSE;
			break;
		}
		uint32_t col = UINT32_MAX;
		for (uint32_t k = 0; n && k < a->ngb + a->nagg && col == UINT32_MAX; k++)
			if (cs_name_is(colstore_agg_column_name(a, k), s, n))
				col = k;
		if (!n)
			rc = cs_err(err, COLSTORE_EPARSE, COLSTORE_NO_OFFSET, "an empty item in the order '%s'",
			            order_by);
		else if (col == UINT32_MAX)
			rc = cs_order_err(a, err, s, n);
		else {
			a->ord[a->nord].col = col;
			a->ord[a->nord++].desc = desc;
		}
	}
	free(copy);
	free(name);
	return rc;
}

/* the heap of the kept groups, the worst on top */
static void cs_sift(cs_okey *h, uint64_t n, uint64_t i, const colstore_agg *a)
{
	for (;;) {
		uint64_t l = 2 * i + 1, w = i;
		if (l < n && cs_okey_cmp(&h[l], &h[w], (void *)a) > 0)
			w = l;
		if (l + 1 < n && cs_okey_cmp(&h[l + 1], &h[w], (void *)a) > 0)
			w = l + 1;
		if (w == i)
			return;
		cs_okey t = h[i];
		h[i] = h[w];
		h[w] = t;
		i = w;
	}
}

/* n keys: on the heap when they fit the memory limit, else in an unlinked
 * temporary file's shared mapping (*mapped = its size), whose pages the
 * kernel can write out and reclaim, as with the groups themselves */
static cs_okey *cs_okeys(const colstore_agg *a, uint64_t n, size_t *mapped, colstore_error *err)
{
	const uint64_t bytes = (n ? n : 1) * sizeof(cs_okey);
	*mapped = 0;
	if (bytes <= cs_agg_limit(a)) {
		cs_okey *h = malloc(bytes);
		if (!h)
			cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
		return h;
	}
	char path[512];
	int fd = cs_tmp_unlinked("colstore-order", path, sizeof(path));
	if (fd < 0) {
		cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "temporary file %s: %s", path, strerror(errno));
		return NULL;
	}
	void *m = MAP_FAILED;
	if (ftruncate(fd, (off_t)bytes) == 0)
		m = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "temporary file %s: %s", path, strerror(errno));
	close(fd);
	if (m == MAP_FAILED)
		return NULL;
	*mapped = (size_t)bytes;
	return m;
}

int cs_order_result(colstore_agg *a, colstore_error *err)
{
	const uint64_t n = a->ngroups, k = a->limit < n ? a->limit : n;
	if (!a->nord) { /* a limit alone: the first groups in key order */
		a->ngroups = k;
		return COLSTORE_OK;
	}
	size_t mapped;
	cs_okey *h = cs_okeys(a, k, &mapped, err);
	if (!h)
		return err ? err->code : COLSTORE_ENOMEM;
	uint64_t m = 0;
	const uint32_t c0 = a->ord[0].col;
	for (uint64_t g = 0; g < n && k; g++) {
		cs_okey e;
		colstore_agg_cell(a, g, c0, &e.c);
		e.g = g;
		if (m < k) {
			h[m++] = e;
		} else if (cs_okey_cmp(&e, &h[0], a) < 0) { /* better than the worst kept */
			h[0] = e;
			cs_sift(h, k, 0, a);
		}
		if (m == k && g + 1 == k && k < n) /* full: made a heap once */
			for (uint64_t i = k / 2 + 1; i-- > 0;)
				cs_sift(h, k, i, a);
	}
	if (mapped) { /* heapsort, in place: no buffer the size of the keys */
		for (uint64_t i = m / 2 + 1; i-- > 0;)
			cs_sift(h, m, i, a);
		for (uint64_t e = m; e-- > 1;) {
			cs_okey t = h[0];
			h[0] = h[e];
			h[e] = t;
			cs_sift(h, e, 0, a);
		}
	} else {
		qsort_r(h, m, sizeof(*h), cs_okey_cmp, a);
	}
	/* the groups in order over the keys' own storage: entry i is read
	 * before slot i (bytes 8i, below entry i's) is written */
	uint64_t *pos = (uint64_t *)(void *)h;
	for (uint64_t i = 0; i < m; i++)
		pos[i] = h[i].g;
	a->opos = pos;
	a->opos_mapped = mapped;
	a->ngroups = m;
	return COLSTORE_OK;
}
