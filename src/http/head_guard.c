/* http/head_guard.c — see head_guard.h. */
#include "http/head_guard.h"

#include "http/head_scan.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define MAX_FDS (1u << 20)

enum { G_HEAD, G_BODY, G_OFF, G_BAD };

/* A slot to itself in whole cache lines: the threads of neighbouring
 * descriptors write their slots on every receive. */
struct slot {
    _Alignas(64) const void *owner; /* the MHD connection; NULL: not followed */
    bool tls;
    unsigned char state;
    unsigned heads;    /* heads that ended (or broke a rule) on the connection */
    unsigned asked;    /* requests the pipeline asked about: MHD's request count */
    unsigned stop_at;  /* in G_OFF and G_BAD: the head (1-based) where following ended */
    unsigned long long body_left; /* in G_BODY */
    struct pail_head_stream head; /* in G_HEAD */
};

static struct slot *slots;
static size_t nslots;

int pail_head_guard_init(void)
{
    if (slots)
        return 0;
    struct rlimit rl;
    size_t n = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < MAX_FDS ? rl.rlim_cur : MAX_FDS;
    /* MAP_NORESERVE, untouched: a page is made when a descriptor on it is used */
    void *p = mmap(NULL, n * sizeof(struct slot), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    slots = p;
    nslots = n;
    return 0;
}

static struct slot *slot_of(int fd)
{
    return slots && fd >= 0 && (size_t)fd < nslots ? &slots[fd] : NULL;
}

void pail_head_guard_open(int fd, const void *owner, bool tls)
{
    struct slot *s = slot_of(fd);
    if (!s)
        return;
    s->owner = owner;
    s->tls = tls;
    s->state = G_HEAD;
    s->heads = s->asked = s->stop_at = 0;
    pail_head_stream_init(&s->head);
}

void pail_head_guard_close(int fd, const void *owner)
{
    struct slot *s = slot_of(fd);
    if (s && s->owner == owner)
        s->owner = NULL;
}

/* Pipelined requests: the guard may be heads ahead of MHD, so a verdict is
 * about the request MHD starts now, the connection's `asked`-th: the ones
 * before a broken head were fine. */
enum pail_guard pail_head_guard_verdict(int fd, const void *owner)
{
    struct slot *s = slot_of(fd);
    if (!s || s->owner != owner)
        return PAIL_GUARD_OK;
    s->asked++;
    if (s->state < G_OFF || s->asked < s->stop_at)
        return PAIL_GUARD_OK;
    return s->state == G_BAD ? PAIL_GUARD_BAD : PAIL_GUARD_LAST;
}

/* A head just ended: where its body ends, if the guard can tell. Content-
 * Length, or none (RFC 9112 §6.3: no body). A chunked body, or framing edge.c
 * refuses, ends the following. */
static void head_done(struct slot *s)
{
    const struct pail_head_stream *h = &s->head;
    s->heads++;
    if (h->chunked || h->content_lengths > 1 || h->length_bad) {
        s->state = G_OFF;
        s->stop_at = s->heads;
        return;
    }
    s->body_left = h->content_lengths ? h->length : 0;
    s->state = s->body_left ? G_BODY : G_HEAD;
    if (s->state == G_HEAD)
        pail_head_stream_init(&s->head);
}

void pail_head_guard_feed(int fd, bool from_tls, const void *buf, size_t n)
{
    struct slot *s = slot_of(fd);
    if (!s || !s->owner || s->tls != from_tls)
        return;
    const char *p = buf;
    while (n && s->state < G_OFF) {
        if (s->state == G_BODY) {
            size_t k = n < s->body_left ? n : (size_t)s->body_left;
            s->body_left -= k;
            p += k;
            n -= k;
            if (s->body_left == 0) {
                s->state = G_HEAD;
                pail_head_stream_init(&s->head);
            }
            continue;
        }
        if (s->head.n == 0 && (*p == '\r' || *p == '\n')) {
            p++, n--; /* empty lines before a request line (RFC 9112 §2.2) */
            continue;
        }
        size_t used = 0;
        enum pail_head h = pail_head_stream_feed(&s->head, p, n, SIZE_MAX, SIZE_MAX, &used);
        if (h == PAIL_HEAD_MORE)
            return;
        if (h != PAIL_HEAD_DONE) {
            s->state = G_BAD;
            s->stop_at = ++s->heads;
            return;
        }
        p += used;
        n -= used;
        head_done(s);
    }
}
