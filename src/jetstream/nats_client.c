/* nats_client: one cnats connection for request/reply (see nats_client.h).
 * The only file that includes cnats. It builds the options once, connects on
 * demand within the caller's budget (abandoning a handshake that does not
 * finish), builds a new connection when the last one was lost (cnats does
 * not reconnect by itself here), and turns cnats statuses into -errno plus
 * a sentence. It does not log and does not parse replies. */
#include "memacct/jetstream/nats_client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

#include "memacct/jetstream/connect_watchdog.h"
#include "memacct/jetstream/nkey.h"
#include "memacct/util/readfile.h"

#define MAX_URLS 32
#define SEED_FILE_MAX 65536
#define AUTH_RETRIES 3	   /* tries of one connect when creds/nkey are set */
#define CLOSED_CB_WAIT_S 1 /* free waits this long for cnats's last callbacks */
#define BATCH_SLICE_MS 50  /* a batch waits for replies in slices this long */

struct nats_client {
	natsOptions *opts;
	char *urls_buf; /* owned copy the url pointers point into */
	const char *urls[MAX_URLS];
	int n_urls;
	bool key_auth; /* creds or nkey: retry auth failures (cnats 3.4.1 bug) */
	bool tls;      /* a TLS flag was given */

	struct connect_watchdog *watchdog; /* gives a hung handshake up */

	pthread_mutex_t lock; /* nc, interrupted, generation */
	natsConnection *nc;   /* destroyed only by the connecting thread */
	bool interrupted;
	uint64_t generation;

	/* Batches (nats_client_request_many): one subscription on
	 * "<inbox>.>" of the connection nc, made on its first batch; each
	 * request's reply subject is "<inbox>.<batch>.<index>", so a late
	 * reply to an earlier batch is told apart. Connecting thread only. */
	natsSubscription *batch_sub;
	char batch_inbox[128];
	uint64_t batch_seq;

	pthread_mutex_t ev_lock; /* ev, closed_cbs; taken in cnats's callback threads */
	pthread_cond_t ev_cond;	 /* signalled by on_closed */
	struct js_transport_events ev;
	/* Closed callbacks run so far. cnats runs a connection's callbacks on
	 * its own thread after natsConnection_Close() has returned; each
	 * connection that ever connected gets exactly one closed callback, its
	 * last, so free waits until closed_cbs reaches generation. */
	uint64_t closed_cbs;
};

static void copy_str(char *dst, size_t cap, const char *src)
{
	if (!src)
		src = "";
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The thread-local detail cnats keeps for the last failed call, else the
 * status's own text. */
static const char *last_error_text(natsStatus s)
{
	natsStatus ls = NATS_OK;
	const char *t = nats_GetLastError(&ls);
	if (!t || !*t)
		return natsStatus_GetText(s);
	/* cnats prefixes its source position: "(conn.c:1905): Authorization
	 * Violation". The reader wants the reason. */
	if (t[0] == '(') {
		const char *q = strstr(t, "): ");
		if (q && q[3])
			t = q + 3;
	}
	return t;
}

static bool text_is_auth(const char *t)
{
	return t && (strcasestr(t, "authorization") || strcasestr(t, "authentication") ||
		     strcasestr(t, "auth ") || strcasestr(t, "user authentication"));
}

/* --- callbacks (cnats threads) --- */

static void record_error(struct nats_client *c, natsConnection *nc, const char *fallback)
{
	const char *t = NULL;
	if (nc && natsConnection_GetLastError(nc, &t) == NATS_OK)
		t = NULL; /* no error recorded on the connection */
	if (!t || !*t)
		t = fallback;
	if (t)
		copy_str(c->ev.last_error, sizeof(c->ev.last_error), t);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	struct nats_client *c = closure;
	pthread_mutex_lock(&c->ev_lock);
	c->ev.disconnects++;
	record_error(c, nc, "disconnected");
	pthread_mutex_unlock(&c->ev_lock);
}

static void on_closed(natsConnection *nc, void *closure)
{
	struct nats_client *c = closure;
	pthread_mutex_lock(&c->ev_lock);
	record_error(c, nc, NULL);
	c->closed_cbs++;
	pthread_cond_broadcast(&c->ev_cond);
	pthread_mutex_unlock(&c->ev_lock);
}

static void on_error(natsConnection *nc, natsSubscription *sub, natsStatus err, void *closure)
{
	struct nats_client *c = closure;
	(void)sub;
	pthread_mutex_lock(&c->ev_lock);
	c->ev.async_errors++;
	record_error(c, nc, natsStatus_GetText(err));
	pthread_mutex_unlock(&c->ev_lock);
}

/* --- construction --- */

static int split_urls(struct nats_client *c, const char *urls, struct errmsg *e)
{
	c->urls_buf = strdup(urls);
	if (!c->urls_buf)
		return -ENOMEM;
	char *p = c->urls_buf;
	while (*p) {
		while (*p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		char *start = p;
		while (*p && *p != ',')
			p++;
		char *end = p;
		while (end > start && end[-1] == ' ')
			end--;
		if (*p)
			p++;
		*end = '\0';
		if (c->n_urls == MAX_URLS) {
			errmsg_set(e, "--nats.url: more than %d URLs", MAX_URLS);
			return -EINVAL;
		}
		c->urls[c->n_urls++] = start;
	}
	if (c->n_urls == 0) {
		errmsg_set(e, "--nats.url: no URL given");
		return -EINVAL;
	}
	return 0;
}

/* A file cnats will read itself (at every connect): it must be a readable
 * regular file; a FIFO there would block a connect. */
static int check_readable(const char *flag, const char *path, struct errmsg *e)
{
	struct stat st;
	if (access(path, R_OK) < 0 || stat(path, &st) < 0) {
		int err = errno;
		errmsg_set(e, "%s: cannot read %s: %s", flag, path, strerror(err));
		return -err;
	}
	if (!S_ISREG(st.st_mode)) {
		errmsg_set(e, "%s: %s is not a regular file", flag, path);
		return -EINVAL;
	}
	return 0;
}

/* Reads the seed file (util/readfile: regular files only, capped) to derive
 * the public key; the buffer is wiped. */
static int nkey_public(const char *path, char pub[NKEY_PUBLIC_LEN + 1], struct errmsg *e)
{
	char *buf = malloc(SEED_FILE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	struct readbuf b = {.data = buf, .cap = SEED_FILE_MAX + 1, .max = SEED_FILE_MAX};
	int rc = readfile_at(AT_FDCWD, path, &b);
	if (rc == -EFBIG)
		errmsg_set(e, "--nats.nkey: %s is larger than %d bytes", path, SEED_FILE_MAX);
	else if (rc == READFILE_NOT_REGULAR)
		errmsg_set(e, "--nats.nkey: %s is not a regular file", path);
	else if (rc < 0)
		errmsg_set(e, "--nats.nkey: cannot read %s: %s", path, strerror(-rc));
	if (rc == 0) {
		rc = nkey_public_from_seed_text(buf, b.len, pub);
		if (rc == -EINVAL)
			errmsg_set(e, "--nats.nkey: %s holds no valid user seed (SU...)", path);
		else if (rc < 0)
			errmsg_set(e, "--nats.nkey: cannot derive the public key: %s",
				   strerror(-rc));
	}
	explicit_bzero(buf, SEED_FILE_MAX + 1);
	free(buf);
	return rc;
}

static int opt_fail(natsStatus s, const char *what, struct errmsg *e)
{
	errmsg_set(e, "%s: %s", what, last_error_text(s));
	return s == NATS_NO_MEMORY ? -ENOMEM : -EINVAL;
}

int nats_client_new(struct nats_client **out, const struct nats_client_opts *o, struct errmsg *e)
{
	struct nats_client *c = calloc(1, sizeof(*c));
	natsStatus s;
	int rc;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	pthread_condattr_t ca;
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->ev_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->ev_cond, &ca);
	pthread_condattr_destroy(&ca);

	if (!o->urls) {
		errmsg_set(e, "--nats.url: no URL given");
		rc = -EINVAL;
		goto fail;
	}
	rc = split_urls(c, o->urls, e);
	if (rc == 0)
		rc = connect_watchdog_new(&c->watchdog, c->urls, c->n_urls);
	if (rc < 0)
		goto fail;

	s = natsOptions_Create(&c->opts);
	if (s != NATS_OK) {
		rc = opt_fail(s, "cnats options", e);
		goto fail;
	}
	s = natsOptions_SetServers(c->opts, c->urls, c->n_urls);
	if (s != NATS_OK) {
		rc = opt_fail(s, "--nats.url", e);
		goto fail;
	}
	unsigned cto = o->connect_timeout_ms ? o->connect_timeout_ms : 2000;
	s = natsOptions_SetName(c->opts, o->name ? o->name : "memacct_exporter");
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(c->opts, cto);
	/* No reconnects by cnats: its reconnect thread does the handshake
	 * holding the connection's lock, and a server that never answers
	 * CONNECT would then hang every call, natsConnection_Close included.
	 * The next poll builds a new connection instead, within its budget. */
	if (s == NATS_OK)
		s = natsOptions_SetAllowReconnect(c->opts, false);
	if (s == NATS_OK)
		s = natsOptions_SetFailRequestsOnDisconnect(c->opts, true);
	/* No write deadline: it makes the socket non-blocking, and cnats
	 * 3.4.1 then spins (growing a buffer) on a handshake the server does
	 * not answer. A write blocked on a server that stops reading is ended
	 * by nats_client_interrupt(), which shuts the sockets down. */

	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(c->opts, 30000);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(c->opts, on_disconnected, c);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(c->opts, on_closed, c);
	if (s == NATS_OK)
		s = natsOptions_SetErrorHandler(c->opts, on_error, c);
	if (s != NATS_OK) {
		rc = opt_fail(s, "cnats options", e);
		goto fail;
	}

	/* Authentication: creds and nkey are exclusive; user/password and
	 * token go beside whatever the URL holds. */
	if (o->creds && o->nkey_seed) {
		errmsg_set(e, "--nats.creds and --nats.nkey are mutually exclusive");
		rc = -EINVAL;
		goto fail;
	}
	if (o->creds) {
		rc = check_readable("--nats.creds", o->creds, e);
		if (rc < 0)
			goto fail;
		s = natsOptions_SetUserCredentialsFromFiles(c->opts, o->creds, NULL);
		if (s != NATS_OK) {
			rc = opt_fail(s, "--nats.creds", e);
			goto fail;
		}
		c->key_auth = true;
	}
	if (o->nkey_seed) {
		char pub[NKEY_PUBLIC_LEN + 1];
		rc = nkey_public(o->nkey_seed, pub, e);
		if (rc < 0)
			goto fail;
		s = natsOptions_SetNKeyFromSeed(c->opts, pub, o->nkey_seed);
		if (s != NATS_OK) {
			rc = opt_fail(s, "--nats.nkey", e);
			goto fail;
		}
		c->key_auth = true;
	}
	if (o->user || o->password) {
		if (!o->user || !o->password) {
			errmsg_set(e, "--nats.user and a password (--nats.password, "
				      "--nats.password-file or MEMACCT_NATS_PASSWORD) go together");
			rc = -EINVAL;
			goto fail;
		}
		s = natsOptions_SetUserInfo(c->opts, o->user, o->password);
		if (s != NATS_OK) {
			rc = opt_fail(s, "--nats.user", e);
			goto fail;
		}
	}
	if (o->token) {
		s = natsOptions_SetToken(c->opts, o->token);
		if (s != NATS_OK) {
			rc = opt_fail(s, "--nats.token", e);
			goto fail;
		}
	}

	/* TLS: any TLS flag turns it on (tls:// URLs do too, inside cnats). */
	if (o->tls_ca || o->tls_cert || o->tls_key) {
		s = natsOptions_SetSecure(c->opts, true);
		if (s != NATS_OK) {
			rc = opt_fail(s, "--nats.tls", e);
			goto fail;
		}
		c->tls = true;
	}
	if (o->tls_ca) {
		rc = check_readable("--nats.tls.ca", o->tls_ca, e);
		if (rc < 0)
			goto fail;
		s = natsOptions_LoadCATrustedCertificates(c->opts, o->tls_ca);
		if (s != NATS_OK) {
			rc = opt_fail(s, "--nats.tls.ca", e);
			goto fail;
		}
	}
	if (o->tls_cert || o->tls_key) {
		if (!o->tls_cert || !o->tls_key) {
			errmsg_set(e, "--nats.tls.cert and --nats.tls.key go together");
			rc = -EINVAL;
			goto fail;
		}
		rc = check_readable("--nats.tls.cert", o->tls_cert, e);
		if (rc == 0)
			rc = check_readable("--nats.tls.key", o->tls_key, e);
		if (rc < 0)
			goto fail;
		s = natsOptions_LoadCertificatesChain(c->opts, o->tls_cert, o->tls_key);
		if (s != NATS_OK) {
			rc = opt_fail(s, "--nats.tls.cert/--nats.tls.key", e);
			goto fail;
		}
	}

	*out = c;
	return 0;
fail:
	nats_client_free(c);
	return rc;
}

/* The batch subscription goes with its connection. Connecting thread. */
static void drop_batch_sub(struct nats_client *c)
{
	if (c->batch_sub) {
		natsSubscription_Destroy(c->batch_sub);
		c->batch_sub = NULL;
	}
}

void nats_client_free(struct nats_client *c)
{
	if (!c)
		return;
	drop_batch_sub(c);
	if (c->nc) {
		natsConnection_Close(c->nc);
		natsConnection_Destroy(c->nc);
		c->nc = NULL;
	}
	/* Wait for the last callbacks, which point at c (bounded: a callback
	 * thread that never runs them leaves c allocated rather than freed
	 * under its feet). */
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += CLOSED_CB_WAIT_S;
	bool drained = true;
	pthread_mutex_lock(&c->ev_lock);
	while (c->closed_cbs < c->generation && drained)
		drained = pthread_cond_timedwait(&c->ev_cond, &c->ev_lock, &until) == 0 ||
			  c->closed_cbs >= c->generation;
	pthread_mutex_unlock(&c->ev_lock);
	natsOptions_Destroy(c->opts);
	c->opts = NULL;
	if (!drained)
		return; /* leaked on purpose, see above */
	connect_watchdog_free(c->watchdog);
	free(c->urls_buf);
	pthread_cond_destroy(&c->ev_cond);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->ev_lock);
	free(c);
}

/* --- connection --- */

static int map_connect_error(natsStatus s, const char *text)
{
	if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED || text_is_auth(text))
		return -EACCES;
	switch (s) {
	case NATS_NO_SERVER:
		return -ECONNREFUSED;
	case NATS_TIMEOUT:
		return -ETIMEDOUT;
	case NATS_SSL_ERROR:
	case NATS_SECURE_CONNECTION_WANTED:
	case NATS_SECURE_CONNECTION_REQUIRED:
		return -EPROTO;
	case NATS_NO_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- connecting --- */

/* Forgets a connection that is no longer usable (cnats closed it: the
 * server went away, or it was refused). Connecting thread only. */
static void drop_connection(struct nats_client *c, natsConnection *nc)
{
	drop_batch_sub(c);
	pthread_mutex_lock(&c->lock);
	c->nc = NULL;
	pthread_mutex_unlock(&c->lock);
	natsConnection_Close(nc);
	natsConnection_Destroy(nc);
}

static int connect_failed(struct nats_client *c, natsStatus s, const char *why, bool expired,
			  unsigned timeout_ms, struct errmsg *e)
{
	int rc = map_connect_error(s, why);
	pthread_mutex_lock(&c->lock);
	bool stop = c->interrupted;
	pthread_mutex_unlock(&c->lock);
	if (stop) {
		errmsg_set(e, "shutting down");
		return -ECANCELED;
	}
	if (expired) {
		errmsg_set(e,
			   "no NATS handshake within the poll's %u ms (the server accepted the "
			   "connection but did not answer): %s",
			   timeout_ms, why);
		return -ETIMEDOUT;
	}
	/* A TLS server that wants a client certificate we did not send (or
	 * rejects ours) closes the connection after the handshake: cnats then
	 * reports a missing PONG. Say what it likely is. */
	if (c->tls && rc == -EIO && strstr(why, "PONG")) {
		errmsg_set(e,
			   "%s: the server closed the TLS connection; it may require a client "
			   "certificate (--nats.tls.cert/--nats.tls.key) or refuse the one sent",
			   why);
		return -EPROTO;
	}
	errmsg_set(e, "%s", why);
	return rc;
}

int nats_client_connect(struct nats_client *c, unsigned timeout_ms, struct errmsg *e)
{
	natsConnection *nc;
	natsStatus s = NATS_OK;
	char why[256] = "";
	int rc;

	pthread_mutex_lock(&c->lock);
	bool stop = c->interrupted;
	nc = c->nc;
	pthread_mutex_unlock(&c->lock);
	if (stop) {
		errmsg_set(e, "shutting down");
		return -ECANCELED;
	}
	bool lost = nc != NULL;
	if (nc) {
		if (natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED)
			return 0;
		/* Lost (cnats does not reconnect here): a new one below. */
		drop_connection(c, nc);
		nc = NULL;
	}

	if (timeout_ms == 0)
		timeout_ms = 1;
	int64_t deadline = mono_ms() + timeout_ms;
	rc = connect_watchdog_arm(c->watchdog, timeout_ms, e);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&c->lock);
	if (c->interrupted)
		connect_watchdog_fire(c->watchdog); /* raced with shutdown */
	pthread_mutex_unlock(&c->lock);
	int tries = c->key_auth ? AUTH_RETRIES : 1;
	for (int i = 0; i < tries && mono_ms() < deadline; i++) {
		s = natsConnection_Connect(&nc, c->opts);
		if (s == NATS_OK)
			break;
		copy_str(why, sizeof(why), last_error_text(s));
		if (map_connect_error(s, why) != -EACCES)
			break;
		if (i + 1 < tries) {
			pthread_mutex_lock(&c->ev_lock);
			c->ev.auth_retries++;
			pthread_mutex_unlock(&c->ev_lock);
		}
	}
	bool expired = connect_watchdog_disarm(c->watchdog);
	if (s != NATS_OK)
		return connect_failed(c, s, why, expired || mono_ms() >= deadline, timeout_ms, e);
	if (!nc) {
		errmsg_set(e, "no NATS handshake within the poll's %u ms", timeout_ms);
		return -ETIMEDOUT;
	}

	pthread_mutex_lock(&c->lock);
	if (c->interrupted) {
		c->generation++; /* it connected: its closed callback will come */
		pthread_mutex_unlock(&c->lock);
		natsConnection_Close(nc);
		natsConnection_Destroy(nc);
		errmsg_set(e, "shutting down");
		return -ECANCELED;
	}
	c->nc = nc;
	c->generation++;
	pthread_mutex_unlock(&c->lock);
	if (lost) {
		pthread_mutex_lock(&c->ev_lock);
		c->ev.reconnects++;
		pthread_mutex_unlock(&c->ev_lock);
	}
	return 0;
}

uint64_t nats_client_generation(const struct nats_client *c)
{
	/* Written only by the connecting thread, which is the one reading. */
	return c->generation;
}

/* The connection for a request, or -ENOTCONN (e set). */
static int usable(struct nats_client *c, natsConnection **nc, struct errmsg *e)
{
	pthread_mutex_lock(&c->lock);
	*nc = c->interrupted ? NULL : c->nc;
	pthread_mutex_unlock(&c->lock);
	if (!*nc) {
		errmsg_set(e, "not connected");
		return -ENOTCONN;
	}
	return 0;
}

static int map_request_error(natsStatus s)
{
	switch (s) {
	case NATS_TIMEOUT:
		return -ETIMEDOUT;
	case NATS_NO_RESPONDERS:
		return -ENOENT;
	case NATS_CONNECTION_CLOSED:
	case NATS_CONNECTION_DISCONNECTED:
	case NATS_NOT_YET_CONNECTED:
	case NATS_INVALID_SUBSCRIPTION:
		return -ENOTCONN;
	case NATS_NO_MEMORY:
		return -ENOMEM;
	case NATS_SLOW_CONSUMER:
		return -EFBIG;
	default:
		return -EIO;
	}
}

/* Copies m's data into reply (the reply's cap applies). 0, -EFBIG, -ENOMEM. */
static int take_reply(natsMsg *m, const char *subject, struct mbuf *reply, struct errmsg *e)
{
	mbuf_reset(reply);
	int n = natsMsg_GetDataLength(m);
	if (n > 0 && (size_t)n > reply->max) {
		errmsg_set(e, "%s: a reply of %d bytes is larger than the %zu KiB cap", subject, n,
			   reply->max >> 10);
		return -EFBIG;
	}
	if (n > 0)
		mbuf_add(reply, natsMsg_GetData(m), (size_t)n);
	int rc = mbuf_error(reply);
	if (rc < 0)
		errmsg_set(e, "%s: reply of %d bytes: %s", subject, n, strerror(-rc));
	return rc;
}

int nats_client_request(struct nats_client *c, const char *subject, const char *data, size_t len,
			unsigned timeout_ms, struct mbuf *reply, struct errmsg *e)
{
	natsConnection *nc;
	natsMsg *m = NULL;
	int rc = usable(c, &nc, e);

	if (rc < 0)
		return rc;
	if (len > (size_t)INT32_MAX)
		return -EFBIG;
	if (timeout_ms == 0)
		timeout_ms = 1;

	natsStatus s = natsConnection_Request(&m, nc, subject, data, (int)len, timeout_ms);
	if (s != NATS_OK) {
		errmsg_set(e, "%s: %s", subject, last_error_text(s));
		return map_request_error(s);
	}
	rc = take_reply(m, subject, reply, e);
	natsMsg_Destroy(m);
	return rc;
}

/* The batch subscription of the current connection, made when missing:
 * its pending replies are capped at max_bytes (cnats drops beyond, and
 * NextMsg then says NATS_SLOW_CONSUMER). */
static int batch_sub(struct nats_client *c, natsConnection *nc, size_t max_bytes, struct errmsg *e)
{
	if (c->batch_sub)
		return 0;
	natsInbox *inbox = NULL;
	char subj[sizeof(c->batch_inbox) + 2];
	natsStatus s = natsInbox_Create(&inbox);
	if (s == NATS_OK) {
		copy_str(c->batch_inbox, sizeof(c->batch_inbox), inbox);
		snprintf(subj, sizeof(subj), "%s.>", c->batch_inbox);
		natsInbox_Destroy(inbox);
		s = natsConnection_SubscribeSync(&c->batch_sub, nc, subj);
	}
	if (s == NATS_OK)
		s = natsSubscription_SetPendingLimits(
		    c->batch_sub, 4 * JS_BATCH_MAX,
		    max_bytes > (size_t)INT32_MAX ? INT32_MAX : (int)max_bytes);
	if (s != NATS_OK) {
		errmsg_set(e, "reply subscription: %s", last_error_text(s));
		drop_batch_sub(c);
		return map_request_error(s);
	}
	return 0;
}

/* Reads "<inbox>.<batch>.<index>": the index when batch is seq, else -1. */
static long reply_index(const struct nats_client *c, const char *subject, uint64_t seq, size_t n)
{
	size_t il = strlen(c->batch_inbox);
	if (strncmp(subject, c->batch_inbox, il) || subject[il] != '.')
		return -1;
	char *end;
	unsigned long long b = strtoull(subject + il + 1, &end, 10);
	if (*end != '.' || b != seq)
		return -1;
	unsigned long long i = strtoull(end + 1, &end, 10);
	return *end || i >= n ? -1 : (long)i;
}

int nats_client_request_many(struct nats_client *c, const struct js_request *reqs, size_t n,
			     unsigned timeout_ms, struct mbuf *reply, js_reply_fn on_reply,
			     void *arg, struct errmsg *e)
{
	natsConnection *nc;
	bool answered[JS_BATCH_MAX] = {false};
	char rsubj[sizeof(c->batch_inbox) + 48];
	int rc = usable(c, &nc, e);

	if (rc < 0)
		return rc;
	if (n > JS_BATCH_MAX) {
		errmsg_set(e, "a batch of %zu requests (at most %d)", n, JS_BATCH_MAX);
		return -EINVAL;
	}
	rc = batch_sub(c, nc, reply->max, e);
	if (rc < 0)
		return rc;
	int64_t deadline = mono_ms() + (timeout_ms ? timeout_ms : 1);
	uint64_t seq = ++c->batch_seq;
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].len > (size_t)INT32_MAX)
			return -EFBIG;
		snprintf(rsubj, sizeof(rsubj), "%s.%llu.%zu", c->batch_inbox,
			 (unsigned long long)seq, i);
		natsStatus s = natsConnection_PublishRequest(nc, reqs[i].subject, rsubj,
							     reqs[i].data, (int)reqs[i].len);
		if (s != NATS_OK) {
			errmsg_set(e, "%s: %s", reqs[i].subject, last_error_text(s));
			return map_request_error(s);
		}
	}
	for (size_t done = 0; done < n;) {
		int64_t left = deadline - mono_ms();
		natsMsg *m = NULL;
		/* In slices: cnats reports replies it dropped (past the
		 * pending cap) only when NextMsg is entered. */
		natsStatus s =
		    left > 0 ? natsSubscription_NextMsg(
				   &m, c->batch_sub, left < BATCH_SLICE_MS ? left : BATCH_SLICE_MS)
			     : NATS_TIMEOUT;
		if (s == NATS_TIMEOUT && left > BATCH_SLICE_MS)
			continue;
		if (s != NATS_OK) {
			rc = map_request_error(s);
			if (rc == -ETIMEDOUT)
				errmsg_set(e,
					   "%zu of %zu replies did not come within %u ms (%s ...)",
					   n - done, n, timeout_ms, reqs[0].subject);
			else if (rc == -EFBIG)
				errmsg_set(
				    e, "replies passing %zu KiB in flight were dropped (%s ...)",
				    reply->max >> 10, reqs[0].subject);
			else
				errmsg_set(e, "%s ...: %s", reqs[0].subject, last_error_text(s));
			if (rc == -ENOTCONN || rc == -EFBIG)
				drop_batch_sub(c); /* a new one next time, with nothing stale */
			return rc;
		}
		long i = reply_index(c, natsMsg_GetSubject(m), seq, n);
		if (i < 0 || answered[i]) {
			natsMsg_Destroy(m); /* late, from an earlier batch */
			continue;
		}
		answered[i] = true;
		done++;
		int one =
		    natsMsg_IsNoResponders(m) ? -ENOENT : take_reply(m, reqs[i].subject, reply, e);
		natsMsg_Destroy(m);
		if (one == -ENOMEM)
			return one;
		if (one == -ENOENT)
			errmsg_set(e, "%s: no responders", reqs[i].subject);
		rc = on_reply(arg, (size_t)i, one, reply, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void nats_client_interrupt(struct nats_client *c)
{
	pthread_mutex_lock(&c->lock);
	c->interrupted = true;
	connect_watchdog_fire(c->watchdog); /* a handshake in flight gives up now */
	if (c->nc) {
		/* Anything blocked on the socket (a write to a server that
		 * stopped reading holds the connection's lock) returns first. */
		connect_watchdog_shutdown_all(c->watchdog);
		natsConnection_Close(c->nc);
	}
	pthread_mutex_unlock(&c->lock);
}

void nats_client_take_events(struct nats_client *c, struct js_transport_events *ev)
{
	natsConnection *nc;

	pthread_mutex_lock(&c->ev_lock);
	*ev = c->ev;
	c->ev.disconnects = 0;
	c->ev.reconnects = 0;
	c->ev.async_errors = 0;
	c->ev.auth_retries = 0;
	c->ev.last_error[0] = '\0';
	pthread_mutex_unlock(&c->ev_lock);

	ev->url[0] = '\0';
	pthread_mutex_lock(&c->lock);
	nc = c->nc;
	if (nc && natsConnection_Status(nc) == NATS_CONN_STATUS_CONNECTED)
		natsConnection_GetConnectedUrl(nc, ev->url, sizeof(ev->url));
	pthread_mutex_unlock(&c->lock);
}

/* --- the poller's transport --- */

static int t_connect(void *ctx, unsigned timeout_ms, struct errmsg *e)
{
	return nats_client_connect(ctx, timeout_ms, e);
}

static uint64_t t_generation(void *ctx)
{
	return nats_client_generation(ctx);
}

static int t_request(void *ctx, const char *subject, const char *data, size_t len,
		     unsigned timeout_ms, struct mbuf *reply, struct errmsg *e)
{
	return nats_client_request(ctx, subject, data, len, timeout_ms, reply, e);
}

static int t_request_many(void *ctx, const struct js_request *reqs, size_t n, unsigned timeout_ms,
			  struct mbuf *reply, js_reply_fn on_reply, void *arg, struct errmsg *e)
{
	return nats_client_request_many(ctx, reqs, n, timeout_ms, reply, on_reply, arg, e);
}

static void t_interrupt(void *ctx)
{
	nats_client_interrupt(ctx);
}

static void t_take_events(void *ctx, struct js_transport_events *ev)
{
	nats_client_take_events(ctx, ev);
}

static void t_close(void *ctx)
{
	nats_client_free(ctx);
}

static const struct js_transport_ops nats_ops = {
    .connect = t_connect,
    .generation = t_generation,
    .request = t_request,
    .request_many = t_request_many,
    .interrupt = t_interrupt,
    .take_events = t_take_events,
    .close = t_close,
};

void nats_client_transport(struct nats_client *c, struct js_transport *t)
{
	t->ops = &nats_ops;
	t->ctx = c;
}
