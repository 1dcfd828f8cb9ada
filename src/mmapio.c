/*
 * mmapio.c -- mapping files for reading; temporary file, fsync and rename
 * for crash-safe writing.
 */
#define _GNU_SOURCE /* O_TMPFILE */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int cs_map_input(const char *path, const void **data, size_t *size, colstore_error *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cs_err_errno(err, errno, "cannot open", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return cs_err_errno(err, e, "cannot stat", path);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "%s: %s", path,
		              S_ISDIR(st.st_mode) ? "is a directory, not a file"
		                                  : "not a regular file (a device, pipe or socket)");
	}
	*data = NULL;
	*size = 0;
	if (st.st_size == 0) {
		close(fd);
		return COLSTORE_OK;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	int e = errno;
	close(fd);
	if (p == MAP_FAILED)
		return cs_err_errno(err, e, "cannot map", path);
	*data = p;
	*size = (size_t)st.st_size;
	return COLSTORE_OK;
}

/* a colstore file: any regular file, mapped with the hint for large pages */
int cs_map_file(const char *path, const void **data, size_t *size, colstore_error *err)
{
	int rc = cs_map_input(path, data, size, err);
	if (rc || !*size)
		return rc; /* the magic and the size are the reader's to judge (cs_open) */
#ifdef MADV_HUGEPAGE
	/* Let the kernel back the page cache of this file with 2 MiB pages
	 * where it can (read-only file THP): a 4 KiB page costs a fault or a
	 * TLB walk each; measured on the benchmark machine, reading a freshly
	 * mapped file ran at 2-3 GB/s in 4 KiB pages and 11-13 GB/s once the
	 * kernel had collapsed them.  A hint: ignored where unsupported. */
	madvise((void *)*data, *size, MADV_HUGEPAGE);
#endif
	return COLSTORE_OK;
}

void cs_unmap(const void *data, size_t size)
{
	if (data)
		munmap((void *)data, size);
}

void cs_map_advise_sequential(const void *data, size_t size)
{
	madvise((void *)data, size, MADV_SEQUENTIAL);
}

void cs_map_release(const void *data, uint64_t start, uint64_t end)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	start = (start + page - 1) / page * page; /* whole pages inside the range */
	end = end / page * page;
	if (start < end)
		madvise((uint8_t *)data + start, (size_t)(end - start), MADV_DONTNEED);
}

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

void cs_map_populate(const void *data, uint64_t start, uint64_t end)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	start = start / page * page; /* the pages that hold the range */
	end = (end + page - 1) / page * page;
	if (start < end) /* advice: an older kernel says EINVAL and the pages fault as before */
		madvise((uint8_t *)data + start, (size_t)(end - start), MADV_POPULATE_READ);
}

int cs_map_spool(int fd, const char *path, int rc, uint64_t n, const void **out,
                 size_t *out_size, colstore_error *err)
{
	if (!rc && n) {
		void *m;
		rc = cs_map_fd(fd, path, 0, (size_t)n, &m, err);
		if (!rc) {
			*out = m;
			*out_size = (size_t)n;
		}
	}
	close(fd);
	return rc;
}

int cs_map_fd(int fd, const char *path, uint64_t off, size_t n, void **out, colstore_error *err)
{
	void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, (off_t)off);
	if (m == MAP_FAILED)
		return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "mmap of %s: %s", path,
		              strerror(errno));
	*out = m;
	return COLSTORE_OK;
}

void *cs_malloc_big(size_t n)
{
	const size_t huge = CS_BIG_BYTES;
	if (n < huge)
		return malloc(n ? n : 1);
	void *p;
	if (posix_memalign(&p, huge, n))
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(p, n, MADV_HUGEPAGE); /* advice: no harm when refused */
#endif
	return p;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* the whole pages of [p, p + n) mapped now, from CS_POPULATE_BYTES up */
static void cs_populate_write(void *p, size_t n)
{
	if (!p || n < CS_POPULATE_BYTES)
		return;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + page - 1) / page * page, b = ((uintptr_t)p + n) / page * page;
	if (a < b) /* advice: an older kernel says EINVAL and the pages fault as before */
		madvise((void *)a, b - a, MADV_POPULATE_WRITE);
}

void *cs_calloc_populated(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	void *p = calloc(n, size);
	cs_populate_write(p, n * size);
	return p;
}

void *cs_realloc_populated(void *p, size_t n)
{
	void *q = realloc(p, n);
	cs_populate_write(q, n);
	return q;
}

void *cs_calloc_big(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size)
		return NULL;
	if (n * size < CS_BIG_BYTES)
		return calloc(n, size);
	void *p = cs_malloc_big(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void *cs_realloc_big(void *p, size_t old, size_t n)
{
	if (n < CS_BIG_BYTES)
		return realloc(p, n);
	void *q = cs_malloc_big(n);
	if (q && p) {
		memcpy(q, p, old < n ? old : n);
		free(p);
	}
	return q;
}

void *cs_map_anon(size_t bytes)
{
	void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
#ifdef MADV_HUGEPAGE
	madvise(m, bytes, MADV_HUGEPAGE);
#endif
	return m;
}

int cs_tmp_unlinked(const char *prefix, char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	snprintf(path, size, "%s/%s-XXXXXX", dir && *dir ? dir : "/tmp", prefix);
	int fd = mkstemp(path);
	if (fd >= 0)
		unlink(path); /* gone with the descriptor, whatever happens */
	return fd;
}

/* A temporary file's name: DIR/.BASE.tmp-PID-RANDOM, with BASE cut so that
 * the name fits NAME_MAX (255 bytes) whatever the target's name */
#define CS_TMP_BASE_MAX 200

/* Removes DIR/.BASE.tmp-* files that no live writer holds: a writer keeps
 * an exclusive flock on its temporary file until it renames or removes it,
 * so a file that can be locked was left by a killed import or export, in
 * this PID namespace or another (containers sharing a volume).  A writer
 * creates its file unnamed and locks it before it names it (O_TMPFILE);
 * where the file system cannot, the name ends in -n, and such a file, empty
 * and younger than a minute, is left alone: its writer may be between
 * creating and locking it. */
static void cs_sweep_stale(const char *path, size_t dirlen, const char *base, size_t baselen)
{
	char *dir = dirlen ? strndup(path, dirlen) : strdup(".");
	size_t plen = baselen + 6;
	char *prefix = malloc(plen + 1);
	DIR *d = dir ? opendir(dir) : NULL;
	time_t now = time(NULL);
	if (d && prefix) {
		snprintf(prefix, plen + 1, ".%.*s.tmp-", (int)baselen, base);
		struct dirent *e;
		while ((e = readdir(d)) != NULL) {
			if (strncmp(e->d_name, prefix, plen) != 0)
				continue;
			struct stat st;
			if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
			    !S_ISREG(st.st_mode))
				continue;
			size_t nl = strlen(e->d_name);
			int named_unlocked = nl > 2 && !strcmp(e->d_name + nl - 2, "-n");
			if (named_unlocked && st.st_size == 0 && now - st.st_ctime < 60)
				continue;
			int fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			if (fd < 0)
				continue;
			if (flock(fd, LOCK_EX | LOCK_NB) == 0) /* nobody writes it */
				unlinkat(dirfd(d), e->d_name, 0);
			close(fd);
		}
	}
	if (d)
		closedir(d);
	free(prefix);
	free(dir);
}

/* The temporary files being written, for colstore_remove_temporaries():
 * slots of pointers set and cleared atomically, read in a signal handler. */
#define CS_LIVE_TMP 64
static char *cs_live_tmp[CS_LIVE_TMP];

static void cs_tmp_register(char *tmp)
{
	for (int i = 0; i < CS_LIVE_TMP; i++) {
		char *none = NULL;
		if (__atomic_compare_exchange_n(&cs_live_tmp[i], &none, tmp, 0, __ATOMIC_SEQ_CST,
		                                __ATOMIC_SEQ_CST))
			return;
	}
	/* more at once than slots: that one is left to the stale sweep */
}

void cs_tmp_forget(const char *tmp)
{
	for (int i = 0; tmp && i < CS_LIVE_TMP; i++) {
		char *p = (char *)tmp;
		if (__atomic_compare_exchange_n(&cs_live_tmp[i], &p, NULL, 0, __ATOMIC_SEQ_CST,
		                                __ATOMIC_SEQ_CST))
			return;
	}
}

void colstore_remove_temporaries(void)
{
	for (int i = 0; i < CS_LIVE_TMP; i++) {
		char *p = __atomic_exchange_n(&cs_live_tmp[i], NULL, __ATOMIC_SEQ_CST);
		if (p)
			unlink(p); /* async-signal-safe */
	}
}

int cs_tmp_create(const char *path, int *fd_out, char **tmp_out, char **target_out,
                  colstore_error *err)
{
	*tmp_out = NULL;
	*target_out = NULL;
	/* a link is followed, as cp does: the file it names is replaced */
	char *target = NULL;
	struct stat lst, st;
	int exists = stat(path, &st) == 0;
	if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		if (exists) {
			target = realpath(path, NULL);
		} else { /* links to a file not there yet: that file is created, at
			  * the end of the chain (40 links at most, as the kernel) */
			target = strdup(path);
			for (int hop = 0; target && hop < 40; hop++) {
				struct stat ls;
				if (lstat(target, &ls) != 0 || !S_ISLNK(ls.st_mode))
					break;
				char link[4096];
				ssize_t n = readlink(target, link, sizeof(link) - 1);
				if (n <= 0 || (size_t)n >= sizeof(link) - 1)
					break;
				link[n] = '\0';
				const char *slash = strrchr(target, '/');
				size_t dl = link[0] == '/' || !slash ? 0 : (size_t)(slash - target) + 1;
				char *next = malloc(dl + (size_t)n + 1);
				if (next)
					snprintf(next, dl + (size_t)n + 1, "%.*s%s", (int)dl, target, link);
				free(target);
				target = next;
			}
		}
	}
	if (!target)
		target = strdup(path);
	if (!target)
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	if (exists && S_ISDIR(st.st_mode)) {
		free(target);
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET, "%s: is a directory", path);
	}
	if (exists && !S_ISREG(st.st_mode)) {
		/* a device, pipe or socket (/dev/null, /dev/stdout): written into as
		 * it is, not replaced by a regular file */
		int fd = open(target, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			int e = errno;
			int rc = cs_err_errno(err, e, "cannot open", path);
			free(target);
			return rc;
		}
		*fd_out = fd;
		*target_out = target;
		return COLSTORE_OK;
	}
	/* beside the target, so that rename() stays within one filesystem */
	const char *slash = strrchr(target, '/');
	size_t dirlen = slash ? (size_t)(slash - target) + 1 : 0;
	const char *base = target + dirlen;
	if (*base == '\0') {
		free(target);
		return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
		              "%s: output path names a directory", path);
	}
	size_t baselen = strlen(base) < CS_TMP_BASE_MAX ? strlen(base) : CS_TMP_BASE_MAX;
	cs_sweep_stale(target, dirlen, base, baselen);
	size_t cap = strlen(target) + 64;
	char *tmp = malloc(cap);
	if (!tmp) {
		free(target);
		return cs_err(err, COLSTORE_ENOMEM, COLSTORE_NO_OFFSET, "out of memory");
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long seed = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
	                     (unsigned long)(uintptr_t)&ts;
	/* where the file system allows, the file is made unnamed, locked, and
	 * only then given its name: the sweep never sees it unlocked */
	int anon = -1;
#ifdef O_TMPFILE
	{
		char *dir = dirlen ? strndup(target, dirlen) : strdup(".");
		anon = dir ? open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666) : -1;
		free(dir);
		if (anon >= 0)
			flock(anon, LOCK_EX);
	}
#endif
	for (int attempt = 0; attempt < 100; attempt++) {
		seed = seed * 6364136223846793005ul + 1442695040888963407ul;
		snprintf(tmp, cap, "%.*s.%.*s.tmp-%ld-%08lx", (int)dirlen, target, (int)baselen, base,
		         (long)getpid(), (seed >> 33) & 0xfffffffful);
		int fd = -1;
		if (anon >= 0) {
			char proc[64];
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", anon);
			if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) {
				fd = anon;
			} else if (errno != EEXIST) { /* no /proc: the plain way */
				close(anon);
				anon = -1;
			}
		}
		if (anon < 0) {
			strcat(tmp, "-n"); /* named before it is locked (cs_sweep_stale) */
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		}
		if (fd >= 0) {
			flock(fd, LOCK_EX); /* held until closed: a live writer's (cs_sweep_stale) */
			cs_tmp_register(tmp);
			if (exists) { /* the replacement keeps the mode, and owner when root */
				fchmod(fd, st.st_mode & 07777);
				if (geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) == 0)
					fchmod(fd, st.st_mode & 07777); /* chown clears set-id bits */
			}
			*fd_out = fd;
			*tmp_out = tmp;
			*target_out = target;
			return COLSTORE_OK;
		}
		if (anon < 0 && errno != EEXIST) {
			int e = errno;
			int rc = cs_err_errno(err, e, "cannot create temporary file", tmp);
			free(tmp);
			free(target);
			return rc == COLSTORE_ENOTFOUND ? COLSTORE_EIO : rc;
		}
	}
	if (anon >= 0)
		close(anon);
	free(tmp);
	free(target);
	return cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET,
	              "%s: cannot find a free temporary file name", path);
}

int cs_check_output(const char *out, const struct stat *in, colstore_error *err)
{
	struct stat st;
	if (stat(out, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the output %s is a directory", out);
		if (in && st.st_dev == in->st_dev && st.st_ino == in->st_ino)
			return cs_err(err, COLSTORE_EINVAL, COLSTORE_NO_OFFSET,
			              "the output %s is the input file: writing it would destroy what is "
			              "being read; name another output", out);
		if (!S_ISREG(st.st_mode))
			return COLSTORE_OK; /* written into as it is */
	}
	/* the folder that will hold the output (a link's target: its folder) */
	char *real = realpath(out, NULL);
	const char *p = real ? real : out;
	const char *slash = strrchr(p, '/');
	char *dir = slash ? strndup(p, slash == p ? 1 : (size_t)(slash - p)) : strdup(".");
	int rc = COLSTORE_OK;
	if (dir && access(dir, W_OK | X_OK) != 0)
		rc = cs_err(err, COLSTORE_EIO, COLSTORE_NO_OFFSET, "cannot write %s: folder %s: %s", out,
		            dir, strerror(errno));
	free(dir);
	free(real);
	return rc;
}

int cs_write_all(int fd, const void *p, size_t n, const char *path, colstore_error *err)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t got = write(fd, b, n > (1u << 30) ? (1u << 30) : n);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return cs_err_errno(err, errno, "cannot write", path);
		}
		b += got;
		n -= (size_t)got;
	}
	return COLSTORE_OK;
}

int cs_pwrite_all(int fd, const void *p, size_t n, uint64_t off, const char *path,
                  colstore_error *err)
{
	const uint8_t *b = p;
	while (n > 0) {
		ssize_t got = pwrite(fd, b, n > (1u << 30) ? (1u << 30) : n, (off_t)off);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			return cs_err_errno(err, errno, "cannot write", path);
		}
		b += got;
		off += (uint64_t)got;
		n -= (size_t)got;
	}
	return COLSTORE_OK;
}

int cs_tmp_commit(int fd, const char *tmp, const char *path, colstore_error *err)
{
	if (!tmp) { /* written straight into a device or pipe */
		if (close(fd) != 0)
			return cs_err_errno(err, errno, "cannot close", path);
		return COLSTORE_OK;
	}
	if (fsync(fd) != 0) {
		int e = errno;
		close(fd);
		return cs_err_errno(err, e, "cannot fsync", tmp);
	}
	if (close(fd) != 0)
		return cs_err_errno(err, errno, "cannot close", tmp);
	if (rename(tmp, path) != 0)
		return cs_err_errno(err, errno, "cannot rename temporary file to", path);
	/* make the rename itself durable */
	const char *slash = strrchr(path, '/');
	char *dir = slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
	if (dir) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd); /* best effort: the data is already safe */
			close(dfd);
		}
		free(dir);
	}
	return COLSTORE_OK;
}
