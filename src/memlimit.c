/*
 * memlimit.c -- how much memory this process may use: the smaller of the
 * machine's RAM and the limit of the memory cgroup it runs in (v2
 * memory.max or v1 memory.limit_in_bytes).  Aggregation plans against half
 * of it unless told otherwise (colstore_agg_set_memory_limit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static uint64_t cs_read_u64(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char line[64] = "";
	uint64_t v = 0;
	if (fgets(line, sizeof(line), f) && line[0] >= '0' && line[0] <= '9')
		v = strtoull(line, NULL, 10); /* "max" (no limit) stays 0 */
	fclose(f);
	return v;
}

/* the limit of this process's memory cgroup, 0 if none is found */
static uint64_t cs_cgroup_limit(void)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return 0;
	char line[4096], path[4200];
	uint64_t lim = 0;
	while (!lim && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		const char *ctl = c1 + 1, *cg = c2 + 1;
		if (!strcmp(ctl, "")) /* v2: "0::/path" */
			snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", cg);
		else if (strstr(ctl, "memory")) /* v1: "N:memory:/path" */
			snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes",
			         cg);
		else
			continue;
		lim = cs_read_u64(path);
	}
	fclose(f);
	return lim;
}

uint64_t cs_memory_available(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
	uint64_t cg = cs_cgroup_limit();
	if (cg && (!ram || cg < ram))
		return cg;
	return ram ? ram : (uint64_t)1 << 32;
}
