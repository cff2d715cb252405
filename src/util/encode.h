/* util/encode.h — hex, base64 and AWS URI encoding. Pure functions, no I/O.
 * Output buffers are caller-owned; sizes are stated per function. */
#ifndef PAIL_UTIL_ENCODE_H
#define PAIL_UTIL_ENCODE_H

#include <stdbool.h>
#include <stddef.h>

struct pail_buf;

/* Lowercase hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void pail_hex(const unsigned char *p, size_t n, char *out);
/* Lower-cases the ASCII letters of s in place (header names, RFC 9110). */
void pail_ascii_lower(char *s);
/* Value of one hex digit (either case), or -1. */
int pail_hex_value(int c);
/* Parses exactly 2*n hex digits (either case) into out; false if malformed. */
bool pail_unhex(const char *s, unsigned char *out, size_t n);
/* Standard base64 with padding of n bytes into out (4*((n+2)/3)+1 bytes). */
void pail_base64(const unsigned char *p, size_t n, char *out);
/* Decodes strict padded base64 into out (capacity cap); returns length or -1. */
long pail_unbase64(const char *s, unsigned char *out, size_t cap);
/* True when n bytes of s are well-formed UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF). */
bool pail_utf8_valid(const char *s, size_t n);
/* AWS SigV4 URI encoding (RFC 3986 unreserved kept; everything else %XX
 * uppercase). encode_slash=false keeps '/' (for paths). Appends to b. */
bool pail_uri_encode(struct pail_buf *b, const char *s, size_t n, bool encode_slash);
/* Percent-decodes n bytes of s into out (capacity >= n+1); plus_is_space turns
 * '+' into ' ' (form-encoding). Returns decoded length, or -1 on a bad escape. */
long pail_uri_decode(const char *s, size_t n, char *out, bool plus_is_space);

/* The request-target t with the values of the credentials a log must not
 * show (Signature, X-Amz-Signature, X-Amz-Security-Token) replaced by
 * "REDACTED": a presigned URL's signature can be replayed until it expires,
 * and a session token is half a credential. Writes at most cap bytes to out
 * (no NUL) and returns how many. */
size_t pail_redact_target(const char *t, char *out, size_t cap);

#endif
