/* util/time.h — the timestamp formats S3 speaks, formatted and parsed in UTC.
 * Owns: ISO 8601 (XML bodies: LastModified, Initiated…), IMF-fixdate (HTTP
 * Last-Modified/Date), the obsolete HTTP date forms (If-Modified-Since and
 * friends, SigV2 Date) and the compact x-amz-date form (SigV4).
 * Locale-independent: month and day names are our own tables, never
 * strftime/strptime. Output buffers are caller-owned; parsers never allocate. */
#ifndef PAIL_UTIL_TIME_H
#define PAIL_UTIL_TIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* ms since the epoch -> "2019-01-01T00:00:00.000Z" (24 chars + NUL; years
 * outside 0000..9999 are clamped to the ends of that range). */
void pail_time_iso8601(int64_t ms, char out[32]);
/* -> "Wed, 21 Oct 2015 07:28:00 GMT" (IMF-fixdate, RFC 9110 §5.6.7; 29 chars
 * + NUL; clamped like pail_time_iso8601). */
void pail_time_http(time_t t, char out[40]);
/* -> "20130524T000000Z" (x-amz-date, 16 chars + NUL; clamped likewise). */
void pail_time_amz(time_t t, char out[20]);
/* Parses an HTTP date in any of the three forms RFC 9110 §5.6.7 says a
 * recipient must accept: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850
 * "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years resolved per RFC 9110:
 * never more than 50 years ahead), asctime "Sun Nov  6 08:49:37 1994".
 * Names are matched case-insensitively; "UTC" and "+0000" are accepted for
 * "GMT". false (and *out untouched) on anything else or an impossible date. */
bool pail_time_parse_http(const char *s, time_t *out);
/* Parses exactly "YYYYMMDDTHHMMSSZ" (x-amz-date / SigV4). false otherwise. */
bool pail_time_parse_amz(const char *s, time_t *out);
/* Parses "YYYY-MM-DDTHH:MM:SS" with optional fraction (any digits, dropped)
 * and a zone of "Z", "+HH:MM", "-HH:MM", "+HHMM" or "-HHMM" (required). */
bool pail_time_parse_iso8601(const char *s, time_t *out);
/* Wall-clock now in ms since the epoch (CLOCK_REALTIME). */
int64_t pail_time_now_ms(void);

#endif
