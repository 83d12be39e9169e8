/* jetstream_connect_loop: connects to NATS N times through the exporter's
 * own nats_client (a new connection each time) and counts the connects that
 * failed and the auth failures its retry absorbed. jetstream_auth.sh runs it
 * with an nkey seed: cnats 3.4.1 fails about 1 in 256 such logins, and no
 * connect may fail. Then it sends each --request (subject, payload) on one
 * more connection and prints the replies: with --creds, that is how the test
 * creates streams and publishes (its Python client cannot sign nonces).
 * Usage:
 *   jetstream_connect_loop URL N [--nkey FILE] [--creds FILE]
 *       [--user U --password P] [--token T] [--request SUBJECT DATA]... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memacct/util/mbuf.h"
#include "memacct/jetstream/nats_client.h"

#define MAX_REQUESTS 64

int main(int argc, char **argv)
{
	struct nats_client_opts o = {.connect_timeout_ms = 2000};
	if (argc < 3) {
		fprintf(stderr,
			"usage: %s URL N [--nkey F] [--creds F] [--user U --password P] "
			"[--token T]\n",
			argv[0]);
		return 2;
	}
	o.urls = argv[1];
	long n = strtol(argv[2], NULL, 10);
	const char *req[MAX_REQUESTS][2];
	int n_req = 0;
	for (int i = 3; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--request") && i + 2 < argc && n_req < MAX_REQUESTS) {
			req[n_req][0] = v;
			req[n_req][1] = argv[i + 2];
			n_req++;
			i++;
		} else if (!strcmp(k, "--nkey"))
			o.nkey_seed = v;
		else if (!strcmp(k, "--creds"))
			o.creds = v;
		else if (!strcmp(k, "--user"))
			o.user = v;
		else if (!strcmp(k, "--password"))
			o.password = v;
		else if (!strcmp(k, "--token"))
			o.token = v;
		else {
			fprintf(stderr, "unknown option %s\n", k);
			return 2;
		}
	}

	long failures = 0;
	unsigned long retries = 0;
	for (long i = 0; i < n; i++) {
		struct nats_client *c = NULL;
		struct errmsg e = {{0}};
		if (nats_client_new(&c, &o, &e) < 0) {
			fprintf(stderr, "options: %s\n", e.msg);
			return 2;
		}
		int rc = nats_client_connect(c, 5000, &e);
		struct js_transport_events ev;
		nats_client_take_events(c, &ev);
		retries += ev.auth_retries;
		if (rc < 0 && failures++ < 5)
			fprintf(stderr, "connect %ld failed: %s\n", i, e.msg);
		nats_client_free(c);
	}
	if (n > 0)
		printf("connects=%ld failures=%ld auth_retries=%lu\n", n, failures, retries);
	if (failures)
		return 1;

	if (n_req > 0) {
		struct nats_client *c = NULL;
		struct errmsg e = {{0}};
		struct mbuf reply;
		int rc = nats_client_new(&c, &o, &e);
		if (rc == 0)
			rc = nats_client_connect(c, 5000, &e);
		mbuf_init(&reply, 1 << 20);
		for (int i = 0; rc == 0 && i < n_req; i++) {
			rc = nats_client_request(c, req[i][0], req[i][1], strlen(req[i][1]), 5000,
						 &reply, &e);
			if (rc == 0)
				printf("%s\n", reply.len ? reply.data : "");
		}
		if (rc < 0)
			fprintf(stderr, "request failed: %s\n", e.msg);
		mbuf_free(&reply);
		nats_client_free(c);
		return rc < 0 ? 1 : 0;
	}
	return 0;
}
