/* nkey: reads a NATS user NKey seed ("SU...", as `nk -gen user` or nsc write
 * it) and derives its public key ("U..."), which the CONNECT protocol needs
 * beside the nonce signature. cnats 3.4.1 signs from a seed file but has no
 * call that derives the public key, so we do it here (Ed25519 through
 * OpenSSL's libcrypto). It does not sign and never talks to a server.
 *
 * Encoding (github.com/nats-io/nkeys): base32 (RFC 4648, no padding) of
 * prefix byte(s) + 32 key bytes + CRC-16/XMODEM little-endian. */
#ifndef MEMACCT_NKEY_H
#define MEMACCT_NKEY_H

#include <stddef.h>
#include <stdint.h>

#define NKEY_PUBLIC_LEN 56 /* characters of an encoded public key */
#define NKEY_SEED_LEN 58   /* characters of an encoded seed */

/* Prefix bytes of the key types (nkeys' PrefixByte*). */
#define NKEY_PREFIX_OPERATOR (14u << 3) /* 'O' */
#define NKEY_PREFIX_ACCOUNT (0u)	/* 'A' */
#define NKEY_PREFIX_USER (20u << 3)	/* 'U' */

/* Decodes an encoded user seed (58 characters, "SU...") into its 32-byte
 * Ed25519 seed. -EINVAL when it is not a user seed or the checksum fails. */
int nkey_decode_user_seed(const char *enc, size_t len, uint8_t seed[32]);

/* Encodes a 32-byte Ed25519 public key of the given type (an
 * NKEY_PREFIX_*): out gets NKEY_PUBLIC_LEN characters and a NUL. */
void nkey_encode_public(uint8_t prefix, const uint8_t pub[32], char out[NKEY_PUBLIC_LEN + 1]);
/* The user one ("U..."). */
void nkey_encode_user_public(const uint8_t pub[32], char out[NKEY_PUBLIC_LEN + 1]);
/* Encodes a 32-byte Ed25519 seed of the given type ("SO...", "SA...",
 * "SU..."): out gets NKEY_SEED_LEN characters and a NUL. */
void nkey_encode_seed(uint8_t prefix, const uint8_t seed[32], char out[NKEY_SEED_LEN + 1]);

/* Finds the first "SU..." seed in text (a seed file may hold comments and
 * other lines, like a .creds file) and writes its public key to out.
 * Returns 0, -EINVAL when no valid user seed is there, -ENOTSUP when libcrypto
 * has no Ed25519. The seed copy on the stack is wiped before return. */
int nkey_public_from_seed_text(const char *text, size_t len, char out[NKEY_PUBLIC_LEN + 1]);

#endif
