/*
 * cli.h -- what the command-line tool's files share (colstore_cli.c):
 * error and usage messages, interrupts, files changed while read, and the
 * options that more than one command takes.  Each command lives in a file
 * of its own (cli_import.c; cli_query.c for scan and agg; cli_export.c),
 * output.c prints rows and values; main and the small commands (info,
 * verify) are in colstore_cli.c.
 *
 * Exit status of every command: 0 success, 1 bad input / corrupt file /
 * I/O error, 2 usage, 130 interrupted.
 */
#ifndef COLSTORE_TOOLS_CLI_H
#define COLSTORE_TOOLS_CLI_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "colstore/colstore.h"

#define EXIT_USAGE 2

/* ---- the commands ----------------------------------------------------------- */

/* argv[0] is the command's name; each returns the exit status */
int cmd_import(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_agg(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* ---- messages ----------------------------------------------------------------- */

/* e, read from file, on stderr ("colstore: FILE: message (code, at byte N)");
 * returns 1 */
int fail(const char *file, const colstore_error *e);
/* a usage error of command cmd: "colstore CMD: message", then the command's
 * usage, on stderr; returns EXIT_USAGE */
int usage_fail(const char *cmd, void (*usage)(FILE *), const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* a --where that did not parse, with a caret under the character it names */
void where_error(const char *cmd, const char *where, const colstore_error *e);

/* ---- signals ------------------------------------------------------------------ */

/* set by SIGINT, SIGTERM and SIGHUP once catch_interrupts() is called */
extern volatile sig_atomic_t interrupted;
/* SIGINT, SIGTERM, SIGHUP set `interrupted`; without SA_RESTART, so that a
 * call blocked on them (opening a FIFO no one reads) returns and the
 * command stops, removing what it was writing */
void catch_interrupts(void);
/* from now on, a SIGBUS is FILE changed while being read: say so, remove
 * the library's temporary files, add then (what became of the command's
 * output) and exit 1 */
void watch_file(const char *file, const char *then);

/* seconds since t (CLOCK_MONOTONIC) */
double since(const struct timespec *t);

/* ---- options -------------------------------------------------------------------- */

/* in's path with its extension replaced by ext (".colstore"); exits on ENOMEM */
char *default_output(const char *in, const char *ext);
/* a repeated option: prev and arg joined, a --where (is_where) as
 * "(prev) and (arg)", a list as "prev,arg"; prev NULL gives arg.  Exits
 * with EXIT_USAGE when a --where's parentheses do not close within it */
char *opt_add(const char *prev, char *arg, int is_where);
/* --threads N (1..max) and --limit N; -1 after a message naming cmd */
int parse_threads(const char *cmd, const char *arg, uint32_t max, uint32_t *out);
int parse_limit(const char *cmd, const char *arg, uint64_t *out);
/* --format: FMT_* (output.h), or -1 after a message */
int parse_format(const char *cmd, const char *arg);
/* "123", "64K", "512M", "2G", "1T" (powers of 1024), an optional B; -1 if not */
int parse_size(const char *s, uint64_t *out);

#endif
