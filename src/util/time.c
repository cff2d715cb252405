/* util/time.c — see time.h. Formatting goes through gmtime_r and fixed-width
 * digit writers with our own name tables; parsing is a hand-written scanner per format that
 * validates every field and hands a struct tm to timegm(). */
#include "util/time.h"

#include <string.h>
#include <strings.h>

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z: keeps every output within
 * its fixed width. */
#define MIN_T (-62167219200LL)
#define MAX_T (253402300799LL)

static const char wday_short[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const wday_long[7] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                         "Thursday", "Friday", "Saturday"};
static const char month_short[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* ---- formatting ---------------------------------------------------------- */

static void utc(int64_t t, struct tm *tm)
{
    if (t < MIN_T)
        t = MIN_T;
    if (t > MAX_T)
        t = MAX_T;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, tm))
        memset(tm, 0, sizeof(*tm)); /* unreachable within the clamp */
}

/* Writes v zero-padded to exactly width digits (v fits: the clamp bounds
 * every field); returns the position after it. Fixed widths by
 * construction, so no snprintf truncation to reason about. */
static char *put(char *p, int v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

void pail_time_iso8601(int64_t ms, char out[32])
{
    int64_t sec = ms / 1000, rem = ms % 1000;
    if (rem < 0) { /* floor, so -1 ms is 23:59:59.999 of the day before */
        rem += 1000;
        sec--;
    }
    if (sec < MIN_T)
        rem = 0;
    if (sec > MAX_T)
        rem = 999;
    struct tm tm;
    utc(sec, &tm);
    char *p = put(out, tm.tm_year + 1900, 4);
    *p++ = '-';
    p = put(p, tm.tm_mon + 1, 2);
    *p++ = '-';
    p = put(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = put(p, tm.tm_hour, 2);
    *p++ = ':';
    p = put(p, tm.tm_min, 2);
    *p++ = ':';
    p = put(p, tm.tm_sec, 2);
    *p++ = '.';
    p = put(p, (int)rem, 3);
    *p++ = 'Z';
    *p = 0;
}

/* "HH:MM:SS" */
static char *put_hms(char *p, const struct tm *tm)
{
    p = put(p, tm->tm_hour, 2);
    *p++ = ':';
    p = put(p, tm->tm_min, 2);
    *p++ = ':';
    return put(p, tm->tm_sec, 2);
}

void pail_time_http(time_t t, char out[40])
{
    struct tm tm;
    utc(t, &tm);
    char *p = put_str(out, wday_short[tm.tm_wday]);
    p = put_str(p, ", ");
    p = put(p, tm.tm_mday, 2);
    *p++ = ' ';
    p = put_str(p, month_short[tm.tm_mon]);
    *p++ = ' ';
    p = put(p, tm.tm_year + 1900, 4);
    *p++ = ' ';
    p = put_hms(p, &tm);
    p = put_str(p, " GMT");
    *p = 0;
}

void pail_time_amz(time_t t, char out[20])
{
    struct tm tm;
    utc(t, &tm);
    char *p = put(out, tm.tm_year + 1900, 4);
    p = put(p, tm.tm_mon + 1, 2);
    p = put(p, tm.tm_mday, 2);
    *p++ = 'T';
    p = put(p, tm.tm_hour, 2);
    p = put(p, tm.tm_min, 2);
    p = put(p, tm.tm_sec, 2);
    *p++ = 'Z';
    *p = 0;
}

int64_t pail_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- scanning helpers ----------------------------------------------------- */

/* Exactly n digits at *p into *v; advances *p. */
static bool num(const char **p, int n, int *v)
{
    int r = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        r = r * 10 + (c - '0');
    }
    *p += n;
    *v = r;
    return true;
}

/* The literal lit at *p; advances *p. */
static bool lit(const char **p, const char *l)
{
    size_t n = strlen(l);
    if (strncmp(*p, l, n) != 0)
        return false;
    *p += n;
    return true;
}

/* A three-letter month name (any case) into 0..11; advances *p. */
static bool month(const char **p, int *mon)
{
    for (int i = 0; i < 12; i++)
        if (strncasecmp(*p, month_short[i], 3) == 0) {
            *p += 3;
            *mon = i;
            return true;
        }
    return false;
}

/* A weekday name, short or long form as asked (any case); advances *p. The
 * name is checked for spelling only: RFC 9110 lets us ignore a mismatch. */
static bool weekday(const char **p, bool long_form)
{
    for (int i = 0; i < 7; i++) {
        const char *name = long_form ? wday_long[i] : wday_short[i];
        size_t n = strlen(name);
        if (strncasecmp(*p, name, n) == 0) {
            *p += n;
            return true;
        }
    }
    return false;
}

/* "HH:MM:SS" into tm. */
static bool clock_hms(const char **p, struct tm *tm)
{
    return num(p, 2, &tm->tm_hour) && lit(p, ":") && num(p, 2, &tm->tm_min) &&
           lit(p, ":") && num(p, 2, &tm->tm_sec);
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Range-checks tm (year as the full year in tm_year for now) and converts it
 * with timegm. Seconds may be 60 (a leap second; timegm rolls it over). */
static bool finish(struct tm *tm, int year, time_t *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 0 || year > 9999 || tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1)
        return false;
    int dim = mdays[tm->tm_mon] + (tm->tm_mon == 1 && leap(year));
    if (tm->tm_mday > dim || tm->tm_hour > 23 || tm->tm_min > 59 || tm->tm_sec > 60)
        return false;
    tm->tm_year = year - 1900;
    tm->tm_isdst = 0;
    *out = timegm(tm);
    return true;
}

/* Width of a day-of-month that may be written with one digit. */
static int day_width(const char *p)
{
    return (p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9') ? 2 : 1;
}

static void skip_spaces(const char **p)
{
    while (**p == ' ' || **p == '\t')
        (*p)++;
}

/* ---- HTTP dates ----------------------------------------------------------- */

static bool zone_gmt(const char **p)
{
    /* Python's email.utils.formatdate() (botocore with a Date header) says -0000. */
    return lit(p, "GMT") || lit(p, "UTC") || lit(p, "+0000") || lit(p, "-0000");
}

/* Two-digit years: RFC 9110 §5.6.7 — never more than 50 years ahead. */
static int rfc850_year(int yy)
{
    struct tm now;
    time_t t = time(NULL);
    int cur = gmtime_r(&t, &now) ? now.tm_year + 1900 : 2000;
    int y = cur - cur % 100 + yy;
    return y > cur + 50 ? y - 100 : y;
}

/* "06 Nov 1994 08:49:37 GMT" (day may be one digit: lenient). */
static bool parse_1123(const char *p, struct tm *tm, int *year)
{
    if (!lit(&p, " ") || !num(&p, day_width(p), &tm->tm_mday))
        return false;
    if (!lit(&p, " ") || !month(&p, &tm->tm_mon) || !lit(&p, " ") || !num(&p, 4, year) ||
        !lit(&p, " ") || !clock_hms(&p, tm) || !lit(&p, " ") || !zone_gmt(&p))
        return false;
    skip_spaces(&p);
    return *p == 0;
}

/* "06-Nov-94 08:49:37 GMT" */
static bool parse_850(const char *p, struct tm *tm, int *year)
{
    int yy;
    if (!lit(&p, " ") || !num(&p, 2, &tm->tm_mday) || !lit(&p, "-") ||
        !month(&p, &tm->tm_mon) || !lit(&p, "-") || !num(&p, 2, &yy) || !lit(&p, " ") ||
        !clock_hms(&p, tm) || !lit(&p, " ") || !zone_gmt(&p))
        return false;
    skip_spaces(&p);
    *year = rfc850_year(yy);
    return *p == 0;
}

/* "Nov  6 08:49:37 1994" (after the weekday and its space). */
static bool parse_asctime(const char *p, struct tm *tm, int *year)
{
    if (!month(&p, &tm->tm_mon) || !lit(&p, " "))
        return false;
    if (*p == ' ')
        p++;
    if (!num(&p, day_width(p), &tm->tm_mday) || !lit(&p, " ") ||
        !clock_hms(&p, tm) || !lit(&p, " ") || !num(&p, 4, year))
        return false;
    skip_spaces(&p);
    return *p == 0;
}

bool pail_time_parse_http(const char *s, time_t *out)
{
    if (!s)
        return false;
    struct tm tm = {0};
    int year = 0;
    const char *p = s;
    skip_spaces(&p);
    const char *start = p;
    bool ok;
    if (weekday(&p, false) && *p == ',') /* IMF-fixdate */
        ok = parse_1123(p + 1, &tm, &year);
    else if (p = start, weekday(&p, true) && *p == ',') /* RFC 850 */
        ok = parse_850(p + 1, &tm, &year);
    else if (p = start, weekday(&p, false) && *p == ' ') /* asctime */
        ok = parse_asctime(p + 1, &tm, &year);
    else
        ok = false;
    return ok && finish(&tm, year, out);
}

/* ---- x-amz-date and ISO 8601 ---------------------------------------------- */

bool pail_time_parse_amz(const char *s, time_t *out)
{
    if (!s)
        return false;
    struct tm tm = {0};
    int year, mon;
    const char *p = s;
    if (!num(&p, 4, &year) || !num(&p, 2, &mon) || !num(&p, 2, &tm.tm_mday) ||
        !lit(&p, "T") || !num(&p, 2, &tm.tm_hour) || !num(&p, 2, &tm.tm_min) ||
        !num(&p, 2, &tm.tm_sec) || !lit(&p, "Z") || *p)
        return false;
    tm.tm_mon = mon - 1;
    return finish(&tm, year, out);
}

/* "Z", "+HH:MM", "-HH:MM", "+HHMM", "-HHMM" into seconds east of UTC. */
static bool zone_offset(const char **p, int *off)
{
    if (lit(p, "Z")) {
        *off = 0;
        return true;
    }
    int sign = **p == '+' ? 1 : **p == '-' ? -1 : 0, hh, mm;
    if (!sign)
        return false;
    (*p)++;
    if (!num(p, 2, &hh))
        return false;
    if (**p == ':')
        (*p)++;
    if (!num(p, 2, &mm) || hh > 23 || mm > 59)
        return false;
    *off = sign * (hh * 3600 + mm * 60);
    return true;
}

bool pail_time_parse_iso8601(const char *s, time_t *out)
{
    if (!s)
        return false;
    struct tm tm = {0};
    int year, mon, off;
    const char *p = s;
    if (!num(&p, 4, &year) || !lit(&p, "-") || !num(&p, 2, &mon) || !lit(&p, "-") ||
        !num(&p, 2, &tm.tm_mday) || !lit(&p, "T") || !clock_hms(&p, &tm))
        return false;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (!zone_offset(&p, &off) || *p)
        return false;
    tm.tm_mon = mon - 1;
    time_t t;
    if (!finish(&tm, year, &t))
        return false;
    *out = t - off;
    return true;
}
