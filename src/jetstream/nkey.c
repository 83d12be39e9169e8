/* nkey: decode a NATS user seed and derive its public key (see nkey.h).
 * Only the Ed25519 key derivation goes to libcrypto; base32 and the CRC are
 * here because they are a few lines and the format is fixed. */
#include "memacct/jetstream/nkey.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/evp.h>

#define PREFIX_SEED (18u << 3) /* 'S' */
#define PREFIX_USER (20u << 3) /* 'U' */
#define SEED_RAW_LEN 36	       /* 2 prefix + 32 seed + 2 crc */
#define SEED_ENC_LEN 58
#define PUB_RAW_LEN 35 /* 1 prefix + 32 key + 2 crc */

static const char b32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* CRC-16/XMODEM (poly 0x1021, init 0), as nkeys checks it. */
static uint16_t crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0;
	for (size_t i = 0; i < n; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int b = 0; b < 8; b++)
			crc =
			    (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

static int b32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Decodes exactly out_len bytes from enc[0..len); extra trailing bits must
 * be zero. */
static int b32_decode(const char *enc, size_t len, uint8_t *out, size_t out_len)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b32_value(enc[i]);
		if (v < 0)
			return -EINVAL;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == out_len)
				return -EINVAL;
			out[o++] = (uint8_t)(acc >> bits);
		}
		acc &= (1u << bits) - 1;
	}
	if (o != out_len || acc != 0)
		return -EINVAL;
	return 0;
}

static void b32_encode(const uint8_t *in, size_t n, char *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_alphabet[(acc >> bits) & 31];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b32_alphabet[(acc << (5 - bits)) & 31];
	out[o] = '\0';
}

int nkey_decode_user_seed(const char *enc, size_t len, uint8_t seed[32])
{
	uint8_t raw[SEED_RAW_LEN];
	int rc = -EINVAL;

	if (len != SEED_ENC_LEN || b32_decode(enc, len, raw, sizeof(raw)) < 0)
		goto out;
	if ((raw[0] & 0xF8u) != PREFIX_SEED)
		goto out;
	if ((((raw[0] & 7u) << 5) | ((raw[1] & 0xF8u) >> 3)) != PREFIX_USER)
		goto out;
	uint16_t want = (uint16_t)(raw[SEED_RAW_LEN - 2] | (raw[SEED_RAW_LEN - 1] << 8));
	if (crc16(raw, SEED_RAW_LEN - 2) != want)
		goto out;
	memcpy(seed, raw + 2, 32);
	rc = 0;
out:
	explicit_bzero(raw, sizeof(raw));
	return rc;
}

void nkey_encode_public(uint8_t prefix, const uint8_t pub[32], char out[NKEY_PUBLIC_LEN + 1])
{
	uint8_t raw[PUB_RAW_LEN];
	raw[0] = prefix;
	memcpy(raw + 1, pub, 32);
	uint16_t crc = crc16(raw, 33);
	raw[33] = (uint8_t)(crc & 0xFF);
	raw[34] = (uint8_t)(crc >> 8);
	b32_encode(raw, sizeof(raw), out);
}

void nkey_encode_user_public(const uint8_t pub[32], char out[NKEY_PUBLIC_LEN + 1])
{
	nkey_encode_public(PREFIX_USER, pub, out);
}

void nkey_encode_seed(uint8_t prefix, const uint8_t seed[32], char out[NKEY_SEED_LEN + 1])
{
	uint8_t raw[SEED_RAW_LEN];
	raw[0] = (uint8_t)(PREFIX_SEED | (prefix >> 5));
	raw[1] = (uint8_t)((prefix & 31u) << 3);
	memcpy(raw + 2, seed, 32);
	uint16_t crc = crc16(raw, SEED_RAW_LEN - 2);
	raw[SEED_RAW_LEN - 2] = (uint8_t)(crc & 0xFF);
	raw[SEED_RAW_LEN - 1] = (uint8_t)(crc >> 8);
	b32_encode(raw, sizeof(raw), out);
	explicit_bzero(raw, sizeof(raw));
}

static bool is_b32(char c)
{
	return b32_value(c) >= 0;
}

int nkey_public_from_seed_text(const char *text, size_t len, char out[NKEY_PUBLIC_LEN + 1])
{
	uint8_t seed[32], pub[32];
	int rc = -EINVAL;
	EVP_PKEY *pk = NULL;

	/* The first run of base32 characters that starts "SU" and is exactly
	 * a seed long. */
	for (size_t i = 0; i + 1 < len; i++) {
		if (text[i] != 'S' || text[i + 1] != 'U' || (i > 0 && is_b32(text[i - 1])))
			continue;
		size_t n = 0;
		while (i + n < len && is_b32(text[i + n]))
			n++;
		if (n == SEED_ENC_LEN && nkey_decode_user_seed(text + i, n, seed) == 0) {
			rc = 0;
			break;
		}
	}
	if (rc < 0)
		goto out;

	pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	size_t plen = sizeof(pub);
	if (!pk || EVP_PKEY_get_raw_public_key(pk, pub, &plen) != 1 || plen != sizeof(pub)) {
		rc = -ENOTSUP;
		goto out;
	}
	nkey_encode_user_public(pub, out);
out:
	EVP_PKEY_free(pk);
	explicit_bzero(seed, sizeof(seed));
	return rc;
}
