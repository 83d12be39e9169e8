/* vm_jetstream: the JetStream client of the VM harness's nats scenario
 * (tests/vm), on Debian's cnats. "fill" creates the file-storage stream VM
 * (subjects vm.>) and publishes N messages of SIZE bytes with asynchronous
 * acks; "read" reads the whole stream once through an ordered consumer and
 * checks every message's size. Prints one line of what it did; exits 1 on
 * any failure. It does not read cgroup files or scrape.
 * Usage: vm_jetstream fill URL N SIZE | vm_jetstream read URL N SIZE */
#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, natsStatus s, jsErrCode jerr)
{
	fprintf(stderr, "vm_jetstream: %s: %s (jetstream error %d)\n", what, natsStatus_GetText(s),
		(int)jerr);
	return 1;
}

static int fill(jsCtx *js, long n, int size)
{
	jsStreamConfig cfg;
	jsStreamConfig_Init(&cfg);
	const char *subjects[] = {"vm.>"};
	cfg.Name = "VM";
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	jsErrCode jerr = 0;
	natsStatus s = js_AddStream(NULL, js, &cfg, NULL, &jerr);
	if (s != NATS_OK)
		return fail("add stream VM", s, jerr);
	char *payload = malloc((size_t)size);
	if (!payload)
		return fail("malloc", NATS_NO_MEMORY, 0);
	memset(payload, 'm', (size_t)size);
	for (long i = 0; i < n; i++) {
		char subj[64];
		snprintf(subj, sizeof(subj), "vm.%ld", i);
		s = js_PublishAsync(js, subj, payload, size, NULL);
		if (s != NATS_OK)
			break;
	}
	free(payload);
	if (s != NATS_OK)
		return fail("publish", s, 0);
	jsPubOptions po;
	jsPubOptions_Init(&po);
	po.MaxWait = 60000;
	s = js_PublishAsyncComplete(js, &po);
	if (s != NATS_OK)
		return fail("waiting for the publish acks", s, 0);
	printf("vm_jetstream: published %ld messages of %d bytes to stream VM\n", n, size);
	return 0;
}

static int read_all(jsCtx *js, long n, int size)
{
	jsSubOptions so;
	jsSubOptions_Init(&so);
	so.Stream = "VM";
	so.Ordered = true;
	natsSubscription *sub = NULL;
	jsErrCode jerr = 0;
	natsStatus s = js_SubscribeSync(&sub, js, "vm.>", NULL, &so, &jerr);
	if (s != NATS_OK)
		return fail("subscribe to VM", s, jerr);
	long got = 0, bad = 0;
	while (got < n) {
		natsMsg *m = NULL;
		s = natsSubscription_NextMsg(&m, sub, 20000);
		if (s != NATS_OK)
			break;
		if (natsMsg_GetDataLength(m) != size)
			bad++;
		got++;
		natsMsg_Destroy(m);
	}
	natsSubscription_Destroy(sub);
	if (s != NATS_OK)
		return fail("reading the stream", s, 0);
	printf("vm_jetstream: read %ld messages, %ld of the wrong size\n", got, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[1], "fill") && strcmp(argv[1], "read"))) {
		fprintf(stderr, "usage: %s fill|read URL N SIZE\n", argv[0]);
		return 2;
	}
	long n = strtol(argv[3], NULL, 10);
	int size = (int)strtol(argv[4], NULL, 10);
	if (n <= 0 || size <= 0) {
		fprintf(stderr, "vm_jetstream: N and SIZE must be positive\n");
		return 2;
	}
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	natsStatus s = natsConnection_ConnectTo(&nc, argv[2]);
	if (s != NATS_OK)
		return fail(argv[2], s, 0);
	s = natsConnection_JetStream(&js, nc, NULL);
	if (s != NATS_OK)
		return fail("jetstream context", s, 0);
	int rc = strcmp(argv[1], "fill") == 0 ? fill(js, n, size) : read_all(js, n, size);
	jsCtx_Destroy(js);
	natsConnection_Destroy(nc);
	nats_Close();
	return rc;
}
