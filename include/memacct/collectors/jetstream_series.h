/* jetstream_series: the jetstream collector's per-consumer and per-replica
 * series (collectors/jetstream_consumers.c), and the age of a server
 * timestamp both files use, for collectors/jetstream.c, which serves the
 * rest of a JetStream snapshot. Formatting only. */
#ifndef MEMACCT_JETSTREAM_SERIES_H
#define MEMACCT_JETSTREAM_SERIES_H

#include "memacct/expo/expfmt.h"
#include "memacct/jetstream/jetstream_model.h"

/* now - ts_ns (Unix seconds against Unix nanoseconds), never negative:
 * the server's clock and ours may disagree. */
double jetstream_age_s(double now, int64_t ts_ns);

/* Each consumer's series; now is the scrape's Unix time (for the ages). */
void jetstream_collect_consumers(struct registry *reg, const struct js_snapshot *s, double now);

/* Each clustered or missing stream's memacct_jetstream_stream_missing and
 * its replicas' series. */
void jetstream_collect_replicas(struct registry *reg, const struct js_snapshot *s);

#endif
