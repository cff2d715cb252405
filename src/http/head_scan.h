/* http/head_scan.h — the raw-byte rules of an HTTP/1.1 request head (request
 * line, header fields, blank line: RFC 9112 §2-§5), checked on the bytes as
 * they arrive, before libmicrohttpd parses them; on a TLS port, the first
 * record's shape instead (what follows is ciphertext). MHD 0.9.75 joins a folded
 * line into the field name ("X-A: a\r\n b" arrives as field "X-Ab"), cuts a
 * value at a NUL and takes a bare CR for a line end, so these rules cannot be
 * checked on what it hands on. Pure: no I/O, no allocation. */
#ifndef PAIL_HTTP_HEAD_SCAN_H
#define PAIL_HTTP_HEAD_SCAN_H

#include <stddef.h>

enum pail_head {
    PAIL_HEAD_MORE,    /* valid so far, the blank line not yet there */
    PAIL_HEAD_DONE,    /* a complete, valid head: hand it on */
    PAIL_HEAD_BAD,     /* breaks a rule: 400 and close */
    PAIL_HEAD_TOO_BIG, /* no blank line within the limit: 431 and close */
};

/* Scans the first n bytes a client sent on a new connection. limit: the
 * most bytes a head may take, its blank line included; n may exceed it. On
 * PAIL_HEAD_DONE, *head_len (when not NULL) is the head's length.
 * Refused: a first byte that is not an uppercase letter (every method starts
 * with one; a TLS ClientHello starts with 0x16), a request line other than
 * "TOKEN SP target SP HTTP/1.DIGIT", a line that starts with SP or HTAB after
 * the request line (obsolete line folding), a field line without a colon,
 * a NUL or a control character other than HTAB anywhere, a CR not followed
 * by LF. Lines may end in CRLF or a bare LF (RFC 9112 §2.2 allows a server to
 * accept it, and MHD does). */
enum pail_head pail_head_scan(const char *buf, size_t n, size_t limit, size_t *head_len);
/* The same, TOO_BIG also past max_fields header field lines. */
enum pail_head pail_head_scan_fields(const char *buf, size_t n, size_t limit, size_t max_fields,
                                     size_t *head_len);

/* The same rules on a head that arrives in pieces, for the bytes libmicrohttpd
 * reads itself (keep-alive requests after the first, TLS): a few bytes of
 * state instead of the whole head. It also reads the two fields that frame
 * the body (RFC 9112 §6.3), so that whoever follows a connection knows where
 * the next head begins. Zero it (or pail_head_stream_init) for each head. */
struct pail_head_stream {
    size_t n;              /* bytes of the head so far */
    size_t line;           /* bytes of the current line so far, CR not counted */
    size_t fields;         /* field lines ended */
    unsigned char rl;      /* where in the request line (head_scan.c) */
    unsigned char ver;     /* bytes of "HTTP/1.D" matched */
    unsigned char cr;      /* the last byte was a CR */
    unsigned char colon;   /* 0 none yet in this field line, 1 after a name, 2 first */
    unsigned char fld;     /* the field this line holds: 0 other, 1 Content-Length,
                              2 Transfer-Encoding */
    unsigned char val;     /* Content-Length value: 0 before, 1 digits, 2 blanks after */
    unsigned char name_len; /* of name (longer names are no framing field) */
    char name[18];          /* the field name so far, lower-case */
    /* framing, valid once the head is DONE */
    unsigned content_lengths;  /* Content-Length fields */
    unsigned long long length; /* the (last) Content-Length value */
    unsigned char length_bad;  /* a Content-Length that is not one number */
    unsigned char chunked;     /* a Transfer-Encoding field was there */
};

void pail_head_stream_init(struct pail_head_stream *s);
/* Feeds the next n bytes of the head. PAIL_HEAD_MORE: all taken, not done;
 * PAIL_HEAD_DONE: *used (not NULL) bytes of buf ended the head, the rest is
 * the body or the next request; BAD, TOO_BIG as pail_head_scan_fields. Once
 * it is not MORE, feeding again is undefined: init the stream first. */
enum pail_head pail_head_stream_feed(struct pail_head_stream *s, const char *buf, size_t n,
                                     size_t limit, size_t max_fields, size_t *used);

/* On a TLS port, what the doorman can judge before handing over: the first
 * TLS record, which must be a handshake (content type 22, version 3.x; RFC
 * 8446 §5.1) with its ClientHello. PAIL_HEAD_DONE once the whole record is
 * there (or limit bytes of it: a hello may be longer than the peek), MORE
 * before, BAD for anything else; *plain_http says whether the bytes look like
 * a plain-HTTP request instead (a client told http:// for an https:// port),
 * which is worth an answer it can read. */
enum pail_head pail_hello_scan(const char *buf, size_t n, size_t limit, int *plain_http);

#endif
