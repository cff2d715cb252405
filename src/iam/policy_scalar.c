/* iam/policy_scalar.c — the typed values of condition operators: numbers
 * (Numeric*), dates (Date*), IP addresses and CIDRs (IpAddress), booleans
 * (Bool). Parsed the same way from a policy at compile time and from the
 * request context at evaluation. Locale-independent, no allocation, no
 * libm. IAM User Guide, "IAM JSON policy elements: Condition operators". */
#include "iam/policy_int.h"

#include <arpa/inet.h>
#include <string.h>

static bool digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ---- Numbers ------------------------------------------------------------ */

static double pow10i(int e)
{
    double r = 1, b = 10;
    for (unsigned n = (unsigned)(e < 0 ? -e : e); n; n >>= 1, b *= b)
        if (n & 1)
            r *= b;
    return e < 0 ? 1 / r : r;
}

/* Optional exponent at *p into *e; false when malformed. */
static bool parse_exp(const char **p, int *e)
{
    if (**p != 'e' && **p != 'E')
        return true;
    const char *q = *p + 1;
    bool neg = *q == '-';
    if (*q == '+' || *q == '-')
        q++;
    if (!digit(*q))
        return false;
    int v = 0;
    for (; digit(*q); q++)
        if (v < 10000)
            v = v * 10 + (*q - '0');
    *e = neg ? -v : v;
    *p = q;
    return true;
}

bool pail__num_parse(const char *s, struct pail__num *out)
{
    const char *p = s;
    bool neg = *p == '-';
    if (*p == '+' || *p == '-')
        p++;
    if (!digit(*p) && !(*p == '.' && digit(p[1])))
        return false;
    uint64_t iv = 0;
    bool fits = true;
    double m = 0;
    int scale = 0, e = 0;
    for (; digit(*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        m = m * 10 + d;
        fits = fits && iv <= (UINT64_MAX - d) / 10;
        iv = iv * 10 + d;
    }
    bool frac = *p == '.';
    if (frac)
        for (p++; digit(*p); p++, scale--)
            m = m * 10 + (*p - '0');
    if (!parse_exp(&p, &e) || *p)
        return false;
    out->d = (neg ? -m : m) * pow10i(scale + e);
    out->isint = !frac && e == 0 && fits && iv <= (uint64_t)INT64_MAX + neg;
    out->i = out->isint ? (neg ? (int64_t)(0 - iv) : (int64_t)iv) : 0;
    return true;
}

int pail__num_cmp(const struct pail__num *a, const struct pail__num *b)
{
    if (a->isint && b->isint)
        return (a->i > b->i) - (a->i < b->i);
    double x = a->isint ? (double)a->i : a->d, y = b->isint ? (double)b->i : b->d;
    return (x > y) - (x < y);
}

/* ---- Dates -------------------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Exactly n digits at *p into *v. */
static bool fixed(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!digit(**p))
            return false;
        *v = *v * 10 + (**p - '0');
    }
    return true;
}

/* ".digits" into milliseconds (extra digits dropped). */
static int fraction_ms(const char **p)
{
    int ms = 0, k = 0;
    if (**p != '.' || !digit((*p)[1]))
        return 0;
    for ((*p)++; digit(**p); (*p)++, k++)
        if (k < 3)
            ms = ms * 10 + (**p - '0');
    for (; k < 3; k++)
        ms *= 10;
    return ms;
}

/* "", "Z", "+HH", "+HH:MM", "+HHMM" (or '-') into seconds east of UTC. */
static bool zone(const char *p, int64_t *off)
{
    int h = 0, m = 0;
    *off = 0;
    if (*p == 0 || ((*p == 'Z' || *p == 'z') && p[1] == 0))
        return true;
    if (*p != '+' && *p != '-')
        return false;
    int sign = *p++ == '-' ? -1 : 1;
    if (!fixed(&p, 2, &h))
        return false;
    if (*p == ':')
        p++;
    if (*p && !fixed(&p, 2, &m))
        return false;
    if (*p || h > 23 || m > 59)
        return false;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

/* "[T HH:MM[:SS[.fff]]]" after a date: seconds and ms into the day. */
static bool clock_part(const char **p, int64_t *sec, int *ms)
{
    int hh = 0, mi = 0, ss = 0;
    *sec = 0;
    *ms = 0;
    if (**p != 'T' && **p != 't' && **p != ' ')
        return true;
    (*p)++;
    if (!fixed(p, 2, &hh) || *(*p)++ != ':' || !fixed(p, 2, &mi))
        return false;
    if (**p == ':') {
        (*p)++;
        if (!fixed(p, 2, &ss))
            return false;
        *ms = fraction_ms(p);
    }
    if (hh > 23 || mi > 59 || ss > 60)
        return false;
    *sec = hh * 3600 + mi * 60 + ss;
    return true;
}

static bool iso_date(const char *s, int64_t *ms)
{
    const char *p = s;
    int y, mo, d, frac;
    int64_t sec, off;
    if (!fixed(&p, 4, &y) || *p++ != '-' || !fixed(&p, 2, &mo) || *p++ != '-' ||
        !fixed(&p, 2, &d))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return false;
    if (!clock_part(&p, &sec, &frac) || !zone(p, &off))
        return false;
    *ms = ((days_from_civil(y, mo, d) * 86400 + sec - off) * 1000) + frac;
    return true;
}

/* Seconds since the epoch, optionally with a fraction. */
static bool epoch_date(const char *s, int64_t *ms)
{
    const char *p = s;
    int64_t v = 0;
    int n = 0;
    for (; digit(*p); p++, n++) {
        if (n == 15)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (n == 0)
        return false;
    int frac = fraction_ms(&p);
    if (*p)
        return false;
    *ms = v * 1000 + frac;
    return true;
}

bool pail__date_parse(const char *s, int64_t *ms)
{
    return iso_date(s, ms) || epoch_date(s, ms);
}

/* ---- IP addresses ------------------------------------------------------- */

static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool prefix_len(const char *p, int max, int *bits)
{
    int v = 0, n = 0;
    /* Past three digits the prefix is refused anyway; stop adding them up so
     * that "/4444444444" cannot overflow v (found by fuzz/policy.c). */
    for (; digit(*p); p++, n++)
        if (n < 3)
            v = v * 10 + (*p - '0');
    if (*p || n == 0 || n > 3 || v > max)
        return false;
    *bits = v;
    return true;
}

bool pail__cidr_parse(const char *s, bool allow_prefix, struct pail__cidr *out)
{
    char buf[INET6_ADDRSTRLEN + 8];
    const char *slash = strchr(s, '/');
    size_t alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen == 0 || alen >= sizeof(buf) || (slash && !allow_prefix))
        return false;
    memcpy(buf, s, alen);
    buf[alen] = 0;
    memset(out, 0, sizeof(*out));
    bool v6 = memchr(buf, ':', alen) != NULL;
    if (inet_pton(v6 ? AF_INET6 : AF_INET, buf, out->a) != 1)
        return false;
    int max = v6 ? 128 : 32, bits = max;
    if (slash && !prefix_len(slash + 1, max, &bits))
        return false;
    out->fam = v6 ? 6 : 4;
    if (v6 && bits >= 96 && memcmp(out->a, v4mapped, 12) == 0) {
        memmove(out->a, out->a + 12, 4);
        memset(out->a + 4, 0, 12);
        out->fam = 4;
        bits -= 96;
    }
    out->bits = (uint8_t)bits;
    return true;
}

bool pail__cidr_contains(const struct pail__cidr *net, const struct pail__cidr *ip)
{
    if (net->fam != ip->fam)
        return false;
    unsigned whole = net->bits / 8, rest = net->bits % 8;
    if (memcmp(net->a, ip->a, whole) != 0)
        return false;
    uint8_t mask = (uint8_t)(0xff00 >> rest);
    return rest == 0 || ((net->a[whole] ^ ip->a[whole]) & mask) == 0;
}

/* ---- Booleans ----------------------------------------------------------- */

static bool ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        if (x != *b)
            return false;
    }
    return *a == *b;
}

bool pail__bool_parse(const char *s, bool *out)
{
    if (ascii_ieq(s, "true"))
        return *out = true, true;
    if (ascii_ieq(s, "false"))
        return *out = false, true;
    return false;
}
