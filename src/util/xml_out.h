/* util/xml_out.h — a small escaping XML writer for S3 response documents.
 * Owns: element nesting (fixed stack, depth <= PAIL_XML_MAX_DEPTH) and text
 * escaping. Appends to a caller-owned struct pail_buf; never allocates
 * except through that buffer. Element names must be string literals (or
 * otherwise outlive the element): only the pointer is kept.
 *
 * Escaping of text and attribute values:
 *   & < > " '            -> &amp; &lt; &gt; &quot; &apos;
 *   CR                   -> &#xD;   (so it survives parsers' end-of-line normalisation)
 *   TAB, LF              -> literal
 *   other C0 controls    -> &#xN;   (what AWS S3 itself emits; NOTE: XML 1.0 forbids
 *                                    these even as references, so strict parsers
 *                                    reject such a document — clients must ask for
 *                                    encoding-type=url, as AWS documents)
 *   invalid UTF-8        -> U+FFFD, one per offending byte; U+FFFE/U+FFFF likewise
 *                           (the document stays well-formed; the bytes are lost)
 * Errors (buffer cap reached, depth > 16, bad name, close without open) are
 * sticky: later calls do nothing and pail_xml_end() reports them. */
#ifndef PAIL_UTIL_XML_OUT_H
#define PAIL_UTIL_XML_OUT_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_buf;

#define PAIL_XML_MAX_DEPTH 16
/* The namespace S3 documents are in. */
#define PAIL_XML_S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

struct pail_xml {
    struct pail_buf *buf;
    const char *stack[PAIL_XML_MAX_DEPTH];
    int depth;
    bool error; /* misuse or overflow seen; sticky */
};

/* Starts a document in buf (appending): writes the XML declaration
 * `<?xml version="1.0" encoding="UTF-8"?>` and a newline. */
void pail_xml_begin(struct pail_xml *x, struct pail_buf *buf);
/* Writes <name> and pushes it. */
void pail_xml_open(struct pail_xml *x, const char *name);
/* Writes <name xmlns="ns"> (ns escaped; NULL means PAIL_XML_S3_NS), pushes it. */
void pail_xml_open_ns(struct pail_xml *x, const char *name, const char *ns);
/* Writes the end tag of the innermost open element. */
void pail_xml_close(struct pail_xml *x);
/* <name>escaped text</name>; NULL text gives <name></name>. */
void pail_xml_elem(struct pail_xml *x, const char *name, const char *text);
/* Same with an explicit length (text need not be NUL-terminated; a NUL byte
 * is written as &#x0;). */
void pail_xml_elem_n(struct pail_xml *x, const char *name, const char *text, size_t n);
/* <name>escaped printf output</name>. */
void pail_xml_elemf(struct pail_xml *x, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* <name>decimal</name>. */
void pail_xml_elem_u64(struct pail_xml *x, const char *name, uint64_t v);
/* <name>true</name> or <name>false</name>. */
void pail_xml_elem_bool(struct pail_xml *x, const char *name, bool v);
/* Escaped character data inside the current element (for mixed writers). */
void pail_xml_text(struct pail_xml *x, const char *text, size_t n);
/* Closes every element still open. PAIL_OK, or PAIL_E_InternalError when any
 * earlier call failed (buffer cap, depth, bad name, unbalanced close): the
 * buffer then holds a partial document the caller must not send. */
enum pail_err pail_xml_end(struct pail_xml *x);

/* Appends n bytes of s to b, escaped as described above. false when b's cap
 * is reached. Usable on its own (e.g. for <Message> text). */
bool pail_xml_escape(struct pail_buf *b, const char *s, size_t n);

#endif
