/*
 * timeit.c -- run a command, print "SECONDS PEAK-RSS-KB" to the file named
 * by the first argument: the wall time from fork to the child's exit (so
 * the command's own start-up is in it, the shell's and date's are not) and
 * the child's peak resident set from wait4.  The command's stdout and
 * stderr go where this program's go.
 *
 *   timeit OUT CMD [ARGS...]     exit status: the command's
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: timeit OUT CMD [ARGS...]\n");
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror("timeit: exec");
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("timeit: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	FILE *o = fopen(argv[1], "w");
	if (!o) {
		perror(argv[1]);
		return 2;
	}
	fprintf(o, "%.6f %ld\n", (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	        ru.ru_maxrss);
	fclose(o);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
