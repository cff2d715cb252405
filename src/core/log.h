/* core/log.h — one-line logs to stderr, serialised across threads. */
#ifndef PAIL_CORE_LOG_H
#define PAIL_CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum pail_log_level { PAIL_LOG_DEBUG, PAIL_LOG_INFO, PAIL_LOG_WARN, PAIL_LOG_ERROR };

void pail_log_set_level(enum pail_log_level l);
/* JSON lines for log collectors: every line is one object,
 * {"time":"…Z","level":"info","msg":"…"}; an access line's text is then
 * JSON members ("k":v,...) that take the place of "msg". Set before the
 * server starts. */
void pail_log_set_json(bool on);
bool pail_log_json(void);
/* s[0..n) as the inside of a JSON string into out (at most cap bytes):
 * quotes, backslashes and control characters escaped, bytes that are not
 * UTF-8 replaced by U+FFFD; stops before what would not fit. Returns the
 * length written. */
size_t pail_log_json_str(char *out, size_t cap, const char *s, size_t n);
void pail_log(enum pail_log_level l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* An info line for the access log, already formatted (n bytes, no newline:
 * printf is a visible share of a small request): buffered and written within 100 ms by a
 * thread of its own (sooner when the buffer fills or another line is
 * logged), so a request costs no system call for it. A process killed with
 * SIGKILL may lose the last 100 ms of access lines; nothing else. */
void pail_log_access(const char *text, size_t n);

#define pail_info(...) pail_log(PAIL_LOG_INFO, __VA_ARGS__)
#define pail_warn(...) pail_log(PAIL_LOG_WARN, __VA_ARGS__)
#define pail_error(...) pail_log(PAIL_LOG_ERROR, __VA_ARGS__)

#endif
