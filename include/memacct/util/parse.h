/* parse: pointer-advancing, overflow-checked parsers for the kernel's text
 * pseudo-files. They never allocate and never use sscanf/strtok/atoi. Each
 * names the kernel document for its format. They do not read files
 * (readfile.h does). */
#ifndef MEMACCT_PARSE_H
#define MEMACCT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses decimal digits at *p into *v and advances *p past them. -EINVAL when
 * no digit is there, -ERANGE on overflow (then *p is past the digits). */
int parse_u64(const char **p, uint64_t *v);

/* The value of one hex digit (0-9, a-f, A-F), or -1 for anything else. */
int parse_hex_digit(char c);

/* Hex digits at *p (no "0x") into *v and advances *p past them, as in
 * /proc/PID/maps addresses and device numbers. -EINVAL when no digit is
 * there, -ERANGE past 64 bits (then *p is not moved). */
int parse_hex_u64(const char **p, uint64_t *v);

/* A table of wanted keys for parse_keyed(). slot indexes the out array. */
struct keyed_field {
	const char *key;
	unsigned slot; /* < 64 */
};

/* Flat keyed files: "key value\n" (cgroup memory.stat, memory.events,
 * /proc/vmstat: Documentation/admin-guide/cgroup-v2.rst, cgroup-v1/memory.rst)
 * and "Key:  value kB\n" (/proc/meminfo, /proc/PID/status:
 * Documentation/filesystems/proc.rst). A trailing " kB" multiplies by 1024.
 * For each line whose key is in fields (exact match), out[slot] = value and
 * bit slot of *seen is set. Lines with other keys are skipped whatever their
 * value. A wanted line with a missing or non-numeric value is -EINVAL, an
 * overflowing one (also after the kB multiply) -ERANGE; parsing goes on and
 * the first error is returned, the bad field left unseen. */
int parse_keyed(const char *text, const struct keyed_field *fields, size_t nfields,
		uint64_t *out, uint64_t *seen);

/* Single-value files (memory.current, memory.max, memory.usage_in_bytes):
 * "123\n" or, where the kernel allows it, "max\n" (then *is_max = true and
 * *v = UINT64_MAX). Trailing whitespace only. is_max may be NULL when "max"
 * is not allowed (then "max" is -EINVAL). */
int parse_single_u64(const char *text, uint64_t *v, bool *is_max);

/* PSI: "some avg10=.. avg60=.. avg300=.. total=N\nfull ...\n"
 * (Documentation/accounting/psi.rst). total is in microseconds. Sets the
 * has_ flags for the lines present; -EINVAL on a malformed line. */
struct psi_totals {
	uint64_t some_us, full_us;
	bool has_some, has_full;
};
int parse_psi(const char *text, struct psi_totals *t);

/* Iterates the decimal ids of a cgroup.procs / tasks file, one per line:
 * call with *p at the text start; returns 1 and *pid for each id, 0 at the
 * end, -EINVAL on a malformed line (the rest is still iterable). */
int parse_next_pid(const char **p, int *pid);

#endif
