/*
 * cli.h -- what the command-line tool's files share: error and usage
 * messages, interrupts, files changed while read, and the options that more
 * than one command takes (all defined in colstore_cli.c), and the commands
 * that main runs: import (cli_import.c), scan and agg (cli_query.c), export
 * (cli_export.c).  main, info and verify are in colstore_cli.c; output.c
 * prints rows and values.
 *
 * Exit status: 0 success, 1 bad input / corrupt file / I/O error, 2 usage;
 * an import or export stopped by a signal, 130.
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

/* e, met reading or writing file, on stderr: "colstore: MESSAGE" when the
 * message names the file, "colstore: FILE: MESSAGE" for a file that is not a
 * colstore file or an I/O error, else with the error's name and its byte
 * offset when it has one ("colstore: FILE: MESSAGE (NAME, at byte N)");
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
 * "(prev) and (arg)", a list as "prev,arg"; prev NULL gives arg.  The text
 * lives until the process exits.  Exits with EXIT_USAGE when a --where's
 * parentheses do not close within it, or past 64 joins (or out of memory) */
char *opt_add(const char *prev, char *arg, int is_where);
/* --threads N (1..max); -1 after a message naming cmd */
int parse_threads(const char *cmd, const char *arg, uint32_t max, uint32_t *out);
/* "123", "64K", "512M", "2G", "1T" (powers of 1024), an optional B; -1 if not */
int parse_size(const char *s, uint64_t *out);

#endif
