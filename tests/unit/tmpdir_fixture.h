/* tmpdir_fixture: a cmocka setup/teardown pair that gives a test a fresh
 * mkdtemp directory below /var/tmp (a disk filesystem, so
 * POSIX_FADV_DONTNEED really drops pages; /tmp may be tmpfs) and an fd on
 * /proc, both gone after teardown (rm -rf). Included by the pagecache
 * tests after cmocka.h; not a test itself. */
#ifndef MEMACCT_TEST_TMPDIR_FIXTURE_H
#define MEMACCT_TEST_TMPDIR_FIXTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct dir {
	char path[64];
	int procfd;
};

static int tmpdir_setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));
	if (!d)
		return -1;
	*state = d;
	snprintf(d->path, sizeof(d->path), "/var/tmp/memacct_pagecache_XXXXXX");
	if (!mkdtemp(d->path))
		return -1;
	d->procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return d->procfd < 0 ? -1 : 0;
}

static int tmpdir_teardown(void **state)
{
	struct dir *d = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	close(d->procfd);
	int rc = system(cmd);
	free(d);
	return rc == 0 ? 0 : -1;
}

#endif
