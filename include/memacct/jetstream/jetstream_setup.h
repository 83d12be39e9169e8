/* jetstream_setup: builds the JetStream poller from the --nats.* flags,
 * once, for main: the NATS client (URLs, credentials read from their files,
 * TLS), the stream name filter, the account hint from a .creds file, the
 * URLs with secrets redacted for log lines. It starts nothing (main calls
 * js_poller_start()) and collects nothing (collectors/jetstream.c). */
#ifndef MEMACCT_JETSTREAM_SETUP_H
#define MEMACCT_JETSTREAM_SETUP_H

#include "memacct/cli/flags.h"
#include "memacct/jetstream/jetstream_poll.h"
#include "memacct/util/errmsg.h"
#include "memacct/util/log.h"

/* *out: the poller (not started), or NULL without --nats.url. log is
 * borrowed by the poller. Returns 0, or -errno with e naming the flag or
 * file (a bad regex, an unreadable secret file, a bad URL, a user without a
 * password, ...). */
int jetstream_setup(const struct config *cfg, struct logger *log, struct js_poller **out,
		    struct errmsg *e);

#endif
