/* Unit tests of the JetStream collector's pieces without a NATS server:
 * the JSON decoding of API replies (jetstream_json.c), the snapshot's
 * finishing (order, duplicates, filters, cap, derived reservations), the
 * retention judgements, one poll's paging against a fake transport (pages of
 * 256 built here, like nats-server's), the NKey public key derivation, the
 * set-up from flags (bad flags) and the collector over main's poller (not
 * configured, a refused server). The real server is
 * tests/integration/jetstream_*.sh's job. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "memacct/cli/flags.h"
#include "memacct/collectors/collector.h"
#include "memacct/collectors/jetstream_series.h"
#include "memacct/expo/expfmt.h"
#include "memacct/jetstream/jetstream_json.h"
#include "memacct/jetstream/jetstream_model.h"
#include "memacct/jetstream/jetstream_poll.h"
#include "memacct/jetstream/jetstream_poll_consumers.h"
#include "memacct/jetstream/jetstream_setup.h"
#include "memacct/jetstream/nkey.h"
#include "memacct/util/mbuf.h"

/* ---- time ---- */

static void test_parse_time(void **unused)
{
	(void)unused;
	int64_t ns;
	assert_int_equal(js_parse_time("1970-01-01T00:00:00Z", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(js_parse_time("2026-11-22T21:30:22.04861053Z", &ns), 0);
	/* date -u -d 2026-11-22T21:30:22Z +%s = 1795383022 */
	assert_true(ns == 1795383022LL * 1000000000 + 48610530);
	assert_int_equal(js_parse_time("2024-02-29T12:00:00.123456789123Z", &ns), 0);
	assert_true(ns == 1709208000LL * 1000000000 + 123456789);
	assert_int_equal(js_parse_time("2024-02-29T14:00:00+02:00", &ns), 0);
	assert_true(ns == 1709208000LL * 1000000000);
	assert_int_equal(js_parse_time("2024-02-29T11:30:00.5-00:30", &ns), 0);
	assert_true(ns == 1709208000LL * 1000000000 + 500000000);
	/* Go's zero time: an empty stream's first_ts. */
	assert_int_equal(js_parse_time("0001-01-01T00:00:00Z", &ns), 0);
	assert_int_equal(ns, 0);
	assert_int_equal(js_parse_time("2024-02-29 12:00:00Z", &ns), -EINVAL);
	assert_int_equal(js_parse_time("2024-13-01T00:00:00Z", &ns), -EINVAL);
	assert_int_equal(js_parse_time("2024-01-01T00:00:00", &ns), -EINVAL);
	assert_int_equal(js_parse_time("2024-01-01T00:00:00.Z", &ns), -EINVAL);
	assert_int_equal(js_parse_time("2024-01-01T00:00:00Zjunk", &ns), -EINVAL);
	assert_int_equal(js_parse_time("", &ns), -EINVAL);
	assert_int_equal(js_parse_time(NULL, &ns), -EINVAL);
	assert_int_equal(js_parse_time("2300-01-01T00:00:00Z", &ns), -ERANGE);
}

/* ---- JSON replies ---- */

/* nats-server 2.9.10's $JS.API.INFO reply, verbatim but for numbers. */
static const char account_29[] =
    "{\"type\":\"io.nats.jetstream.api.v1.account_info_response\",\"memory\":248890,"
    "\"storage\":117,\"streams\":2,\"consumers\":3,\"limits\":{\"max_memory\":-1,"
    "\"max_storage\":1073741824,\"max_streams\":100,\"max_consumers\":-1,"
    "\"max_ack_pending\":-1,\"memory_max_stream_bytes\":-1,"
    "\"storage_max_stream_bytes\":-1,\"max_bytes_required\":false},"
    "\"api\":{\"total\":10521,\"errors\":4}}";

static void test_account_info(void **unused)
{
	(void)unused;
	struct js_account a;
	struct errmsg e = {{0}};
	memset(&a, 0, sizeof(a));
	assert_int_equal(js_parse_account_info(account_29, strlen(account_29), &a, &e), 0);
	assert_int_equal(a.memory, 248890);
	assert_int_equal(a.storage, 117);
	assert_false(a.has_reserved);
	assert_int_equal(a.streams, 2);
	assert_int_equal(a.consumers, 3);
	assert_int_equal(a.api_total, 10521);
	assert_int_equal(a.api_errors, 4);
	assert_int_equal(a.max_memory, -1);
	assert_int_equal(a.max_storage, 1073741824);
	assert_int_equal(a.max_streams, 100);
	assert_int_equal(a.max_consumers, -1);

	/* Newer servers report reservations, some as Go's MaxUint64 (which
	 * jansson would reject as a whole reply). */
	const char *newer = "{\"memory\":1,\"storage\":2,\"reserved_memory\":18446744073709551615,"
			    "\"reserved_storage\":5000,\"streams\":1,\"consumers\":0,"
			    "\"limits\":{},\"api\":{\"total\":1,\"errors\":0}}";
	assert_int_equal(js_parse_account_info(newer, strlen(newer), &a, &e), 0);
	assert_true(a.has_reserved);
	assert_true(a.reserved_memory == UINT64_MAX);
	assert_int_equal(a.reserved_storage, 5000);
	assert_int_equal(a.max_storage, -1); /* absent limit: unlimited */

	const char *err = "{\"type\":\"io.nats.jetstream.api.v1.account_info_response\","
			  "\"error\":{\"code\":503,\"err_code\":10039,"
			  "\"description\":\"jetstream not enabled for account\"}}";
	assert_int_equal(js_parse_account_info(err, strlen(err), &a, &e), -EREMOTEIO);
	assert_non_null(strstr(e.msg, "503"));
	assert_non_null(strstr(e.msg, "jetstream not enabled for account"));

	assert_int_equal(js_parse_account_info("{\"memory\":", 10, &a, &e), -EINVAL);
	assert_int_equal(js_parse_account_info("[1,2]", 5, &a, &e), -EINVAL);
	assert_int_equal(js_parse_account_info("", 0, &a, &e), -EINVAL);
}

static void test_user_account(void **unused)
{
	(void)unused;
	char name[16];
	struct errmsg e;
	const char *ok = "{\"data\":{\"user\":\"exporter\",\"account\":\"APP\"},\"server\":{}}";
	assert_int_equal(js_parse_user_account(ok, strlen(ok), name, sizeof(name), &e), 0);
	assert_string_equal(name, "APP");
	const char *none = "{\"data\":{\"user\":\"x\"}}";
	assert_int_equal(js_parse_user_account(none, strlen(none), name, sizeof(name), &e),
			 -ENOENT);
	const char *lng = "{\"data\":{\"account\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\"}}";
	assert_int_equal(js_parse_user_account(lng, strlen(lng), name, sizeof(name), &e), 0);
	assert_string_equal(name, "ABCDEFGHIJKLMNO");
}

/* Two streams as nats-server 2.9.10 lists them (one empty), one with no
 * name (skipped), one not an object. */
static const char page_29[] =
    "{\"type\":\"io.nats.jetstream.api.v1.stream_list_response\",\"total\":4,\"offset\":0,"
    "\"limit\":256,\"streams\":["
    "{\"config\":{\"name\":\"A\",\"subjects\":[\"a.>\"],\"retention\":\"limits\","
    "\"max_consumers\":-1,\"max_msgs\":-1,\"max_bytes\":1000000,"
    "\"max_age\":3600000000000,\"max_msgs_per_subject\":-1,\"max_msg_size\":-1,"
    "\"discard\":\"old\",\"storage\":\"file\",\"num_replicas\":1,"
    "\"duplicate_window\":120000000000,\"sealed\":false},"
    "\"created\":\"2026-11-22T21:30:22.045544706Z\",\"state\":{\"messages\":3,"
    "\"bytes\":117,\"first_seq\":1,\"first_ts\":\"2026-11-22T21:30:22.04861053Z\","
    "\"last_seq\":3,\"last_ts\":\"2026-11-22T21:30:22.049243626Z\",\"num_subjects\":1,"
    "\"num_deleted\":2,\"consumer_count\":5}},"
    "{\"config\":{\"name\":\"E\",\"retention\":\"workqueue\",\"max_msgs\":10,"
    "\"max_bytes\":-1,\"max_age\":0,\"max_msgs_per_subject\":3,\"discard\":\"new\","
    "\"storage\":\"memory\",\"num_replicas\":3,\"sealed\":true},"
    "\"state\":{\"messages\":0,\"bytes\":0,\"first_seq\":0,"
    "\"first_ts\":\"0001-01-01T00:00:00Z\",\"last_seq\":0,"
    "\"last_ts\":\"0001-01-01T00:00:00Z\",\"consumer_count\":0}},"
    "{\"config\":{\"subjects\":[\"x\"]},\"state\":{}},"
    "17]}";

static void test_stream_page(void **unused)
{
	(void)unused;
	struct js_snapshot *s = js_snapshot_new(NULL);
	struct errmsg e = {{0}};
	struct js_page pg;
	assert_int_equal(js_parse_stream_page(page_29, strlen(page_29), s, &pg, &e), 0);
	assert_int_equal(pg.total, 4);
	assert_int_equal(pg.count, 4);
	assert_int_equal(s->n_streams, 2);

	const struct js_stream *a = &s->streams[0];
	assert_string_equal(a->name, "A");
	assert_int_equal(a->storage, JS_STORAGE_FILE);
	assert_int_equal(a->retention, JS_RETENTION_LIMITS);
	assert_int_equal(a->discard, JS_DISCARD_OLD);
	assert_int_equal(a->replicas, 1);
	assert_false(a->sealed);
	assert_int_equal(a->messages, 3);
	assert_int_equal(a->bytes, 117);
	assert_int_equal(a->first_seq, 1);
	assert_int_equal(a->last_seq, 3);
	assert_true(a->first_ts_ns == 1795383022LL * 1000000000 + 48610530);
	assert_true(a->last_ts_ns == 1795383022LL * 1000000000 + 49243626);
	assert_int_equal(a->subjects, 1);
	assert_int_equal(a->deleted, 2);
	assert_int_equal(a->consumers, 5);
	assert_true(a->max_age_ns == 3600000000000LL);
	assert_int_equal(a->max_bytes, 1000000);
	assert_int_equal(a->max_msgs, -1);
	assert_int_equal(a->max_msgs_per_subject, -1);

	const struct js_stream *b = &s->streams[1];
	assert_string_equal(b->name, "E");
	assert_int_equal(b->storage, JS_STORAGE_MEMORY);
	assert_int_equal(b->retention, JS_RETENTION_WORKQUEUE);
	assert_int_equal(b->discard, JS_DISCARD_NEW);
	assert_int_equal(b->replicas, 3);
	assert_true(b->sealed);
	assert_int_equal(b->first_ts_ns, 0); /* empty: no time */
	assert_int_equal(b->last_ts_ns, 0);
	assert_int_equal(b->subjects, 0); /* omitted: 0 */
	js_snapshot_free(s);

	s = js_snapshot_new(NULL);
	const char *empty = "{\"total\":0,\"offset\":0,\"limit\":256,\"streams\":null}";
	assert_int_equal(js_parse_stream_page(empty, strlen(empty), s, &pg, &e), 0);
	assert_int_equal(pg.count, 0);
	const char *bad = "{\"total\":1,\"streams\":{}}";
	assert_int_equal(js_parse_stream_page(bad, strlen(bad), s, &pg, &e), -EINVAL);
	js_snapshot_free(s);
}

/* "total" is a count: 1e400 (json-c: a double, inf), 2^64 (clamped to
 * 2^64 - 1), negative, a string or missing are refused, not read as
 * 2^64 - 1 (which would page on for ever). */
static void test_page_total_is_a_count(void **unused)
{
	(void)unused;
	static const char *const bad[] = {
	    "{\"total\":1e400,\"streams\":[]}",
	    "{\"total\":18446744073709551616,\"streams\":[]}",
	    "{\"total\":18446744073709551615,\"streams\":[]}",
	    "{\"total\":-1,\"streams\":[]}",
	    "{\"total\":2.5,\"streams\":[]}",
	    "{\"total\":\"5\",\"streams\":[]}",
	    "{\"streams\":[]}",
	};
	struct js_page pg;
	struct errmsg e = {{0}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct js_snapshot *s = js_snapshot_new(NULL);
		assert_int_equal(js_parse_stream_page(bad[i], strlen(bad[i]), s, &pg, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "total"));
		js_snapshot_free(s);
	}
	const char *ok = "{\"total\":9223372036854775807,\"streams\":[]}";
	struct js_snapshot *s = js_snapshot_new(NULL);
	assert_int_equal(js_parse_stream_page(ok, strlen(ok), s, &pg, &e), 0);
	assert_true(pg.total == 9223372036854775807ULL);
	js_snapshot_free(s);
}

/* A reply that json-c would blow up (an object costs ~800 bytes decoded):
 * refused before decoding, with the size it would take; a real page of
 * the same size passes. */
static void test_decode_cost_is_capped(void **unused)
{
	(void)unused;
	struct mbuf b;
	mbuf_init(&b, 8 << 20);
	mbuf_addstr(&b, "{\"total\":1,\"streams\":[");
	for (int i = 0; i < 100000; i++) /* 300 KB: ~80 MB as a json-c tree */
		mbuf_addstr(&b, i ? ",{}" : "{}");
	mbuf_addstr(&b, "]}");
	assert_int_equal(mbuf_error(&b), 0);
	struct js_snapshot *s = js_snapshot_new(NULL);
	struct js_page pg;
	struct errmsg e = {{0}};
	assert_int_equal(js_parse_stream_page(b.data, b.len, s, &pg, &e), -EFBIG);
	assert_non_null(strstr(e.msg, "to decode"));
	struct js_account a;
	assert_int_equal(js_parse_account_info(b.data, b.len, &a, &e), -EFBIG);
	/* Quotes and braces inside strings do not count. */
	mbuf_reset(&b);
	mbuf_addstr(&b, "{\"total\":1,\"streams\":[{\"config\":{\"name\":\"");
	for (int i = 0; i < 200000; i++)
		mbuf_addstr(&b, "{\\\"[");
	mbuf_addstr(&b, "\"}}]}");
	assert_int_equal(js_parse_stream_page(b.data, b.len, s, &pg, &e), 0);
	assert_int_equal(pg.count, 1);
	js_snapshot_free(s);
	mbuf_free(&b);
}

/* A consumer list page as nats-server 2.9.10 writes it: a pull work-queue
 * consumer with unacked and redelivered messages and both last activities,
 * a push consumer without acks, an ephemeral one, one without a name
 * (skipped), and one named in "missing" (a cluster's consumer whose leader
 * did not answer: listed with a zeroed state, not added). */
static const char consumer_page_29[] =
    "{\"type\":\"io.nats.jetstream.api.v1.consumer_list_response\",\"total\":5,\"offset\":0,"
    "\"limit\":256,\"consumers\":["
    "{\"stream_name\":\"WQ\",\"name\":\"pull\",\"created\":\"2026-12-01T14:59:23.2306Z\","
    "\"config\":{\"durable_name\":\"pull\",\"deliver_policy\":\"all\",\"ack_policy\":"
    "\"explicit\",\"ack_wait\":1000000000,\"max_deliver\":-1,\"max_waiting\":512,"
    "\"max_ack_pending\":3,\"num_replicas\":0},\"delivered\":{\"consumer_seq\":6,"
    "\"stream_seq\":3,\"last_active\":\"2026-12-01T14:59:29.679065234Z\"},\"ack_floor\":"
    "{\"consumer_seq\":1,\"stream_seq\":1,\"last_active\":\"2026-12-01T14:59:28Z\"},"
    "\"num_ack_pending\":3,\"num_redelivered\":2,\"num_waiting\":1,\"num_pending\":7},"
    "{\"stream_name\":\"WQ\",\"name\":\"push\",\"config\":{\"durable_name\":\"push\","
    "\"deliver_subject\":\"out.push\",\"ack_policy\":\"none\"},\"delivered\":"
    "{\"consumer_seq\":10,\"stream_seq\":10},\"ack_floor\":{\"consumer_seq\":10,"
    "\"stream_seq\":10},\"num_ack_pending\":0,\"num_redelivered\":0,\"num_waiting\":0,"
    "\"num_pending\":0},"
    "{\"stream_name\":\"WQ\",\"name\":\"Xy7eph\",\"config\":{\"ack_policy\":\"all\","
    "\"max_ack_pending\":1000},\"delivered\":{\"stream_seq\":0},\"num_pending\":10},"
    "{\"stream_name\":\"WQ\",\"config\":{}},"
    "{\"stream_name\":\"WQ\",\"name\":\"gone\",\"config\":{},\"num_pending\":0}],"
    "\"missing\":[\"gone\"]}";

static void test_consumer_page(void **unused)
{
	(void)unused;
	struct js_snapshot *s = js_snapshot_new(NULL);
	struct errmsg e = {{0}};
	struct js_page pg;
	struct js_stream st = {.name = strdup("WQ"), .consumers = 5, .has_state = true};
	assert_int_equal(js_snapshot_add(s, &st), 0);
	js_snapshot_finish_streams(s);
	assert_int_equal(
	    js_parse_consumer_page(consumer_page_29, strlen(consumer_page_29), s, 0, &pg, &e), 0);
	assert_int_equal(pg.total, 5);
	assert_int_equal(pg.count, 5);
	assert_int_equal(pg.missing, 1);
	js_snapshot_finish(s);
	assert_int_equal(s->n_consumers, 3);
	assert_int_equal(s->streams[0].first_consumer, 0);
	assert_int_equal(s->streams[0].n_consumers, 3);

	const struct js_consumer *c = &s->consumers[1]; /* sorted: Xy7eph, pull, push */
	assert_string_equal(c->name, "pull");
	assert_false(c->push);
	assert_true(c->durable);
	assert_int_equal(c->ack_policy, JS_ACK_EXPLICIT);
	assert_int_equal(c->max_ack_pending, 3);
	assert_int_equal(c->num_pending, 7);
	assert_int_equal(c->num_ack_pending, 3);
	assert_int_equal(c->num_redelivered, 2);
	assert_int_equal(c->num_waiting, 1);
	assert_int_equal(c->delivered_stream_seq, 3);
	assert_int_equal(c->ack_floor_stream_seq, 1);
	/* date -u -d 2026-12-01T14:59:29Z +%s = 1796137169 */
	assert_true(c->last_delivered_ns == 1796137169LL * 1000000000 + 679065234);
	assert_true(c->last_ack_ns == 1796137168LL * 1000000000);

	c = &s->consumers[2];
	assert_string_equal(c->name, "push");
	assert_true(c->push);
	assert_int_equal(c->ack_policy, JS_ACK_NONE);
	assert_int_equal(c->max_ack_pending, -1);  /* not set: unlimited */
	assert_int_equal(c->last_delivered_ns, 0); /* not reported */
	assert_int_equal(c->delivered_stream_seq, 10);

	c = &s->consumers[0];
	assert_string_equal(c->name, "Xy7eph");
	assert_false(c->durable);
	assert_int_equal(c->ack_policy, JS_ACK_ALL);
	js_snapshot_free(s);

	s = js_snapshot_new(NULL);
	st = (struct js_stream){.name = strdup("WQ")};
	assert_int_equal(js_snapshot_add(s, &st), 0);
	js_snapshot_finish_streams(s);
	const char *err = "{\"error\":{\"code\":404,\"description\":\"stream not found\"}}";
	assert_int_equal(js_parse_consumer_page(err, strlen(err), s, 0, &pg, &e), -EREMOTEIO);
	const char *bad = "{\"total\":1e400,\"consumers\":[]}";
	assert_int_equal(js_parse_consumer_page(bad, strlen(bad), s, 0, &pg, &e), -EINVAL);
	bad = "{\"total\":1,\"consumers\":{}}";
	assert_int_equal(js_parse_consumer_page(bad, strlen(bad), s, 0, &pg, &e), -EINVAL);
	js_snapshot_free(s);
}

/* A 3-server cluster's stream list as nats-server 2.9.10 wrote it with one
 * server killed: R1A's leader is gone (named in "missing", listed with a
 * zeroed state and its replica offline), R3A has a leader, a current
 * follower and a lagging offline one; then a 2.10-style "offline" object
 * naming a stream the page does not list. */
static const char cluster_page_29[] =
    "{\"type\":\"io.nats.jetstream.api.v1.stream_list_response\",\"total\":2,\"offset\":0,"
    "\"limit\":256,\"streams\":["
    "{\"config\":{\"name\":\"R1A\",\"retention\":\"limits\",\"storage\":\"file\","
    "\"num_replicas\":1},\"state\":{\"messages\":0,\"bytes\":0,\"first_seq\":0,"
    "\"consumer_count\":0},\"cluster\":{\"name\":\"C1\",\"replicas\":[{\"name\":\"n2\","
    "\"current\":false,\"offline\":true,\"active\":0,\"peer\":\"44jzkV9D\"}]}},"
    "{\"config\":{\"name\":\"R3A\",\"retention\":\"limits\",\"storage\":\"file\","
    "\"num_replicas\":3},\"state\":{\"messages\":8,\"bytes\":288,\"first_seq\":1,"
    "\"last_seq\":8,\"consumer_count\":1},\"cluster\":{\"name\":\"C1\",\"leader\":\"n3\","
    "\"replicas\":[{\"name\":\"n1\",\"current\":true,\"active\":271957,\"peer\":\"fj\"},"
    "{\"name\":\"n2\",\"current\":false,\"offline\":true,\"active\":3913969683,\"lag\":3,"
    "\"peer\":\"44\"}]}}],"
    "\"missing\":[\"R1A\"],\"offline\":{\"R9\":\"stream is offline\"}}";

static void test_stream_page_cluster(void **unused)
{
	(void)unused;
	struct js_snapshot *prev = js_snapshot_new(NULL);
	struct errmsg e = {{0}};
	struct js_page pg;
	/* The poll before saw R1A with messages, and R9. */
	struct js_stream r1a = {.name = strdup("R1A"),
				.messages = 5,
				.bytes = 180,
				.first_seq = 1,
				.last_seq = 5,
				.consumers = 2,
				.has_state = true,
				.has_config = true};
	struct js_stream r9 = {.name = strdup("R9"),
			       .cluster = strdup("C2"),
			       .messages = 1,
			       .max_bytes = 64,
			       .storage = JS_STORAGE_MEMORY,
			       .has_state = true,
			       .has_config = true};
	assert_int_equal(js_snapshot_add(prev, &r1a), 0);
	assert_int_equal(js_snapshot_add(prev, &r9), 0);
	js_snapshot_finish(prev);

	struct js_snapshot *s = js_snapshot_new(NULL);
	assert_int_equal(js_parse_stream_page(cluster_page_29, strlen(cluster_page_29), s, &pg, &e),
			 0);
	assert_int_equal(pg.count, 2);
	assert_int_equal(pg.missing, 2);
	js_snapshot_finish_streams(s);
	assert_int_equal(s->n_streams, 3);
	assert_int_equal(s->missing, 2);
	assert_int_equal(s->seen, 3);

	const struct js_stream *a = &s->streams[0];
	assert_string_equal(a->name, "R1A");
	assert_true(a->missing);
	assert_false(a->has_state); /* the zeroed state is not believed */
	assert_string_equal(a->cluster, "C1");
	assert_int_equal(a->n_peers, 1); /* no leader: the offline follower only */
	assert_string_equal(a->peers[0].name, "n2");
	assert_false(a->peers[0].leader);
	assert_true(a->peers[0].offline);

	const struct js_stream *b = &s->streams[1];
	assert_string_equal(b->name, "R3A");
	assert_false(b->missing);
	assert_true(b->has_state);
	assert_int_equal(b->messages, 8);
	assert_int_equal(b->n_peers, 3);
	assert_string_equal(b->cluster, "C1");
	assert_string_equal(b->peers[0].name, "n3");
	assert_true(b->peers[0].leader && b->peers[0].current && !b->peers[0].offline);
	assert_string_equal(b->peers[1].name, "n1");
	assert_true(!b->peers[1].leader && b->peers[1].current);
	assert_string_equal(b->peers[2].name, "n2");
	assert_true(!b->peers[2].current && b->peers[2].offline);
	assert_int_equal(b->peers[2].lag, 3);

	const struct js_stream *c = &s->streams[2];
	assert_string_equal(c->name, "R9");
	assert_true(c->missing && !c->has_config && !c->has_state);
	assert_null(c->cluster);

	/* The poll before lends its state; R9 its config too. */
	js_snapshot_lend_missing(s, prev);
	assert_true(a->has_state);
	assert_int_equal(a->messages, 5);
	assert_int_equal(a->consumers, 2);
	assert_int_equal(a->storage, JS_STORAGE_FILE); /* its own config stays */
	assert_true(c->has_state && c->has_config);
	assert_int_equal(c->storage, JS_STORAGE_MEMORY);
	assert_int_equal(c->max_bytes, 64);
	assert_string_equal(c->cluster, "C2"); /* lent with the state */
	assert_string_equal(a->cluster, "C1"); /* its own stays */
	js_snapshot_free(s);
	js_snapshot_free(prev);

	/* A single server reports a bare leader: not a cluster. */
	const char *single = "{\"total\":1,\"streams\":[{\"config\":{\"name\":\"S\"},"
			     "\"state\":{},\"cluster\":{\"leader\":\"NAR5\"}}]}";
	s = js_snapshot_new(NULL);
	assert_int_equal(js_parse_stream_page(single, strlen(single), s, &pg, &e), 0);
	assert_null(s->streams[0].cluster);
	assert_int_equal(s->streams[0].n_peers, 0);
	js_snapshot_free(s);
}

/* ---- judgements ---- */

static struct js_stream mk(int64_t age, int64_t bytes, int64_t msgs)
{
	struct js_stream s;
	memset(&s, 0, sizeof(s));
	s.retention = JS_RETENTION_LIMITS;
	s.max_age_ns = age;
	s.max_bytes = bytes;
	s.max_msgs = msgs;
	s.max_msgs_per_subject = -1;
	return s;
}

static void test_retention_judgement(void **unused)
{
	(void)unused;
	struct js_stream s = mk(0, -1, -1);
	assert_true(js_stream_unbounded(&s));
	assert_false(js_stream_time_bounded_only(&s));
	s.max_msgs_per_subject = 5; /* bounds subjects, not their number */
	assert_true(js_stream_unbounded(&s));
	s.sealed = true;
	assert_false(js_stream_unbounded(&s));
	s = mk(0, 0, 0); /* 0 is unlimited too */
	assert_true(js_stream_unbounded(&s));
	s.retention = JS_RETENTION_INTEREST;
	assert_false(js_stream_unbounded(&s));
	s = mk(0, 1000, -1);
	assert_false(js_stream_unbounded(&s));
	s = mk(0, -1, 10);
	assert_false(js_stream_unbounded(&s));
	s = mk(60000000000LL, -1, -1);
	assert_false(js_stream_unbounded(&s));
	assert_true(js_stream_time_bounded_only(&s));
	s.sealed = true;
	assert_false(js_stream_time_bounded_only(&s));
	s = mk(60000000000LL, 1000, -1);
	assert_false(js_stream_time_bounded_only(&s));
	s = mk(60000000000LL, -1, 5);
	assert_false(js_stream_time_bounded_only(&s));
}

/* ---- snapshot ---- */

static void add(struct js_snapshot *s, const char *name, enum js_storage st, int64_t max_bytes,
		int64_t replicas, uint64_t msgs)
{
	struct js_stream x = mk(0, max_bytes, -1);
	x.name = strdup(name);
	x.storage = st;
	x.replicas = replicas;
	x.messages = msgs;
	assert_int_equal(js_snapshot_add(s, &x), 0);
	assert_null(x.name);
}

static void test_snapshot_finish(void **unused)
{
	(void)unused;
	struct name_filter names;
	assert_int_equal(name_filter_init(&names, "^(orders|audit)", "--i", "tmp$", "--e", NULL),
			 0);

	struct js_filter f = {.names = &names, .max_streams = 3};
	struct js_snapshot *s = js_snapshot_new(&f);
	add(s, "orders-2", JS_STORAGE_FILE, 1000, 3, 1);
	add(s, "audit", JS_STORAGE_MEMORY, 500, 1, 1);
	add(s, "orders-1", JS_STORAGE_FILE, -1, 1, 1);
	add(s, "orders-2", JS_STORAGE_FILE, 1000, 3, 2); /* listed twice */
	add(s, "orders-tmp", JS_STORAGE_FILE, 10, 1, 1);
	add(s, "other", JS_STORAGE_FILE, 7, 1, 1);
	add(s, "orders-3", JS_STORAGE_MEMORY, 0, 1, 1);
	js_snapshot_finish(s);

	assert_int_equal(s->seen, 6);
	assert_int_equal(s->filtered, 2); /* orders-tmp, other */
	assert_int_equal(s->dropped, 1);  /* orders-3: past the cap in name order */
	assert_int_equal(s->n_streams, 3);
	assert_string_equal(s->streams[0].name, "audit");
	assert_string_equal(s->streams[1].name, "orders-1");
	assert_string_equal(s->streams[2].name, "orders-2");
	/* Reservations cover every listed stream, filtered or not. */
	assert_int_equal(s->account.reserved_storage, 3000 + 10 + 7);
	assert_int_equal(s->account.reserved_memory, 500);
	js_snapshot_free(s);

	/* A server that reports reservations is believed. */
	s = js_snapshot_new(NULL);
	s->account.has_reserved = true;
	s->account.reserved_storage = 42;
	add(s, "x", JS_STORAGE_FILE, 1000, 1, 0);
	js_snapshot_finish(s);
	assert_int_equal(s->account.reserved_storage, 42);
	assert_int_equal(s->n_streams, 1);
	js_snapshot_free(s);
	name_filter_fini(&names);
}

/* Memory follows the cap, not the server: 20,000 streams arriving in a
 * scrambled order through a cap of 100 are never more than 200 at a time,
 * and the 100 kept are the first names in byte order. */
static void test_snapshot_bounded_by_cap(void **unused)
{
	(void)unused;
	struct js_filter f = {.max_streams = 100};
	struct js_snapshot *s = js_snapshot_new(&f);
	size_t most = 0;
	for (unsigned i = 0; i < 20000; i++) {
		char name[16];
		snprintf(name, sizeof(name), "S%05u", (i * 7919u) % 20000u);
		add(s, name, JS_STORAGE_FILE, 10, 1, 1);
		if (s->cap_streams > most)
			most = s->cap_streams;
	}
	assert_true(most <= 200);
	js_snapshot_finish(s);
	assert_int_equal(s->n_streams, 100);
	assert_int_equal(s->dropped, 19900);
	assert_int_equal(s->seen, 20000);
	for (unsigned i = 0; i < 100; i++) {
		char want[16];
		snprintf(want, sizeof(want), "S%05u", i);
		assert_string_equal(s->streams[i].name, want);
	}
	/* Every listed stream reserves, dropped ones included. */
	assert_int_equal(s->account.reserved_storage, 20000 * 10);
	js_snapshot_free(s);
}

static void add_consumer(struct js_snapshot *s, uint32_t stream, const char *name, uint64_t pending)
{
	struct js_consumer c = {.name = strdup(name), .stream = stream, .num_pending = pending};
	assert_int_equal(js_snapshot_add_consumer(s, &c), 0);
	assert_null(c.name);
}

/* Consumers: the filter on names, the cap on the first in (stream, name)
 * order, duplicates, each stream's range, and memory that follows the cap
 * whatever arrives. */
static void test_snapshot_consumers(void **unused)
{
	(void)unused;
	struct name_filter cnames;
	assert_int_equal(name_filter_init(&cnames, NULL, NULL, "^tmp", "--e", NULL), 0);
	struct js_filter f = {.consumer_names = &cnames, .max_consumers = 3};
	struct js_snapshot *s = js_snapshot_new(&f);
	add(s, "B", JS_STORAGE_FILE, 0, 1, 1);
	add(s, "A", JS_STORAGE_FILE, 0, 1, 1);
	js_snapshot_finish_streams(s); /* A is 0, B is 1 */
	s->streams[0].consumers_complete = s->streams[1].consumers_complete = true;
	add_consumer(s, 1, "z", 0);
	add_consumer(s, 1, "y", 0);
	add_consumer(s, 0, "tmp-1", 0);
	add_consumer(s, 0, "b", 0);
	add_consumer(s, 0, "a", 0);
	add_consumer(s, 0, "b", 0); /* listed twice */
	js_snapshot_finish(s);
	assert_int_equal(s->n_consumers, 3);
	assert_string_equal(s->consumers[0].name, "a");
	assert_string_equal(s->consumers[1].name, "b");
	assert_string_equal(s->consumers[2].name, "y");
	assert_int_equal(s->consumers[2].stream, 1);
	assert_int_equal(s->consumers_filtered, 1);
	assert_int_equal(s->streams[0].consumers_filtered, 1);
	assert_int_equal(s->consumers_dropped, 1); /* B's z */
	assert_int_equal(s->consumers_seen, 5);
	assert_int_equal(s->streams[0].n_consumers, 2);
	assert_int_equal(s->streams[1].first_consumer, 2);
	assert_int_equal(s->streams[1].n_consumers, 1);
	assert_true(s->streams[0].consumers_complete);
	assert_false(s->streams[1].consumers_complete); /* the cap cut one */
	js_snapshot_free(s);
	name_filter_fini(&cnames);

	/* 20,000 consumers through a cap of 100: never more than 200 held. */
	f = (struct js_filter){.max_consumers = 100};
	s = js_snapshot_new(&f);
	add(s, "S", JS_STORAGE_FILE, 0, 1, 1);
	js_snapshot_finish_streams(s);
	size_t most = 0;
	for (unsigned i = 0; i < 20000; i++) {
		char name[16];
		snprintf(name, sizeof(name), "C%05u", (i * 7919u) % 20000u);
		add_consumer(s, 0, name, 0);
		if (s->cap_consumers > most)
			most = s->cap_consumers;
	}
	assert_true(most <= 200);
	js_snapshot_finish(s);
	assert_int_equal(s->n_consumers, 100);
	assert_int_equal(s->consumers_dropped, 19900);
	assert_string_equal(s->consumers[99].name, "C00099");
	js_snapshot_free(s);
}

/* What the poll before lends: consumers of a stream that did not change
 * and whose consumers were settled; not when the stream moved, a consumer
 * had something unacked, or the list was not complete. */
static void test_snapshot_reuse(void **unused)
{
	(void)unused;
	struct js_snapshot *prev = js_snapshot_new(NULL);
	add(prev, "IDLE", JS_STORAGE_FILE, 0, 1, 10);
	add(prev, "BUSY", JS_STORAGE_FILE, 0, 1, 10);
	add(prev, "CUT", JS_STORAGE_FILE, 0, 1, 10);
	js_snapshot_finish_streams(prev); /* BUSY 0, CUT 1, IDLE 2 */
	for (int i = 0; i < 3; i++) {
		prev->streams[i].has_state = true;
		prev->streams[i].consumers = 2;
		prev->streams[i].consumers_complete = i != 1;
	}
	prev->streams[2].consumers_filtered = 1;
	add_consumer(prev, 0, "b1", 0);
	add_consumer(prev, 0, "b2", 4);
	prev->consumers[1].num_ack_pending = 2; /* b2 is being worked on */
	add_consumer(prev, 1, "c1", 0);
	add_consumer(prev, 2, "i1", 0);
	js_snapshot_finish(prev);

	struct js_snapshot *s = js_snapshot_new(NULL);
	add(s, "BUSY", JS_STORAGE_FILE, 0, 1, 10);
	add(s, "CUT", JS_STORAGE_FILE, 0, 1, 10);
	add(s, "IDLE", JS_STORAGE_FILE, 0, 1, 10);
	add(s, "NEW", JS_STORAGE_FILE, 0, 1, 10);
	js_snapshot_finish_streams(s); /* BUSY, CUT, IDLE, NEW */
	for (int i = 0; i < 4; i++) {
		s->streams[i].has_state = true;
		s->streams[i].consumers = 2;
	}
	assert_false(js_snapshot_consumers_unchanged(s, 0, prev)); /* b2 unacked */
	assert_false(js_snapshot_consumers_unchanged(s, 1, prev)); /* not complete */
	assert_true(js_snapshot_consumers_unchanged(s, 2, prev));
	assert_false(js_snapshot_consumers_unchanged(s, 3, prev)); /* not in prev */
	s->streams[2].last_seq = 11;				   /* a message came */
	assert_false(js_snapshot_consumers_unchanged(s, 2, prev));
	s->streams[2].last_seq = 0;
	s->streams[2].consumers = 3; /* one more consumer */
	assert_false(js_snapshot_consumers_unchanged(s, 2, prev));
	s->streams[2].consumers = 2;
	assert_false(js_snapshot_consumers_unchanged(s, 2, NULL));

	/* Settled: nothing unacked, and nothing to deliver or nobody to
	 * deliver to. */
	struct js_consumer c = {.num_pending = 5};
	assert_true(js_consumer_settled(&c)); /* a backlog, nobody pulling */
	c.num_waiting = 1;
	assert_false(js_consumer_settled(&c)); /* a pull request waits: deliveries */
	c = (struct js_consumer){.num_pending = 5, .push = true, .push_bound = true};
	assert_false(js_consumer_settled(&c)); /* a push subscriber */
	c = (struct js_consumer){.num_waiting = 3};
	assert_true(js_consumer_settled(&c)); /* caught up: waiting changes nothing */
	c = (struct js_consumer){.num_ack_pending = 1};
	assert_false(js_consumer_settled(&c)); /* an ack or a redelivery can come */

	assert_int_equal(js_snapshot_reuse_consumers(s, 2, prev), 0);
	assert_int_equal(js_snapshot_reuse_consumers(s, 3, prev), -ENOENT);
	js_snapshot_finish(s);
	assert_int_equal(s->n_consumers, 1);
	assert_string_equal(s->consumers[0].name, "i1");
	assert_int_equal(s->consumers[0].stream, 2);
	assert_int_equal(s->consumers_filtered, 1); /* as the poll before counted */
	js_snapshot_free(s);
	js_snapshot_free(prev);
}

/* ---- one poll against a fake transport ---- */

struct fake {
	unsigned n_streams;	   /* the server's streams */
	unsigned page;		   /* its page size */
	int connect_rc;		   /* what connect returns */
	int user_info_rc;	   /* 0: answers with account "APP" */
	int fail_list_at;	   /* offset whose page fails with -ETIMEDOUT; -1 none */
	unsigned grow_after_first; /* streams created after page 1 (shifts names) */
	bool ignore_offset;	   /* always the first page (total never reached) */
	int list_rc;		   /* what every list request returns, when not 0 */
	/* consumers: every stream has n_consumers (C000, C001, ...), each
	 * with pending messages; a stream whose index is err_stream answers
	 * its consumer list with an API error; repeat_consumer_page: every
	 * consumer page is the first. */
	unsigned n_consumers, pending;
	int err_stream;
	bool repeat_consumer_page;
	unsigned last_seq_base; /* added to every stream's last_seq */
	unsigned
	    missing_nth; /* this stream (1: the first) listed in "missing", zeroed, no consumers */
	const char *api; /* the prefix subjects must have; NULL: "$JS.API" */
	unsigned requests, list_requests, user_info_requests, consumer_requests;
	unsigned batches; /* request_many calls */
	uint64_t generation;
};

static int f_connect(void *ctx, unsigned timeout_ms, struct errmsg *e)
{
	(void)timeout_ms;
	struct fake *f = ctx;
	if (f->connect_rc)
		errmsg_set(e, "fake connect failure");
	return f->connect_rc;
}

static uint64_t f_generation(void *ctx)
{
	return ((struct fake *)ctx)->generation;
}

static unsigned parse_offset(const char *data, size_t len)
{
	if (len == 0)
		return 0; /* an empty request is the first page */
	const char *p = memmem(data, len, "\"offset\":", 9);
	assert_non_null(p);
	return (unsigned)strtoul(p + 9, NULL, 10);
}

/* The API part of subject ("INFO", "STREAM.LIST", ...), checking the prefix. */
static const char *api_of(const struct fake *f, const char *subject)
{
	const char *api = f->api ? f->api : "$JS.API";
	size_t n = strlen(api);
	assert_memory_equal(subject, api, n);
	assert_int_equal(subject[n], '.');
	return subject + n + 1;
}

static int f_consumers(struct fake *f, const char *stream, const char *data, size_t len,
		       struct mbuf *reply)
{
	f->consumer_requests++;
	assert_int_equal(stream[0], 'S');
	int idx = atoi(stream + 1);
	if (idx == f->err_stream) {
		mbuf_addstr(reply, "{\"error\":{\"code\":404,\"err_code\":10059,"
				   "\"description\":\"stream not found\"}}");
		return 0;
	}
	unsigned off = f->repeat_consumer_page ? 0 : parse_offset(data, len);
	unsigned total = (unsigned)idx + 1 == f->missing_nth ? 0 : f->n_consumers;
	mbuf_printf(reply, "{\"total\":%u,\"offset\":%u,\"limit\":256,\"consumers\":[", total, off);
	for (unsigned i = off, n = 0; i < total && n < 256; i++, n++)
		mbuf_printf(
		    reply,
		    "%s{\"stream_name\":\"%s\",\"name\":\"C%03u\",\"config\":{"
		    "\"durable_name\":\"C%03u\",\"ack_policy\":\"explicit\","
		    "\"max_ack_pending\":1000},\"delivered\":{\"consumer_seq\":%u,"
		    "\"stream_seq\":%u},\"ack_floor\":{\"consumer_seq\":0,\"stream_seq\":0},"
		    "\"num_ack_pending\":0,\"num_redelivered\":0,\"num_waiting\":%u,"
		    "\"num_pending\":%u}",
		    n ? "," : "", stream, i, i, i, f->consumer_requests, i, f->pending);
	mbuf_addstr(reply, "]}");
	return mbuf_error(reply);
}

static int f_request(void *ctx, const char *subject, const char *data, size_t len,
		     unsigned timeout_ms, struct mbuf *reply, struct errmsg *e)
{
	struct fake *f = ctx;
	(void)timeout_ms;
	f->requests++;
	mbuf_reset(reply);
	if (!strcmp(subject, "$SYS.REQ.USER.INFO")) {
		f->user_info_requests++;
		if (f->user_info_rc)
			return f->user_info_rc;
		mbuf_addstr(reply, "{\"data\":{\"account\":\"APP\"}}");
		return 0;
	}
	const char *what = api_of(f, subject);
	if (!strcmp(what, "INFO")) {
		mbuf_printf(reply,
			    "{\"memory\":0,\"storage\":%u,\"streams\":%u,\"consumers\":0,"
			    "\"limits\":{},\"api\":{\"total\":9,\"errors\":1}}",
			    f->n_streams * 10, f->n_streams);
		return 0;
	}
	if (!strncmp(what, "CONSUMER.LIST.", 14))
		return f_consumers(f, what + 14, data, len, reply);
	assert_string_equal(what, "STREAM.LIST");
	unsigned off = f->ignore_offset ? 0 : parse_offset(data, len);
	if (f->list_rc) {
		f->list_requests++;
		errmsg_set(e, "fake: %d", f->list_rc);
		return f->list_rc;
	}
	if ((int)off == f->fail_list_at) {
		errmsg_set(e, "fake timeout");
		return -ETIMEDOUT;
	}
	if (f->list_requests++ == 1)
		f->n_streams += f->grow_after_first;
	unsigned total = f->n_streams;
	mbuf_printf(reply, "{\"total\":%u,\"offset\":%u,\"limit\":%u,\"streams\":[", total, off,
		    f->page);
	/* Streams created after page 1 sort first ("A..."), shifting the
	 * later pages by that many: the first page's tail is listed again. */
	for (unsigned i = off, n = 0; i < total && n < f->page; i++, n++) {
		char name[32];
		unsigned grown = total - (f->n_streams - f->grow_after_first);
		if (f->list_requests > 1 && i < grown)
			snprintf(name, sizeof(name), "A%05u", i);
		else
			snprintf(name, sizeof(name), "S%05u", f->list_requests > 1 ? i - grown : i);
		bool gone = i + 1 == f->missing_nth;
		mbuf_printf(reply,
			    "%s{\"config\":{\"name\":\"%s\",\"retention\":\"limits\","
			    "\"storage\":\"file\",\"max_bytes\":100,\"num_replicas\":1},"
			    "\"state\":{\"messages\":%u,\"bytes\":10,\"last_seq\":%u,"
			    "\"consumer_count\":%u}}",
			    n ? "," : "", name, gone ? 0 : i, gone ? 0 : f->last_seq_base + i,
			    gone ? 0 : f->n_consumers);
	}
	mbuf_addstr(reply, "]");
	if (f->missing_nth)
		mbuf_printf(reply, ",\"missing\":[\"S%05u\"]", f->missing_nth - 1);
	mbuf_addstr(reply, "}");
	return mbuf_error(reply);
}

/* A batch answered last request first, as a server may. */
static int f_request_many(void *ctx, const struct js_request *reqs, size_t n, unsigned timeout_ms,
			  struct mbuf *reply, js_reply_fn on_reply, void *arg, struct errmsg *e)
{
	struct fake *f = ctx;
	f->batches++;
	assert_true(n > 0 && n <= JS_BATCH_MAX);
	for (size_t k = n; k-- > 0;) {
		int rc = f_request(ctx, reqs[k].subject, reqs[k].data, reqs[k].len, timeout_ms,
				   reply, e);
		if (rc == 0 || rc == -ENOENT || rc == -EFBIG)
			rc = on_reply(arg, k, rc, reply, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static const struct js_transport_ops fake_ops = {
    .connect = f_connect, .generation = f_generation, .request = f_request};
static const struct js_transport_ops fake_batch_ops = {.connect = f_connect,
						       .generation = f_generation,
						       .request = f_request,
						       .request_many = f_request_many};

static void poll_with(struct fake *f, const struct js_filter *filt, int want_rc,
		      struct js_snapshot **out)
{
	struct js_transport t = {.ops = &fake_ops, .ctx = f};
	struct mbuf reply;
	mbuf_init(&reply, 1 << 24);
	struct js_poll_state ps = {.generation = UINT64_MAX, .reply = &reply};
	struct errmsg e = {{0}};
	int rc = js_poll_once(&t, &ps, filt, NULL, 5000, out, &e);
	if (rc != want_rc)
		print_error("poll: %d (%s)\n", rc, e.msg);
	assert_int_equal(rc, want_rc);
	mbuf_free(&reply);
}

static void test_poll_paging(void **unused)
{
	(void)unused;
	struct fake f = {.n_streams = 600, .page = 256, .fail_list_at = -1};
	struct js_snapshot *s = NULL;
	poll_with(&f, NULL, 0, &s);
	assert_int_equal(f.list_requests, 3);
	assert_int_equal(s->n_streams, 600);
	assert_int_equal(s->seen, 600);
	assert_string_equal(s->account.name, "APP");
	assert_int_equal(s->account.streams, 600);
	assert_int_equal(s->account.api_total, 9);
	assert_int_equal(s->account.reserved_storage, 600 * 100);
	assert_string_equal(s->streams[0].name, "S00000");
	assert_string_equal(s->streams[599].name, "S00599");
	assert_int_equal(s->streams[599].messages, 599);
	js_snapshot_free(s);

	/* Exactly one page, and zero streams (cnats's js_Streams says
	 * NATS_NOT_FOUND there; an empty list is a good poll). */
	f = (struct fake){.n_streams = 256, .page = 256, .fail_list_at = -1};
	poll_with(&f, NULL, 0, &s);
	assert_int_equal(f.list_requests, 1);
	assert_int_equal(s->n_streams, 256);
	js_snapshot_free(s);
	f = (struct fake){.n_streams = 0, .page = 256, .fail_list_at = -1};
	poll_with(&f, NULL, 0, &s);
	assert_int_equal(f.list_requests, 1);
	assert_int_equal(s->n_streams, 0);
	js_snapshot_free(s);
}

static void test_poll_streams_change_while_paging(void **unused)
{
	(void)unused;
	/* 10 streams appear after the first page: offsets shift and page 2
	 * repeats the first page's last 10; the snapshot keeps each once. */
	struct fake f = {.n_streams = 300, .page = 256, .fail_list_at = -1, .grow_after_first = 10};
	struct js_snapshot *s = NULL;
	poll_with(&f, NULL, 0, &s);
	assert_int_equal(s->seen, s->n_streams);
	for (size_t i = 1; i < s->n_streams; i++)
		assert_true(strcmp(s->streams[i - 1].name, s->streams[i].name) < 0);
	/* Every original stream is there. */
	unsigned originals = 0;
	for (size_t i = 0; i < s->n_streams; i++)
		originals += s->streams[i].name[0] == 'S';
	assert_int_equal(originals, 300);
	js_snapshot_free(s);
}

static void test_poll_failures(void **unused)
{
	(void)unused;
	struct js_snapshot *s = NULL;
	struct fake f = {.n_streams = 600, .page = 256, .fail_list_at = 256};
	poll_with(&f, NULL, -ETIMEDOUT, &s);
	assert_null(s);

	f = (struct fake){.n_streams = 10, .page = 256, .fail_list_at = -1, .connect_rc = -EACCES};
	poll_with(&f, NULL, -EACCES, &s);
	assert_null(s);
	assert_int_equal(f.requests, 0);

	/* A pre-2.10 server has no user info responder: the poll goes on
	 * with no account name. */
	f = (struct fake){.n_streams = 3, .page = 256, .fail_list_at = -1, .user_info_rc = -ENOENT};
	poll_with(&f, NULL, 0, &s);
	assert_string_equal(s->account.name, "");
	assert_int_equal(s->n_streams, 3);
	js_snapshot_free(s);
}

/* The limits a hostile server meets: the same page again (the offset
 * ignored) stops at the second request; a list that never ends stops at
 * JS_MAX_PAGES requests; a reply over the cap. Each says which limit. */
static void test_poll_limits(void **unused)
{
	(void)unused;
	struct js_transport t = {.ops = &fake_ops};
	struct mbuf reply;
	mbuf_init(&reply, JS_REPLY_MAX);
	struct js_poll_state ps = {.generation = UINT64_MAX, .reply = &reply};
	struct js_snapshot *s = NULL;
	struct errmsg e = {{0}};

	struct fake f = {
	    .n_streams = 1000000, .page = 256, .fail_list_at = -1, .ignore_offset = true};
	t.ctx = &f;
	assert_int_equal(js_poll_once(&t, &ps, NULL, NULL, 5000, &s, &e), -ELOOP);
	assert_null(s);
	assert_int_equal(ps.limit, JS_LIMIT_REPEATED_PAGE);
	assert_string_equal(js_limit_name(ps.limit), "repeated_page");
	assert_int_equal(f.list_requests, 2);
	assert_non_null(strstr(e.msg, "repeats an earlier one"));

	/* A million streams at 256 a page: more than JS_MAX_PAGES. */
	f = (struct fake){.n_streams = 1000000, .page = 256, .fail_list_at = -1};
	struct js_filter cap = {.max_streams = 10};
	assert_int_equal(js_poll_once(&t, &ps, &cap, NULL, 60000, &s, &e), -EFBIG);
	assert_null(s);
	assert_int_equal(ps.limit, JS_LIMIT_PAGES);
	assert_string_equal(js_limit_name(ps.limit), "pages");
	assert_int_equal(f.list_requests, JS_MAX_PAGES);

	f = (struct fake){.n_streams = 10, .page = 256, .fail_list_at = -1, .list_rc = -EFBIG};
	assert_int_equal(js_poll_once(&t, &ps, NULL, NULL, 5000, &s, &e), -EFBIG);
	assert_int_equal(ps.limit, JS_LIMIT_REPLY_BYTES);
	assert_string_equal(js_limit_name(ps.limit), "reply_bytes");

	/* A good poll after them clears the limit. */
	f = (struct fake){.n_streams = 10, .page = 256, .fail_list_at = -1};
	assert_int_equal(js_poll_once(&t, &ps, NULL, NULL, 5000, &s, &e), 0);
	assert_int_equal(ps.limit, JS_LIMIT_NONE);
	assert_int_equal(s->n_streams, 10);
	js_snapshot_free(s);
	mbuf_free(&reply);
}

static void test_poll_filters_and_cap(void **unused)
{
	(void)unused;
	struct name_filter names;
	assert_int_equal(name_filter_init(&names, NULL, NULL, "7$", "--e", NULL), 0);
	struct js_filter filt = {.names = &names, .max_streams = 100};
	struct fake f = {.n_streams = 1000, .page = 256, .fail_list_at = -1};
	struct js_snapshot *s = NULL;
	poll_with(&f, &filt, 0, &s);
	assert_int_equal(s->seen, 1000);
	assert_int_equal(s->filtered, 100);
	assert_int_equal(s->n_streams, 100);
	assert_int_equal(s->dropped, 800);
	assert_int_equal(s->account.streams, 1000);
	js_snapshot_free(s);
	name_filter_fini(&names);
}

/* Polls f again and again with one poll state, each poll lending to the
 * next, as the poller does. */
struct poller_sim {
	struct js_transport t;
	struct mbuf reply;
	struct js_poll_state ps;
	struct js_snapshot *prev;
};

static void sim_init(struct poller_sim *p, struct fake *f, const struct js_transport_ops *ops)
{
	memset(p, 0, sizeof(*p));
	p->t = (struct js_transport){.ops = ops, .ctx = f};
	mbuf_init(&p->reply, JS_REPLY_MAX);
	p->ps = (struct js_poll_state){.generation = UINT64_MAX, .reply = &p->reply};
}

static const struct js_snapshot *sim_poll(struct poller_sim *p, const struct js_filter *filt,
					  int want_rc)
{
	struct js_snapshot *s = NULL;
	struct errmsg e = {{0}};
	int rc = js_poll_once(&p->t, &p->ps, filt, p->prev, 60000, &s, &e);
	if (rc != want_rc)
		print_error("poll: %d (%s)\n", rc, e.msg);
	assert_int_equal(rc, want_rc);
	if (rc == 0) {
		js_snapshot_free(p->prev);
		p->prev = s;
	}
	return p->prev;
}

static void sim_fini(struct poller_sim *p)
{
	js_snapshot_free(p->prev);
	mbuf_free(&p->reply);
}

/* Consumers of 40 streams, 600 each (three pages), through the batch and
 * the one-by-one transports: the same snapshot, every consumer once, and
 * the batch in windows of at most JS_BATCH_MAX. */
static void test_poll_consumers(void **unused)
{
	(void)unused;
	const struct js_transport_ops *ops[] = {&fake_ops, &fake_batch_ops};
	struct js_filter filt = {.max_streams = 0, .max_consumers = 0};
	for (int k = 0; k < 2; k++) {
		struct fake f = {.n_streams = 40,
				 .page = 256,
				 .fail_list_at = -1,
				 .err_stream = -1,
				 .n_consumers = 600,
				 .pending = 1};
		struct poller_sim p;
		sim_init(&p, &f, ops[k]);
		const struct js_snapshot *s = sim_poll(&p, &filt, 0);
		assert_int_equal(s->n_consumers, 40 * 600);
		assert_int_equal(s->consumers_seen, 40 * 600);
		assert_int_equal(f.consumer_requests, 40 * 3);
		assert_int_equal(s->consumer_lists_asked, 40);
		assert_int_equal(s->requests, 2 + 40 * 3); /* INFO, 1 stream page */
		const struct js_stream *st = &s->streams[39];
		assert_int_equal(st->n_consumers, 600);
		assert_true(st->consumers_complete);
		const struct js_consumer *c = &s->consumers[st->first_consumer + 599];
		assert_string_equal(c->name, "C599");
		assert_int_equal(c->num_pending, 1);
		assert_int_equal(c->num_waiting, 599);
		/* Windows hold about 1 MiB of expected replies: 4 streams of
		 * 256 consumers; far fewer round trips than requests. */
		if (k == 1)
			assert_true(f.batches * 4 < f.consumer_requests);
		sim_fini(&p);
	}
}

/* A settled stream's consumers come from the poll before, except on its
 * turn (every JS_CONSUMER_REFRESH_POLLS-th poll); streams whose consumers
 * can deliver are asked every poll. */
static void test_poll_consumers_reuse(void **unused)
{
	(void)unused;
	struct fake f = {
	    .n_streams = 100, .page = 256, .fail_list_at = -1, .err_stream = -1, .n_consumers = 2};
	struct poller_sim p;
	sim_init(&p, &f, &fake_batch_ops);
	struct js_filter filt = {0};
	const struct js_snapshot *s = sim_poll(&p, &filt, 0);
	assert_int_equal(s->consumer_lists_asked, 100);
	assert_int_equal(f.batches, 2); /* 64, then 36 */
	unsigned asked = 0;
	for (int i = 0; i < JS_CONSUMER_REFRESH_POLLS; i++) {
		f.consumer_requests = 0;
		s = sim_poll(&p, &filt, 0);
		asked += f.consumer_requests;
		assert_int_equal(s->consumer_lists_asked + s->consumer_lists_reused, 100);
		assert_int_equal(s->n_consumers, 200); /* the same, asked or not */
		assert_true(s->consumer_lists_asked < 60);
	}
	assert_int_equal(asked, 100); /* each stream once in REFRESH polls */
	/* Reused consumers keep the values they were asked with. */
	const struct js_stream *st = &s->streams[7];
	assert_int_equal(s->consumers[st->first_consumer + 1].num_waiting, 1);

	/* Messages arrive (the streams' last_seq moves): every stream is
	 * asked; each has a consumer (C001) with a pull request waiting and
	 * now something to deliver to it, so they are asked at the next poll
	 * too, the streams unchanged. */
	f.pending = 3;
	f.last_seq_base = 1000;
	f.consumer_requests = 0;
	sim_poll(&p, &filt, 0);
	assert_int_equal(f.consumer_requests, 100);
	f.consumer_requests = 0;
	s = sim_poll(&p, &filt, 0);
	assert_int_equal(f.consumer_requests, 100);
	assert_int_equal(s->consumer_lists_reused, 0);
	sim_fini(&p);
}

/* A stream whose leader stops answering: the list names it missing with a
 * zeroed state; the poll before lends its state and its consumers, and it
 * is counted, not dropped. */
static void test_poll_missing_stream(void **unused)
{
	(void)unused;
	struct fake f = {.n_streams = 5,
			 .page = 256,
			 .fail_list_at = -1,
			 .err_stream = -1,
			 .n_consumers = 2,
			 .pending = 1};
	struct poller_sim p;
	sim_init(&p, &f, &fake_batch_ops);
	struct js_filter filt = {0};
	const struct js_snapshot *s = sim_poll(&p, &filt, 0);
	assert_int_equal(s->n_consumers, 10);
	f.missing_nth = 4; /* S00003 */
	s = sim_poll(&p, &filt, 0);
	assert_int_equal(s->missing, 1);
	assert_int_equal(s->seen, 5);
	const struct js_stream *st = &s->streams[3];
	assert_true(st->missing && st->has_state);
	assert_int_equal(st->messages, 3); /* the poll before's, not the zeroes */
	assert_int_equal(st->consumers, 2);
	assert_int_equal(st->n_consumers, 2); /* its consumers as they were */
	assert_false(st->consumers_complete);
	assert_int_equal(s->n_consumers, 10);
	assert_int_equal(s->consumers_missing, 0);
	assert_int_equal(s->consumer_lists_reused, 1);
	/* Back: asked again (not complete before), fresh. */
	f.missing_nth = 0;
	f.consumer_requests = 0;
	s = sim_poll(&p, &filt, 0);
	assert_int_equal(s->missing, 0);
	assert_int_equal(f.consumer_requests, 5);
	sim_fini(&p);

	/* Missing in the first poll: no state to lend; its consumers missing. */
	f = (struct fake){.n_streams = 5,
			  .page = 256,
			  .fail_list_at = -1,
			  .err_stream = -1,
			  .n_consumers = 2,
			  .missing_nth = 1};
	sim_init(&p, &f, &fake_batch_ops);
	s = sim_poll(&p, &filt, 0);
	assert_false(s->streams[0].has_state);
	assert_int_equal(s->n_consumers, 8);
	sim_fini(&p);
}

/* The cap: streams past it are not asked, their consumers counted dropped
 * from the stream list's counts; the consumer filter counts per stream; a
 * stream whose list fails is counted missing without failing the poll. */
static void test_poll_consumers_cap_and_errors(void **unused)
{
	(void)unused;
	struct name_filter cnames;
	assert_int_equal(name_filter_init(&cnames, NULL, NULL, "1$", "--e", NULL), 0);
	struct fake f = {.n_streams = 1000,
			 .page = 256,
			 .fail_list_at = -1,
			 .err_stream = 3,
			 .n_consumers = 10,
			 .pending = 1};
	struct poller_sim p;
	sim_init(&p, &f, &fake_batch_ops);
	struct js_filter filt = {.consumer_names = &cnames, .max_consumers = 90};
	const struct js_snapshot *s = sim_poll(&p, &filt, 0);
	assert_int_equal(s->n_consumers, 90);	    /* 9 a stream pass the filter */
	assert_int_equal(s->consumers_missing, 10); /* S00003's list failed */
	assert_false(s->streams[3].consumers_complete);
	assert_int_equal(s->consumers_seen, 1000 * 10);
	assert_int_equal(s->n_consumers + s->consumers_filtered + s->consumers_dropped +
			     s->consumers_missing,
			 s->consumers_seen);
	/* Only the streams up to the cap were asked: 9 whose 10 consumers
	 * each could reach it, then the 2 more that the filter and S00003's
	 * failure made necessary. */
	assert_int_equal(f.consumer_requests, 11);
	assert_string_equal(s->consumers[89].name, "C009");
	assert_int_equal(s->consumers[89].stream, 10);
	sim_fini(&p);
	name_filter_fini(&cnames);
}

/* A server that ignores the consumer list's offset: the poll stops at the
 * second page of the stream, as a repeated page. A stream whose name
 * cannot be a subject token is not asked. The API prefix (a domain) is
 * used for every request. */
static void test_poll_consumers_limits(void **unused)
{
	(void)unused;
	struct fake f = {.n_streams = 2,
			 .page = 256,
			 .fail_list_at = -1,
			 .err_stream = -1,
			 .n_consumers = 600,
			 .repeat_consumer_page = true,
			 .api = "$JS.leaf.API"};
	struct poller_sim p;
	sim_init(&p, &f, &fake_batch_ops);
	p.ps.api_prefix = "$JS.leaf.API";
	struct js_filter filt = {0};
	sim_poll(&p, &filt, -ELOOP);
	assert_int_equal(p.ps.limit, JS_LIMIT_REPEATED_PAGE);
	sim_fini(&p);

	assert_true(js_subject_token_ok("ORDERS_eu-1"));
	assert_false(js_subject_token_ok("a.b"));
	assert_false(js_subject_token_ok("a b"));
	assert_false(js_subject_token_ok("a\r\nPUB x 1"));
	assert_false(js_subject_token_ok("*"));
	assert_false(js_subject_token_ok(">"));
	assert_false(js_subject_token_ok(""));
}

/* ---- nkey ---- */

static void test_nkey(void **unused)
{
	(void)unused;
	/* The seed/public pair of the NATS documentation's nkey example. */
	const char *text =
	    "# user seed\n\nSUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY\n";
	char pub[NKEY_PUBLIC_LEN + 1];
	assert_int_equal(nkey_public_from_seed_text(text, strlen(text), pub), 0);
	assert_string_equal(pub, "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4");

	/* One character changed: the checksum fails. */
	const char *bad = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VA";
	assert_int_equal(nkey_public_from_seed_text(bad, strlen(bad), pub), -EINVAL);
	/* An account seed (SA...) is not a user seed. */
	uint8_t seed[32];
	assert_int_equal(nkey_decode_user_seed("SAAB", 4, seed), -EINVAL);
	assert_int_equal(nkey_public_from_seed_text("", 0, pub), -EINVAL);

	/* Encoding the decoded seed gives it back. */
	const char *enc = "SUACSSL3UAHUDXKFSNVUZRF5UHPMWZ6BFDTJ7M6USDXIEDNPPQYYYCU3VY";
	char back[NKEY_SEED_LEN + 1];
	assert_int_equal(nkey_decode_user_seed(enc, strlen(enc), seed), 0);
	nkey_encode_seed(NKEY_PREFIX_USER, seed, back);
	assert_string_equal(back, enc);
	nkey_encode_seed(NKEY_PREFIX_ACCOUNT, seed, back);
	assert_int_equal(back[0], 'S');
	assert_int_equal(back[1], 'A');
	assert_int_equal(nkey_decode_user_seed(back, strlen(back), seed), -EINVAL);
}

static void test_creds_account(void **unused)
{
	(void)unused;
	/* Payload: {"iss":"AISSUER","nats":{"type":"user"}} and, second,
	 * {"iss":"ASIGNINGKEY","nats":{"issuer_account":"AACCOUNT"}}, base64url. */
	const char *creds =
	    "-----BEGIN NATS USER JWT-----\n"
	    "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ."
	    "eyJpc3MiOiJBSVNTVUVSIiwibmF0cyI6eyJ0eXBlIjoidXNlciJ9fQ.c2ln\n"
	    "------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\nSU...\n";
	const char *signing = "-----BEGIN NATS USER JWT-----\r\n"
			      "eyJ0eXAiOiJKV1QifQ."
			      "eyJpc3MiOiJBU0lHTklOR0tFWSIsIm5hdHMiOnsiaXNzdWVyX2FjY291bnQiOiJBQUND"
			      "T1VOVCJ9fQ.c2ln\r\n";
	char name[64];
	assert_int_equal(js_parse_creds_account(creds, strlen(creds), name, sizeof(name)), 0);
	assert_string_equal(name, "AISSUER");
	assert_int_equal(js_parse_creds_account(signing, strlen(signing), name, sizeof(name)), 0);
	assert_string_equal(name, "AACCOUNT");
	const char *none = "no jwt here";
	assert_int_equal(js_parse_creds_account(none, strlen(none), name, sizeof(name)), -EINVAL);
	const char *bad = "-----BEGIN NATS USER JWT-----\nabc.%%%.def\n";
	assert_int_equal(js_parse_creds_account(bad, strlen(bad), name, sizeof(name)), -EINVAL);
}

/* ---- set-up from flags, and the collector over main's poller ---- */

static void base_config(struct config *cfg)
{
	char *argv[] = {"test", NULL};
	struct errmsg e;
	assert_int_equal(flags_parse(cfg, 1, argv, &e), 0);
}

static char *render(struct registry *reg)
{
	struct mbuf out;
	mbuf_init(&out, 1 << 24);
	assert_int_equal(registry_write(reg, &out, EXPFMT_TEXT_004), 0);
	size_t n;
	char *s = mbuf_detach(&out, &n);
	assert_non_null(s);
	return s;
}

static void test_collector_not_configured(void **unused)
{
	(void)unused;
	struct config cfg;
	base_config(&cfg);
	struct js_poller *p = (void *)1;
	struct errmsg e = {{0}};
	assert_int_equal(jetstream_setup(&cfg, NULL, &p, &e), 0);
	assert_null(p); /* no --nats.url: no poller */
	void *state = (void *)1;
	assert_int_equal(collector_jetstream.init(&(struct collector_env){.cfg = &cfg}, &state, &e),
			 0);
	assert_null(state);
	struct registry *reg = registry_new(1 << 20);
	assert_int_equal(collector_jetstream.collect(NULL, NULL, reg, &e), 0);
	char *s = render(reg);
	assert_string_equal(s, "");
	free(s);
	registry_free(reg);
}

static void expect_setup_error(struct config *cfg, int want_rc, const char *want_flag)
{
	struct js_poller *p = (void *)1;
	struct errmsg e = {{0}};
	assert_int_equal(jetstream_setup(cfg, NULL, &p, &e), want_rc);
	assert_null(p);
	if (!strstr(e.msg, want_flag))
		print_error("want %s in \"%s\"\n", want_flag, e.msg);
	assert_non_null(strstr(e.msg, want_flag));
}

static void test_setup_bad_flags(void **unused)
{
	(void)unused;
	struct config cfg;
	base_config(&cfg);
	cfg.nats_urls = "nats://127.0.0.1:1";
	cfg.nats_stream_include = "([unclosed";
	expect_setup_error(&cfg, -EINVAL, "--nats.stream-include");

	base_config(&cfg);
	cfg.nats_urls = "nats://127.0.0.1:1";
	cfg.nats_password_file = "/nonexistent/memacct-test-password";
	expect_setup_error(&cfg, -ENOENT, "--nats.password-file");

	/* Secret files: missing, a FIFO (never opened blocking), empty (a
	 * trailing newline is not a token), a NUL byte, too large. */
	char dir[] = "/tmp/memacct-test-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[64];
	base_config(&cfg);
	cfg.nats_urls = "nats://127.0.0.1:1";
	cfg.nats_token_file = "/nonexistent/memacct-test-token";
	expect_setup_error(&cfg, -ENOENT,
			   "--nats.token-file: cannot read /nonexistent/memacct-test-token");
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	cfg.nats_token_file = path;
	expect_setup_error(&cfg, -EBADFD, "is not a regular file");
	unlink(path);
	static const struct {
		const char *text;
		size_t len;
		const char *want;
	} bad[] = {
	    {"\n", 1, "is empty"},
	    {"tok\0en\n", 7, "holds a NUL byte"},
	};
	snprintf(path, sizeof(path), "%s/token", dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(bad[i].text, 1, bad[i].len, f), bad[i].len);
		fclose(f);
		cfg.nats_token_file = path;
		expect_setup_error(&cfg, -EINVAL, bad[i].want);
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 4097; i++)
		fputc('t', f);
	fclose(f);
	expect_setup_error(&cfg, -EFBIG, "is larger than 4096 bytes");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("good-token\n", f);
	fclose(f);
	struct js_poller *p = NULL;
	struct errmsg e = {{0}};
	assert_int_equal(jetstream_setup(&cfg, NULL, &p, &e), 0);
	assert_non_null(p);
	js_poller_free(p); /* never started: frees what it owns */
	unlink(path);
	rmdir(dir);

	base_config(&cfg);
	cfg.nats_urls = " , ";
	expect_setup_error(&cfg, -EINVAL, "--nats.url");

	base_config(&cfg);
	cfg.nats_urls = "nats://127.0.0.1:1";
	cfg.nats_user = "u"; /* no password */
	expect_setup_error(&cfg, -EINVAL, "--nats.user");
}

/* The consumer and replica series of a snapshot, exactly. */
static void test_collect_consumers_and_replicas(void **unused)
{
	(void)unused;
	struct js_snapshot *s = js_snapshot_new(NULL);
	struct errmsg e = {{0}};
	struct js_page pg;
	memcpy(s->account.name, "APP", 4);
	assert_int_equal(js_parse_stream_page(cluster_page_29, strlen(cluster_page_29), s, &pg, &e),
			 0);
	js_snapshot_finish_streams(s); /* R1A, R3A, R9 */
	assert_int_equal(
	    js_parse_consumer_page(consumer_page_29, strlen(consumer_page_29), s, 1, &pg, &e), 0);
	js_snapshot_finish(s);

	struct registry *reg = registry_new(1 << 20);
	double now = 1796137169.679065234 + 12.5; /* 12.5 s after pull's last delivery */
	jetstream_collect_replicas(reg, s);
	jetstream_collect_consumers(reg, s, now);
	char *out = render(reg);
	static const char *const want[] = {
	    "memacct_jetstream_stream_missing{stream=\"R1A\",account=\"APP\"} 1\n",
	    "memacct_jetstream_stream_missing{stream=\"R3A\",account=\"APP\"} 0\n",
	    "memacct_jetstream_stream_missing{stream=\"R9\",account=\"APP\"} 1\n",
	    "memacct_jetstream_stream_replica_leader{stream=\"R3A\",account=\"APP\",server=\"n3\"} "
	    "1\n",
	    "memacct_jetstream_stream_replica_leader{stream=\"R3A\",account=\"APP\",server=\"n1\"} "
	    "0\n",
	    "memacct_jetstream_stream_replica_current{stream=\"R3A\",account=\"APP\",server=\"n2\"}"
	    " "
	    "0\n",
	    "memacct_jetstream_stream_replica_offline{stream=\"R3A\",account=\"APP\",server=\"n2\"}"
	    " "
	    "1\n",
	    "memacct_jetstream_stream_replica_offline{stream=\"R1A\",account=\"APP\",server=\"n2\"}"
	    " "
	    "1\n",
	    "memacct_jetstream_stream_replica_lag{stream=\"R3A\",account=\"APP\",server=\"n2\"} "
	    "3\n",
	    "memacct_jetstream_consumer_pending_messages{stream=\"R3A\",consumer=\"pull\","
	    "account=\"APP\"} 7\n",
	    "memacct_jetstream_consumer_ack_pending_messages{stream=\"R3A\",consumer=\"pull\","
	    "account=\"APP\"} 3\n",
	    "memacct_jetstream_consumer_redelivered_messages{stream=\"R3A\",consumer=\"pull\","
	    "account=\"APP\"} 2\n",
	    "memacct_jetstream_consumer_waiting_requests{stream=\"R3A\",consumer=\"pull\","
	    "account=\"APP\"} 1\n",
	    "memacct_jetstream_consumer_delivered_stream_seq{stream=\"R3A\",consumer=\"pull\","
	    "account=\"APP\"} 3\n",
	    "memacct_jetstream_consumer_ack_floor_stream_seq{stream=\"R3A\",consumer=\"pull\","
	    "account=\"APP\"} 1\n",
	    "memacct_jetstream_consumer_last_delivery_age_seconds{stream=\"R3A\",consumer=\"pull\","
	    "account=\"APP\"} 12.5",
	    "memacct_jetstream_consumer_max_ack_pending{stream=\"R3A\",consumer=\"pull\","
	    "account=\"APP\"} 3\n",
	    "memacct_jetstream_consumer_max_ack_pending{stream=\"R3A\",consumer=\"push\","
	    "account=\"APP\"} -1\n",
	    "memacct_jetstream_consumer_info{stream=\"R3A\",consumer=\"pull\",account=\"APP\","
	    "kind=\"pull\",durable=\"true\",ack_policy=\"explicit\"} 1\n",
	    "memacct_jetstream_consumer_info{stream=\"R3A\",consumer=\"push\",account=\"APP\","
	    "kind=\"push\",durable=\"true\",ack_policy=\"none\"} 1\n",
	    "memacct_jetstream_consumer_info{stream=\"R3A\",consumer=\"Xy7eph\",account=\"APP\","
	    "kind=\"pull\",durable=\"false\",ack_policy=\"all\"} 1\n",
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(out, want[i]))
			print_error("missing: %s\nin:\n%s\n", want[i], out);
		assert_non_null(strstr(out, want[i]));
	}
	/* No last ack where the server reports none; no series for "gone". */
	assert_null(strstr(out, "last_ack_age_seconds{stream=\"R3A\",consumer=\"push\""));
	assert_null(strstr(out, "consumer=\"gone\""));
	free(out);
	registry_free(reg);
	js_snapshot_free(s);
}

/* --nats.domain and --nats.api-prefix: exclusive, checked; the consumer
 * filter's regexes too. */
static void test_setup_api_flags(void **unused)
{
	(void)unused;
	struct config cfg;
	base_config(&cfg);
	cfg.nats_urls = "nats://127.0.0.1:1";
	cfg.nats_domain = "leaf";
	cfg.nats_api_prefix = "$JS.leaf.API";
	expect_setup_error(&cfg, -EINVAL, "--nats.domain and --nats.api-prefix");
	static const char *const bad_domains[] = {"a.b", "a b", "*", ""};
	for (size_t i = 0; i < sizeof(bad_domains) / sizeof(bad_domains[0]); i++) {
		base_config(&cfg);
		cfg.nats_urls = "nats://127.0.0.1:1";
		cfg.nats_domain = bad_domains[i];
		expect_setup_error(&cfg, -EINVAL, "--nats.domain");
	}
	static const char *const bad_prefixes[] = {"$JS..API", "$JS.*.API", ".", "a b", ""};
	for (size_t i = 0; i < sizeof(bad_prefixes) / sizeof(bad_prefixes[0]); i++) {
		base_config(&cfg);
		cfg.nats_urls = "nats://127.0.0.1:1";
		cfg.nats_api_prefix = bad_prefixes[i];
		expect_setup_error(&cfg, -EINVAL, "--nats.api-prefix");
	}
	base_config(&cfg);
	cfg.nats_urls = "nats://127.0.0.1:1";
	cfg.nats_consumer_exclude = "(";
	expect_setup_error(&cfg, -EINVAL, "--nats.consumer-exclude");
	cfg.nats_consumer_exclude = NULL;
	cfg.nats_api_prefix = "JS.acc.API."; /* a trailing dot is dropped */
	struct js_poller *p = NULL;
	struct errmsg e = {{0}};
	assert_int_equal(jetstream_setup(&cfg, NULL, &p, &e), 0);
	js_poller_free(p);
}

/* A server that is not there: the first poll fails quickly, up is 0, the
 * error counter counts it, no stream or account series exist, and collect
 * itself succeeds (a dead NATS never fails the scrape). */
static void test_collector_refused(void **unused)
{
	(void)unused;
	struct config cfg;
	base_config(&cfg);
	cfg.nats_urls = "nats://127.0.0.1:1";
	cfg.nats_poll_interval_s = 1;
	struct js_poller *poller = NULL;
	struct errmsg e = {{0}};
	assert_int_equal(jetstream_setup(&cfg, NULL, &poller, &e), 0);
	assert_non_null(poller);
	void *state = NULL;
	assert_int_equal(collector_jetstream.init(
			     &(struct collector_env){.cfg = &cfg, .poller = poller}, &state, &e),
			 0);
	assert_ptr_equal(state, poller);
	assert_int_equal(js_poller_start(poller), 0);

	char *s = NULL;
	for (int i = 0; i < 100; i++) {
		struct registry *reg = registry_new(1 << 20);
		assert_int_equal(collector_jetstream.collect(state, NULL, reg, &e), 0);
		free(s);
		s = render(reg);
		registry_free(reg);
		if (strstr(s, "memacct_jetstream_poll_duration_seconds "))
			break;
		usleep(50000);
	}
	assert_non_null(strstr(s, "\nmemacct_jetstream_up 0\n"));
	assert_non_null(strstr(s, "\nmemacct_jetstream_poll_errors_total 1\n"));
	assert_non_null(strstr(s, "\nmemacct_jetstream_streams_dropped_total 0\n"));
	/* Every limit has its series from the start, at 0. */
	assert_non_null(
	    strstr(s, "\nmemacct_jetstream_poll_limit_hits_total{limit=\"reply_bytes\"} 0\n"));
	assert_non_null(
	    strstr(s, "\nmemacct_jetstream_poll_limit_hits_total{limit=\"repeated_page\"} 0\n"));
	assert_null(strstr(s, "limit=\"none\""));
	assert_null(strstr(s, "memacct_jetstream_last_poll_success_timestamp_seconds "));
	assert_null(strstr(s, "memacct_jetstream_stream_"));
	assert_null(strstr(s, "memacct_jetstream_account_"));
	free(s);
	js_poller_free(poller);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_account_info),
	    cmocka_unit_test(test_user_account),
	    cmocka_unit_test(test_stream_page),
	    cmocka_unit_test(test_page_total_is_a_count),
	    cmocka_unit_test(test_decode_cost_is_capped),
	    cmocka_unit_test(test_consumer_page),
	    cmocka_unit_test(test_stream_page_cluster),
	    cmocka_unit_test(test_retention_judgement),
	    cmocka_unit_test(test_snapshot_finish),
	    cmocka_unit_test(test_snapshot_bounded_by_cap),
	    cmocka_unit_test(test_snapshot_consumers),
	    cmocka_unit_test(test_snapshot_reuse),
	    cmocka_unit_test(test_poll_paging),
	    cmocka_unit_test(test_poll_streams_change_while_paging),
	    cmocka_unit_test(test_poll_failures),
	    cmocka_unit_test(test_poll_limits),
	    cmocka_unit_test(test_poll_filters_and_cap),
	    cmocka_unit_test(test_poll_consumers),
	    cmocka_unit_test(test_poll_consumers_reuse),
	    cmocka_unit_test(test_poll_missing_stream),
	    cmocka_unit_test(test_poll_consumers_cap_and_errors),
	    cmocka_unit_test(test_poll_consumers_limits),
	    cmocka_unit_test(test_nkey),
	    cmocka_unit_test(test_creds_account),
	    cmocka_unit_test(test_collector_not_configured),
	    cmocka_unit_test(test_setup_bad_flags),
	    cmocka_unit_test(test_setup_api_flags),
	    cmocka_unit_test(test_collect_consumers_and_replicas),
	    cmocka_unit_test(test_collector_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
