/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF", 2012): a keyed 64-bit
 * MAC over short inputs. Used to sign our Via branch and to derive stateless To tags.
 *
 * One-shot over one buffer, or streaming (init, update any number of times, final) so that a
 * MAC over several header values needs no copy of them into one buffer. Pure C, no
 * allocation, any thread.
 */
#ifndef SIPSTEER_DP_SIPHASH_H
#define SIPSTEER_DP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* State of one SipHash-2-4 computation; lives on the caller's stack. */
struct dp_siphash {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;  /* the last 0..7 input bytes not yet compressed, little-endian */
	uint64_t total; /* input bytes so far (only the low 8 bits enter the MAC) */
	unsigned ntail;
};

/* The 128-bit key as two words: k0 = bytes 0..7, k1 = bytes 8..15, both little-endian. */
void dp_siphash_key(uint64_t key[2], const uint8_t bytes[16]);

void dp_siphash_init(struct dp_siphash *s, const uint64_t key[2]);
void dp_siphash_update(struct dp_siphash *s, const void *data, size_t len);
/* The MAC of everything given to update; s is left unchanged (final may be called again). */
uint64_t dp_siphash_final(const struct dp_siphash *s);

/* One-shot SipHash-2-4 of data[0..len). */
uint64_t dp_siphash24(const uint64_t key[2], const void *data, size_t len);

#endif
