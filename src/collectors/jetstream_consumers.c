/* jetstream_consumers: the per-consumer and per-replica series of the
 * jetstream collector (collectors/jetstream.c), from a finished snapshot:
 * each consumer's pending, ack-pending, redelivered and waiting counts, its
 * delivered and ack-floor stream sequences, the age of its last delivery
 * and ack (at scrape time, where the server reports them), its
 * max_ack_pending and an info series; each clustered stream's replicas
 * (leader, current, offline, lag, last seen) and whether the server could reach the
 * stream. It reads no flag and takes no lock. */
#include "memacct/collectors/jetstream_series.h"

#include <stdio.h>

enum cfam {
	C_PENDING,
	C_ACK_PENDING,
	C_REDELIVERED,
	C_WAITING,
	C_DELIVERED_SEQ,
	C_ACK_FLOOR_SEQ,
	C_LAST_DELIVERY,
	C_LAST_ACK,
	C_MAX_ACK_PENDING,
	C_INFO,
	C_COUNT
};

static const struct {
	const char *name;
	const char *help;
} consumer_families[C_COUNT] = {
    [C_PENDING] = {"memacct_jetstream_consumer_pending_messages",
		   "Messages of the stream the consumer has not delivered yet (num_pending)."},
    [C_ACK_PENDING] = {"memacct_jetstream_consumer_ack_pending_messages",
		       "Messages delivered and not acknowledged yet (num_ack_pending)."},
    [C_REDELIVERED] = {"memacct_jetstream_consumer_redelivered_messages",
		       "Messages delivered more than once and not acknowledged yet "
		       "(num_redelivered)."},
    [C_WAITING] = {"memacct_jetstream_consumer_waiting_requests",
		   "Pull requests waiting for messages (num_waiting); 0 for push consumers."},
    [C_DELIVERED_SEQ] = {"memacct_jetstream_consumer_delivered_stream_seq",
			 "Stream sequence of the last message delivered."},
    [C_ACK_FLOOR_SEQ] = {"memacct_jetstream_consumer_ack_floor_stream_seq",
			 "Stream sequence up to which every message is acknowledged."},
    [C_LAST_DELIVERY] = {"memacct_jetstream_consumer_last_delivery_age_seconds",
			 "Seconds since the consumer last delivered a message, at scrape time; "
			 "absent when the server reports none."},
    [C_LAST_ACK] = {"memacct_jetstream_consumer_last_ack_age_seconds",
		    "Seconds since the ack floor last moved, at scrape time; absent when the "
		    "server reports none."},
    [C_MAX_ACK_PENDING] = {"memacct_jetstream_consumer_max_ack_pending",
			   "The consumer's configured max_ack_pending: deliveries stop while "
			   "this many wait for an ack; -1 (or 0) means unlimited."},
    [C_INFO] = {"memacct_jetstream_consumer_info",
		"The consumer's kind (push or pull), whether it is durable and its ack "
		"policy as labels; always 1."},
};

double jetstream_age_s(double now, int64_t ts_ns)
{
	double a = now - (double)ts_ns / 1e9;
	return a > 0 ? a : 0; /* clocks of two hosts: never negative */
}

void jetstream_collect_consumers(struct registry *reg, const struct js_snapshot *s, double now)
{
	struct family *f[C_COUNT];
	struct labels ls;

	if (s->n_consumers == 0)
		return;
	for (int i = 0; i < C_COUNT; i++)
		f[i] = registry_family(reg, consumer_families[i].name, METRIC_GAUGE,
				       consumer_families[i].help);
	labels_init(&ls);
	for (size_t i = 0; i < s->n_consumers && !registry_error(reg); i++) {
		const struct js_consumer *c = &s->consumers[i];
		labels_reset(&ls);
		labels_add(&ls, "stream", s->streams[c->stream].name);
		labels_add(&ls, "consumer", c->name);
		labels_add(&ls, "account", s->account.name);

		metric_u64(f[C_PENDING], &ls, NULL, NULL, c->num_pending);
		metric_u64(f[C_ACK_PENDING], &ls, NULL, NULL, c->num_ack_pending);
		metric_u64(f[C_REDELIVERED], &ls, NULL, NULL, c->num_redelivered);
		metric_u64(f[C_WAITING], &ls, NULL, NULL, c->num_waiting);
		metric_u64(f[C_DELIVERED_SEQ], &ls, NULL, NULL, c->delivered_stream_seq);
		metric_u64(f[C_ACK_FLOOR_SEQ], &ls, NULL, NULL, c->ack_floor_stream_seq);
		if (c->last_delivered_ns > 0)
			metric_f64(f[C_LAST_DELIVERY], &ls, NULL, NULL,
				   jetstream_age_s(now, c->last_delivered_ns));
		if (c->last_ack_ns > 0)
			metric_f64(f[C_LAST_ACK], &ls, NULL, NULL, jetstream_age_s(now, c->last_ack_ns));
		metric_f64(f[C_MAX_ACK_PENDING], &ls, NULL, NULL, (double)c->max_ack_pending);

		labels_add(&ls, "kind", c->push ? "push" : "pull");
		labels_add(&ls, "durable", c->durable ? "true" : "false");
		labels_add(&ls, "ack_policy", js_ack_policy_name(c->ack_policy));
		metric_u64(f[C_INFO], &ls, NULL, NULL, 1);
	}
	labels_free(&ls);
}

enum rfam { R_LEADER, R_CURRENT, R_OFFLINE, R_LAG, R_LAST_SEEN, R_COUNT };

static const struct {
	const char *name;
	const char *help;
} replica_families[R_COUNT] = {
    [R_LEADER] = {"memacct_jetstream_stream_replica_leader",
		  "1 on the server that leads the clustered stream, 0 on its followers."},
    [R_CURRENT] = {"memacct_jetstream_stream_replica_current",
		   "1 when the replica is caught up with the leader (the leader always is)."},
    [R_OFFLINE] = {"memacct_jetstream_stream_replica_offline",
		   "1 when the leader has lost the replica's server."},
    [R_LAG] = {"memacct_jetstream_stream_replica_lag",
	       "Operations the replica is behind the leader, as the leader reports it."},
    [R_LAST_SEEN] = {"memacct_jetstream_stream_replica_last_seen_seconds",
		     "Seconds since the leader last heard from the replica, at the last poll (0 "
		     "for the leader). nats-server 2.9 marks a replica offline only when its "
		     "server shuts down cleanly; after a crash this grows instead."},
};

void jetstream_collect_replicas(struct registry *reg, const struct js_snapshot *s)
{
	struct family *f[R_COUNT], *missing = NULL;
	struct labels ls;

	labels_init(&ls);
	for (size_t i = 0; i < s->n_streams && !registry_error(reg); i++) {
		const struct js_stream *st = &s->streams[i];
		if (!st->cluster && !st->missing)
			continue;
		if (!missing) {
			missing = registry_family(
			    reg, "memacct_jetstream_stream_missing", METRIC_GAUGE,
			    "1 when the last poll's stream list named the stream missing or "
			    "offline (its leader did not answer): its state series hold the last "
			    "values seen, or are absent; 0 for a clustered stream that answered.");
			for (int k = 0; k < R_COUNT; k++)
				f[k] = registry_family(reg, replica_families[k].name, METRIC_GAUGE,
						       replica_families[k].help);
		}
		labels_reset(&ls);
		labels_add(&ls, "stream", st->name);
		labels_add(&ls, "account", s->account.name);
		metric_u64(missing, &ls, NULL, NULL, st->missing ? 1 : 0);
		for (unsigned k = 0; k < st->n_peers; k++) {
			const struct js_replica *r = &st->peers[k];
			metric_u64(f[R_LEADER], &ls, "server", r->name, r->leader ? 1 : 0);
			metric_u64(f[R_CURRENT], &ls, "server", r->name, r->current ? 1 : 0);
			metric_u64(f[R_OFFLINE], &ls, "server", r->name, r->offline ? 1 : 0);
			metric_u64(f[R_LAG], &ls, "server", r->name, r->lag);
			metric_f64(f[R_LAST_SEEN], &ls, "server", r->name,
				   r->active_ns > 0 ? (double)r->active_ns / 1e9 : 0);
		}
	}
	labels_free(&ls);
}
