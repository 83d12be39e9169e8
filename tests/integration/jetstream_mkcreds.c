/* jetstream_mkcreds: makes a throw-away decentralized-auth setup for
 * jetstream_auth.sh, so the --nats.creds path meets a real nats-server in
 * operator mode without nsc: fresh operator, account and user Ed25519 keys
 * (OpenSSL), the three JWTs (nats-io/jwt v2 claims, header alg
 * "ed25519-nkey"), the account with unlimited JetStream. Writes
 *   DIR/operator.jwt   DIR/server.conf (operator, system account, memory
 *                      resolver preloaded with both accounts)
 *   DIR/user.creds     (user JWT and seed, as nsc writes them)
 * and prints the account's public key (the account name /jsz shows).
 * Usage: jetstream_mkcreds DIR */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "memacct/jetstream/nkey.h"

struct key {
	uint8_t seed[32], pub[32];
	char pub_enc[NKEY_PUBLIC_LEN + 1];
	char seed_enc[NKEY_SEED_LEN + 1];
	EVP_PKEY *pk;
};

static void die(const char *what)
{
	fprintf(stderr, "jetstream_mkcreds: %s\n", what);
	exit(1);
}

static void mkkey(struct key *k, uint8_t prefix)
{
	size_t n = sizeof(k->pub);
	if (RAND_bytes(k->seed, sizeof(k->seed)) != 1)
		die("RAND_bytes");
	k->pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, k->seed, sizeof(k->seed));
	if (!k->pk || EVP_PKEY_get_raw_public_key(k->pk, k->pub, &n) != 1)
		die("Ed25519 key");
	nkey_encode_public(prefix, k->pub, k->pub_enc);
	nkey_encode_seed(prefix, k->seed, k->seed_enc);
}

static void b64url(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = a[(v >> 18) & 63];
		out[o++] = a[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = a[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

/* header.claims.signature, signed by issuer. */
static char *jwt(const struct key *issuer, const char *claims)
{
	static const char header[] = "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";
	size_t cl = strlen(claims);
	char *out = malloc(cl * 2 + 512);
	if (!out)
		die("malloc");
	b64url((const uint8_t *)header, strlen(header), out);
	strcat(out, ".");
	b64url((const uint8_t *)claims, cl, out + strlen(out));
	uint8_t sig[64];
	size_t sl = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, issuer->pk) != 1 ||
	    EVP_DigestSign(ctx, sig, &sl, (const uint8_t *)out, strlen(out)) != 1)
		die("Ed25519 sign");
	EVP_MD_CTX_free(ctx);
	strcat(out, ".");
	b64url(sig, sl, out + strlen(out));
	return out;
}

static void jti(char out[53])
{
	uint8_t r[32];
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	if (RAND_bytes(r, sizeof(r)) != 1)
		die("RAND_bytes");
	for (int i = 0; i < 52; i++)
		out[i] = a[r[i % 32] % 32];
	out[52] = '\0';
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		die(path);
}

int main(int argc, char **argv)
{
	struct key op, acc, sys, usr;
	char claims[4096], id[53], text[16384];
	long now = (long)time(NULL);

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	mkkey(&op, NKEY_PREFIX_OPERATOR);
	mkkey(&acc, NKEY_PREFIX_ACCOUNT);
	mkkey(&sys, NKEY_PREFIX_ACCOUNT);
	mkkey(&usr, NKEY_PREFIX_USER);

	jti(id);
	snprintf(claims, sizeof(claims),
		 "{\"jti\":\"%s\",\"iat\":%ld,\"iss\":\"%s\",\"name\":\"memacct-test-op\","
		 "\"sub\":\"%s\",\"nats\":{\"type\":\"operator\",\"version\":2}}",
		 id, now, op.pub_enc, op.pub_enc);
	char *op_jwt = jwt(&op, claims);

	jti(id);
	snprintf(claims, sizeof(claims),
		 "{\"jti\":\"%s\",\"iat\":%ld,\"iss\":\"%s\",\"name\":\"APP\",\"sub\":\"%s\","
		 "\"nats\":{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,"
		 "\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1,\"mem_storage\":-1,"
		 "\"disk_storage\":-1,\"streams\":-1,\"consumer\":-1,\"max_ack_pending\":-1,"
		 "\"mem_max_stream_bytes\":-1,\"disk_max_stream_bytes\":-1,"
		 "\"max_bytes_required\":false},\"default_permissions\":{\"pub\":{},\"sub\":{}},"
		 "\"type\":\"account\",\"version\":2}}",
		 id, now, op.pub_enc, acc.pub_enc);
	char *acc_jwt = jwt(&op, claims);

	/* JetStream in operator mode needs a system account. */
	jti(id);
	snprintf(claims, sizeof(claims),
		 "{\"jti\":\"%s\",\"iat\":%ld,\"iss\":\"%s\",\"name\":\"SYS\",\"sub\":\"%s\","
		 "\"nats\":{\"limits\":{\"subs\":-1,\"data\":-1,\"payload\":-1,\"imports\":-1,"
		 "\"exports\":-1,\"wildcards\":true,\"conn\":-1,\"leaf\":-1},"
		 "\"default_permissions\":{\"pub\":{},\"sub\":{}},\"type\":\"account\","
		 "\"version\":2}}",
		 id, now, op.pub_enc, sys.pub_enc);
	char *sys_jwt = jwt(&op, claims);

	jti(id);
	snprintf(claims, sizeof(claims),
		 "{\"jti\":\"%s\",\"iat\":%ld,\"iss\":\"%s\",\"name\":\"exporter\",\"sub\":\"%s\","
		 "\"nats\":{\"pub\":{},\"sub\":{},\"subs\":-1,\"data\":-1,\"payload\":-1,"
		 "\"type\":\"user\",\"version\":2}}",
		 id, now, acc.pub_enc, usr.pub_enc);
	char *usr_jwt = jwt(&acc, claims);

	write_file(argv[1], "operator.jwt", op_jwt);
	snprintf(text, sizeof(text),
		 "operator: \"%s/operator.jwt\"\nsystem_account: %s\nresolver: MEMORY\n"
		 "resolver_preload: {\n  %s: \"%s\"\n  %s: \"%s\"\n}\n",
		 argv[1], sys.pub_enc, acc.pub_enc, acc_jwt, sys.pub_enc, sys_jwt);
	write_file(argv[1], "server.conf", text);
	snprintf(text, sizeof(text),
		 "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n"
		 "************************* IMPORTANT *************************\n"
		 "NKEY Seed printed below can be used to sign and prove identity.\n"
		 "NKEYs are sensitive and should be treated as secrets.\n\n"
		 "-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n\n"
		 "*************************************************************\n",
		 usr_jwt, usr.seed_enc);
	write_file(argv[1], "user.creds", text);
	printf("%s\n", acc.pub_enc);

	free(op_jwt);
	free(acc_jwt);
	free(sys_jwt);
	EVP_PKEY_free(sys.pk);
	free(usr_jwt);
	EVP_PKEY_free(op.pk);
	EVP_PKEY_free(acc.pk);
	EVP_PKEY_free(usr.pk);
	return 0;
}
