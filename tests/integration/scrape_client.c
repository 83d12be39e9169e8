/* scrape_client: a small HTTP/1.1 load generator for the integration tests
 * (load_concurrent.sh, slow_clients.sh, valgrind_scrape.sh). N threads each
 * hold one keep-alive connection to 127.0.0.1:PORT and GET a path over and
 * over (for a duration, or a fixed number of requests each), checking every
 * response: a complete status line and headers, a Content-Length body read in
 * full, a chunked one up to its last chunk (a connection closed before it,
 * an aborted stream, is a failure) or a close-delimited one, and, for 200s,
 * a body that is not empty. It prints one line of key=value results (counts by status, failures,
 * latency percentiles, requests per second) and exits 0 whatever the counts
 * (the calling test asserts on them); 2 on bad usage.
 *
 * It does not parse the metrics (promtool does), does not do TLS, and only
 * speaks to IPv4 loopback addresses. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAX_HEADERS 16
#define MAX_LAT_SAMPLES (1u << 20)

struct options {
	const char *host;
	unsigned port;
	const char *path;
	unsigned concurrency;
	double duration_s;	/* 0: use requests */
	unsigned requests;	/* per client, when duration_s is 0 */
	unsigned timeout_s;	/* per request */
	bool keepalive;
	const char *headers[MAX_HEADERS];
	unsigned n_headers;
};

struct stats {
	atomic_ulong requests, ok, s503, other_status, errors, bytes, connects;
};

static struct options opt = {
	.host = "127.0.0.1", .path = "/metrics", .concurrency = 1, .requests = 1,
	.timeout_s = 30, .keepalive = true,
};
static struct stats st;
static pthread_barrier_t start_barrier;
static double deadline;
static double *lat_ms;		/* latencies of completed requests */
static atomic_ulong lat_n;
static char first_error[256];
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note_error(const char *what)
{
	atomic_fetch_add(&st.errors, 1);
	pthread_mutex_lock(&err_lock);
	if (!first_error[0])
		snprintf(first_error, sizeof(first_error), "%s", what);
	pthread_mutex_unlock(&err_lock);
}

static int connect_server(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = (time_t)opt.timeout_s};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
	if (inet_pton(AF_INET, opt.host, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	atomic_fetch_add(&st.connects, 1);
	return fd;
}

/* A growable receive buffer per connection. */
struct rbuf {
	char *data;
	size_t len, cap;
};

static int rbuf_fill(int fd, struct rbuf *b)
{
	if (b->cap - b->len < 65536) {
		size_t cap = b->cap ? b->cap * 2 : 131072;
		char *p = realloc(b->data, cap);
		if (!p)
			return -ENOMEM;
		b->data = p;
		b->cap = cap;
	}
	for (;;) {
		ssize_t n = recv(fd, b->data + b->len, b->cap - b->len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		b->len += (size_t)n;
		b->data[b->len] = '\0';
		return n == 0 ? 1 : 0; /* 1: EOF */
	}
}

static int send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Finds a header's value in the header block [h, end); case-insensitive. */
static const char *find_header(const char *h, const char *end, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	for (const char *line = h; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		if ((size_t)(eol - line) > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			const char *ve = eol;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		line = eol + 1;
	}
	return NULL;
}

enum resp { RESP_OK, RESP_503, RESP_OTHER, RESP_ERROR };

/* Reads a chunked body that starts at b->data + at, up to its last chunk
 * and the empty trailer; *body: its decoded length. 0, or -1 with *why. */
static int read_chunked(int fd, struct rbuf *b, size_t at, size_t *body, const char **why)
{
	*body = 0;
	for (;;) {
		char *eol;
		while (!(eol = b->len > at ? strstr(b->data + at, "\r\n") : NULL)) {
			if (rbuf_fill(fd, b)) {
				*why = "connection closed inside a chunked body (aborted stream)";
				return -1;
			}
		}
		char *endp;
		unsigned long long n = strtoull(b->data + at, &endp, 16);
		if (endp == b->data + at || (endp != eol && *endp != ';')) {
			*why = "bad chunk size line";
			return -1;
		}
		size_t data = (size_t)(eol - b->data) + 2;
		while (b->len < data + (size_t)n + 2) {
			if (rbuf_fill(fd, b)) {
				*why = "connection closed inside a chunk (aborted stream)";
				return -1;
			}
		}
		if (memcmp(b->data + data + n, "\r\n", 2) != 0) {
			*why = n ? "chunk not followed by CRLF" : "trailers after the last chunk";
			return -1;
		}
		at = data + (size_t)n + 2;
		*body += (size_t)n;
		if (n == 0)
			break;
	}
	if (b->len != at) {
		*why = "bytes after the last chunk";
		return -1;
	}
	return 0;
}

/* One request/response on fd. *closed: the server closed the connection (or
 * asked to). Returns the outcome; on RESP_ERROR, *why says what broke. */
static enum resp one_request(int fd, struct rbuf *b, const char *req, size_t reqlen,
			     bool *closed, const char **why)
{
	*closed = false;
	b->len = 0;
	if (send_all(fd, req, reqlen)) {
		*why = "send failed";
		*closed = true;
		return RESP_ERROR;
	}
	char *hend = NULL;
	while (!(hend = b->len ? strstr(b->data, "\r\n\r\n") : NULL)) {
		int rc = rbuf_fill(fd, b);
		if (rc) {
			*why = rc == 1 ? (b->len ? "connection closed inside the headers"
						 : "connection closed before a response")
				: rc == -EAGAIN ? "timed out waiting for the response"
						: "recv failed";
			*closed = true;
			return RESP_ERROR;
		}
	}
	if (strncmp(b->data, "HTTP/1.", 7) != 0 || b->len < 12) {
		*why = "not an HTTP/1.x status line";
		*closed = true;
		return RESP_ERROR;
	}
	int code = (b->data[9] - '0') * 100 + (b->data[10] - '0') * 10 + (b->data[11] - '0');
	size_t hlen = (size_t)(hend - b->data) + 4;
	size_t vl;
	const char *v = find_header(b->data, hend, "Connection", &vl);
	if (v && vl == 5 && strncasecmp(v, "close", 5) == 0)
		*closed = true;
	const char *cl = find_header(b->data, hend, "Content-Length", &vl);
	const char *te = find_header(b->data, hend, "Transfer-Encoding", &vl);
	size_t body = 0;
	if (cl) {
		char *endp;
		unsigned long long n = strtoull(cl, &endp, 10);
		body = (size_t)n;
		while (b->len < hlen + body) {
			int rc = rbuf_fill(fd, b);
			if (rc) {
				*why = rc == 1 ? "connection closed inside the body (short body)"
					       : "recv failed inside the body";
				*closed = true;
				return RESP_ERROR;
			}
		}
		if (b->len != hlen + body) {
			*why = "bytes after the body";
			*closed = true;
			return RESP_ERROR;
		}
	} else if (te && vl == 7 && strncasecmp(te, "chunked", 7) == 0) {
		if (read_chunked(fd, b, hlen, &body, why)) {
			*closed = true;
			return RESP_ERROR;
		}
	} else if (te) {
		*why = "a transfer encoding other than chunked";
		*closed = true;
		return RESP_ERROR;
	} else {
		for (;;) { /* close-delimited */
			int rc = rbuf_fill(fd, b);
			if (rc == 1)
				break;
			if (rc) {
				*why = "recv failed inside a close-delimited body";
				*closed = true;
				return RESP_ERROR;
			}
		}
		body = b->len - hlen;
		*closed = true;
	}
	atomic_fetch_add(&st.bytes, body);
	if (code == 200) {
		if (body == 0) {
			*why = "200 with an empty body";
			return RESP_ERROR;
		}
		return RESP_OK;
	}
	return code == 503 ? RESP_503 : RESP_OTHER;
}

static void *client(void *arg)
{
	(void)arg;
	char req[4096];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%u\r\n", opt.path, opt.host,
			 opt.port);
	for (unsigned i = 0; i < opt.n_headers; i++)
		n += snprintf(req + n, sizeof(req) - (size_t)n, "%s\r\n", opt.headers[i]);
	n += snprintf(req + n, sizeof(req) - (size_t)n, "%s\r\n",
		      opt.keepalive ? "" : "Connection: close\r\n");
	if (n >= (int)sizeof(req)) {
		note_error("request too long");
		return NULL;
	}
	struct rbuf b = {0};
	int fd = -1;
	pthread_barrier_wait(&start_barrier);
	for (unsigned done = 0;; done++) {
		if (opt.duration_s > 0 ? now_s() >= deadline : done >= opt.requests)
			break;
		if (fd < 0 && (fd = connect_server()) < 0) {
			atomic_fetch_add(&st.requests, 1);
			note_error("connect failed");
			continue;
		}
		double t0 = now_s();
		bool closed;
		const char *why = NULL;
		enum resp r = one_request(fd, &b, req, (size_t)n, &closed, &why);
		double ms = (now_s() - t0) * 1e3;
		atomic_fetch_add(&st.requests, 1);
		switch (r) {
		case RESP_OK:
			atomic_fetch_add(&st.ok, 1);
			break;
		case RESP_503:
			atomic_fetch_add(&st.s503, 1);
			break;
		case RESP_OTHER:
			atomic_fetch_add(&st.other_status, 1);
			note_error("unexpected HTTP status");
			break;
		case RESP_ERROR:
			note_error(why);
			break;
		}
		if (r != RESP_ERROR) {
			unsigned long i = atomic_fetch_add(&lat_n, 1);
			if (i < MAX_LAT_SAMPLES)
				lat_ms[i] = ms;
		}
		if (closed || !opt.keepalive) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	free(b.data);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static void usage(void)
{
	fprintf(stderr,
		"usage: scrape_client --port N [--host 127.0.0.1] [--path /metrics]\n"
		"         [--concurrency N] (--duration SECONDS | --requests N_PER_CLIENT)\n"
		"         [--timeout SECONDS] [--no-keepalive] [--header 'Name: value']...\n");
	exit(2);
}

static unsigned uarg(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > 1000000)
		usage();
	return (unsigned)v;
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--no-keepalive") == 0) {
			opt.keepalive = false;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (strcmp(a, "--host") == 0)
			opt.host = v;
		else if (strcmp(a, "--port") == 0)
			opt.port = uarg(v);
		else if (strcmp(a, "--path") == 0)
			opt.path = v;
		else if (strcmp(a, "--concurrency") == 0)
			opt.concurrency = uarg(v);
		else if (strcmp(a, "--duration") == 0)
			opt.duration_s = uarg(v);
		else if (strcmp(a, "--requests") == 0)
			opt.requests = uarg(v);
		else if (strcmp(a, "--timeout") == 0)
			opt.timeout_s = uarg(v);
		else if (strcmp(a, "--header") == 0 && opt.n_headers < MAX_HEADERS)
			opt.headers[opt.n_headers++] = v;
		else
			usage();
	}
	if (!opt.port || !opt.concurrency || opt.concurrency > 4096 || !opt.timeout_s)
		usage();
	lat_ms = calloc(MAX_LAT_SAMPLES, sizeof(*lat_ms));
	pthread_t *th = calloc(opt.concurrency, sizeof(*th));
	if (!lat_ms || !th) {
		fprintf(stderr, "scrape_client: out of memory\n");
		return 1;
	}
	pthread_barrier_init(&start_barrier, NULL, opt.concurrency + 1);
	for (unsigned i = 0; i < opt.concurrency; i++) {
		if (pthread_create(&th[i], NULL, client, NULL) != 0) {
			fprintf(stderr, "scrape_client: pthread_create failed\n");
			return 1;
		}
	}
	double t0 = now_s();
	deadline = t0 + opt.duration_s;
	pthread_barrier_wait(&start_barrier);
	for (unsigned i = 0; i < opt.concurrency; i++)
		pthread_join(th[i], NULL);
	double elapsed = now_s() - t0;
	size_t n = atomic_load(&lat_n);
	if (n > MAX_LAT_SAMPLES)
		n = MAX_LAT_SAMPLES;
	qsort(lat_ms, n, sizeof(*lat_ms), cmp_double);
	unsigned long req = atomic_load(&st.requests);
	printf("clients=%u seconds=%.1f requests=%lu ok=%lu status_503=%lu status_other=%lu "
	       "failed=%lu connects=%lu rps=%.0f MB=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f "
	       "max_ms=%.2f\n",
	       opt.concurrency, elapsed, req, atomic_load(&st.ok), atomic_load(&st.s503),
	       atomic_load(&st.other_status), atomic_load(&st.errors), atomic_load(&st.connects),
	       elapsed > 0 ? (double)req / elapsed : 0, (double)atomic_load(&st.bytes) / 1e6,
	       pct(lat_ms, n, 50), pct(lat_ms, n, 90), pct(lat_ms, n, 99), n ? lat_ms[n - 1] : 0);
	if (first_error[0])
		printf("first_failure=\"%s\"\n", first_error);
	free(lat_ms);
	free(th);
	return 0;
}
