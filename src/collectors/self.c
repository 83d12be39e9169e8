/* self collector: the exporter's own process metrics (process_* as the
 * Prometheus Go client's process collector names them) and
 * memacct_build_info. Always read from /proc/self, never from --path.procfs:
 * that flag points at the host's procfs, and the exporter is not the host.
 * It does not look at other processes (process.c does). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "memacct/collectors/collector.h"
#include "memacct/util/parse.h"
#include "memacct/util/readfile.h"

#ifndef MEMACCT_VERSION
#define MEMACCT_VERSION "unknown"
#endif

#define SELF_STAT_MAX (64 * 1024)
/* /proc/stat carries a line per CPU and a number per IRQ: large on big hosts,
 * which is one reason it is read once, at init. */
#define PROC_STAT_MAX (16 * 1024 * 1024)

struct self_state {
	double clk_tck;
	uint64_t page_size;
	/* Start time is fixed for the life of the process: computed once. */
	double start_time;
	int start_err; /* 0, or why start_time is unknown (start_msg says more) */
	struct errmsg start_msg;
};

/* The fields of /proc/self/stat used here (Documentation/filesystems/proc.rst,
 * table 1-4, and proc(5); numbered from 1 as there). */
struct self_stat {
	uint64_t utime;	    /* 14, clock ticks */
	uint64_t stime;	    /* 15, clock ticks */
	uint64_t starttime; /* 22, clock ticks after boot */
	uint64_t vsize;	    /* 23, bytes */
	uint64_t rss;	    /* 24, pages */
};

static bool is_space(char c)
{
	return c == ' ' || c == '\n' || c == '\t';
}

/* Parses /proc/<pid>/stat. comm (field 2) is in parentheses and may itself
 * hold spaces and ')', so the fields are counted from the LAST ')'. Fields
 * not used are skipped as tokens (some, like tpgid and nice, are signed). */
static int parse_self_stat(const char *text, struct self_stat *st)
{
	const char *p = strrchr(text, ')');
	unsigned found = 0;
	if (!p)
		return -EINVAL;
	p++;
	for (unsigned field = 3; field <= 24; field++) {
		uint64_t *dst = NULL;
		while (*p == ' ')
			p++;
		if (!*p || *p == '\n')
			return -EINVAL; /* too few fields */
		switch (field) {
		case 14:
			dst = &st->utime;
			break;
		case 15:
			dst = &st->stime;
			break;
		case 22:
			dst = &st->starttime;
			break;
		case 23:
			dst = &st->vsize;
			break;
		case 24:
			dst = &st->rss;
			break;
		default:
			break;
		}
		if (dst) {
			int rc = parse_u64(&p, dst);
			if (rc)
				return rc;
			if (*p && !is_space(*p))
				return -EINVAL;
			found++;
		} else {
			while (*p && !is_space(*p))
				p++;
		}
	}
	return found == 5 ? 0 : -EINVAL;
}

static int read_self_stat(struct self_stat *st, struct errmsg *e)
{
	struct readbuf rb;
	readbuf_init(&rb, SELF_STAT_MAX);
	int rc = readfile_at(AT_FDCWD, "/proc/self/stat", &rb);
	if (rc)
		errmsg_set(e, "cannot read /proc/self/stat: %s", strerror(-rc));
	else if ((rc = parse_self_stat(rb.data, st)) != 0)
		errmsg_set(e, "/proc/self/stat: unexpected format");
	readbuf_free(&rb);
	return rc;
}

/* btime from /proc/stat (Documentation/filesystems/proc.rst, 1.8): boot
 * time in seconds since the epoch. */
static int read_btime(uint64_t *btime, struct errmsg *e)
{
	static const struct keyed_field fields[] = {{"btime", 0}};
	uint64_t v[1], seen = 0;
	struct readbuf rb;
	readbuf_init(&rb, PROC_STAT_MAX);
	int rc = readfile_at(AT_FDCWD, "/proc/stat", &rb);
	if (rc) {
		errmsg_set(e, "cannot read /proc/stat: %s", strerror(-rc));
		goto out;
	}
	rc = parse_keyed(rb.data, fields, 1, v, &seen);
	if (!seen) {
		errmsg_set(e, "/proc/stat: no valid btime line");
		rc = rc ? rc : -EINVAL;
		goto out;
	}
	*btime = v[0];
	rc = 0;
out:
	readbuf_free(&rb);
	return rc;
}

static int self_init(const struct collector_env *env, void **state, struct errmsg *e)
{
	(void)env; /* --path.procfs is the host's, not ours */
	struct self_state *st = calloc(1, sizeof(*st));
	if (!st) {
		errmsg_set(e, "self collector: out of memory");
		return -ENOMEM;
	}
	long tck = sysconf(_SC_CLK_TCK);
	long pg = sysconf(_SC_PAGESIZE);
	st->clk_tck = tck > 0 ? (double)tck : 100.0; /* USER_HZ is 100 on Linux */
	st->page_size = pg > 0 ? (uint64_t)pg : 4096;

	/* A failure here is not fatal to start-up: collect() reports it (the
	 * other metrics still work) every scrape. */
	struct self_stat ss;
	uint64_t btime = 0;
	st->start_err = read_self_stat(&ss, &st->start_msg);
	if (!st->start_err)
		st->start_err = read_btime(&btime, &st->start_msg);
	if (!st->start_err)
		st->start_time = (double)btime + (double)ss.starttime / st->clk_tck;
	*state = st;
	return 0;
}

/* Counts /proc/self/fd entries, not counting the descriptor used to list
 * them. */
static int count_open_fds(uint64_t *n, struct errmsg *e)
{
	int fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		errmsg_set(e, "cannot open /proc/self/fd: %s", strerror(err));
		return -err;
	}
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno;
		close(fd);
		errmsg_set(e, "cannot list /proc/self/fd: %s", strerror(err));
		return -err;
	}
	uint64_t count = 0;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		const char *s = de->d_name;
		uint64_t v;
		if (parse_u64(&s, &v) != 0 || *s != '\0')
			continue; /* "." and ".." */
		if (v != (uint64_t)fd)
			count++;
	}
	int err = errno;
	closedir(d);
	if (err) {
		errmsg_set(e, "cannot list /proc/self/fd: %s", strerror(err));
		return -err;
	}
	*n = count;
	return 0;
}

static int self_collect(void *state, struct scrape_ctx *ctx, struct registry *reg, struct errmsg *e)
{
	(void)ctx;
	const struct self_state *st = state;
	struct self_stat ss;
	struct rlimit rl;
	uint64_t nfds = 0;
	int rc = 0;

	metric_u64(registry_family(reg, "memacct_build_info", METRIC_GAUGE,
				   "A metric with a constant value 1, labelled with the version of "
				   "memacct_exporter serving it."),
		   NULL, "version", MEMACCT_VERSION, 1);

	int src = read_self_stat(&ss, e);
	if (!src) {
		metric_f64(registry_family(reg, "process_cpu_seconds_total", METRIC_COUNTER,
					   "Total user and system CPU time spent in seconds."),
			   NULL, NULL, NULL, (double)(ss.utime + ss.stime) / st->clk_tck);
		metric_u64(registry_family(reg, "process_virtual_memory_bytes", METRIC_GAUGE,
					   "Virtual memory size in bytes."),
			   NULL, NULL, NULL, ss.vsize);
		uint64_t rss =
		    ss.rss > UINT64_MAX / st->page_size ? UINT64_MAX : ss.rss * st->page_size;
		metric_u64(registry_family(reg, "process_resident_memory_bytes", METRIC_GAUGE,
					   "Resident memory size in bytes."),
			   NULL, NULL, NULL, rss);
	} else {
		rc = src;
	}

	if (!st->start_err) {
		metric_f64(
		    registry_family(reg, "process_start_time_seconds", METRIC_GAUGE,
				    "Start time of the process since unix epoch in seconds."),
		    NULL, NULL, NULL, st->start_time);
	} else if (!rc) {
		rc = st->start_err;
		errmsg_set(e, "%s", st->start_msg.msg);
	}

	int frc = count_open_fds(&nfds, rc ? NULL : e);
	if (!frc)
		metric_u64(registry_family(reg, "process_open_fds", METRIC_GAUGE,
					   "Number of open file descriptors."),
			   NULL, NULL, NULL, nfds);
	else if (!rc)
		rc = frc;

	/* RLIM_INFINITY is exported as the largest uint64, as the Go client
	 * does. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		metric_u64(registry_family(reg, "process_max_fds", METRIC_GAUGE,
					   "Maximum number of open file descriptors."),
			   NULL, NULL, NULL, (uint64_t)rl.rlim_cur);
	if (getrlimit(RLIMIT_AS, &rl) == 0)
		metric_u64(registry_family(reg, "process_virtual_memory_max_bytes", METRIC_GAUGE,
					   "Maximum amount of virtual memory available in bytes."),
			   NULL, NULL, NULL, (uint64_t)rl.rlim_cur);
	return rc;
}

const struct collector collector_self = {
    .name = "self",
    .default_on = true,
    .init = self_init,
    .collect = self_collect,
    .fini = free,
};
