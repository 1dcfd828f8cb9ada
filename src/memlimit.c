/*
 * memlimit.c -- how much memory this process may use: the smaller of the
 * machine's RAM and the lowest limit of the memory cgroups it runs in, its
 * own and every parent's (v2 memory.max or v1 memory.limit_in_bytes).  Aggregation plans against half
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

/* the lowest limit on the way from cgroup dir (below root, with the limit
 * file file) up to the root: a cap set on a parent (a systemd slice, a
 * container's cgroup) binds the process as much as its own; 0 if none */
static uint64_t cs_walk_up(const char *root, const char *dir, const char *file)
{
	char path[4400], cg[4096];
	snprintf(cg, sizeof(cg), "%s", dir);
	uint64_t lim = 0;
	for (;;) {
		size_t n = strlen(cg);
		while (n > 1 && cg[n - 1] == '/') /* "/a/b/" is "/a/b" */
			cg[--n] = 0;
		snprintf(path, sizeof(path), "%s%s/%s", root, strcmp(cg, "/") ? cg : "", file);
		uint64_t v = cs_read_u64(path);
		if (v && (!lim || v < lim))
			lim = v;
		char *slash = strrchr(cg, '/');
		if (!slash || !strcmp(cg, "/"))
			break;
		if (slash == cg)
			cg[1] = 0; /* up to the root itself */
		else
			*slash = 0;
	}
	return lim;
}

uint64_t cs_cgroup_limit_from(const char *proc_cgroup, const char *sysfs)
{
	FILE *f = fopen(proc_cgroup, "re");
	if (!f)
		return 0;
	char line[4096], root[4200];
	uint64_t lim = 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = 0;
		const char *ctl = c1 + 1, *cg = c2 + 1;
		uint64_t v = 0;
		if (!strcmp(ctl, "")) { /* v2: "0::/path", unified or hybrid */
			snprintf(root, sizeof(root), "%s", sysfs);
			v = cs_walk_up(root, cg, "memory.max");
			snprintf(root, sizeof(root), "%s/unified", sysfs);
			uint64_t u = cs_walk_up(root, cg, "memory.max");
			if (u && (!v || u < v))
				v = u;
		} else if (strstr(ctl, "memory")) { /* v1: "N:memory:/path" */
			snprintf(root, sizeof(root), "%s/memory", sysfs);
			v = cs_walk_up(root, cg, "memory.limit_in_bytes");
		}
		if (v && (!lim || v < lim))
			lim = v;
	}
	fclose(f);
	return lim;
}

uint64_t cs_memory_available(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
	uint64_t cg = cs_cgroup_limit_from("/proc/self/cgroup", "/sys/fs/cgroup");
	if (cg && (!ram || cg < ram))
		return cg;
	return ram ? ram : (uint64_t)1 << 32;
}
