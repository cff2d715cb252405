/* http/form_multipart.h — streaming parser for the multipart/form-data body of
 * S3's POST Object (browser-based uploads: HTML forms, boto3's
 * generate_presigned_post, the JS SDK's createPresignedPost, SigV2 forms).
 * Owns: the boundary taken from the request's Content-Type, the framing of
 * RFC 2046 §5.1.1 / RFC 7578 (delimiter = CRLF "--" boundary; the first may
 * come without its CRLF; preamble and epilogue ignored), the part headers
 * (Content-Disposition's name and filename, Content-Type), and S3's rules on
 * top: the part named "file" (case-insensitive) is the upload, the fields
 * before it are delivered whole, everything after it is ignored ("The file or
 * content must be the last field in the form").
 *
 * A push parser: input may be split at any byte. Memory is bounded whatever
 * the size of the upload: one field value (PAIL_FORM_FIELD_MAX) and one
 * part's headers (PAIL_FORM_HEADERS_MAX); file data flows to the callback as
 * soon as it is proven not to be a delimiter, held back for at most the
 * delimiter's length. No policy here: which fields mean what is
 * auth/post_policy.h's and the handler's business. State lives in the arena
 * it was made in. */
#ifndef PAIL_HTTP_FORM_MULTIPART_H
#define PAIL_HTTP_FORM_MULTIPART_H

#include "core/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pail_arena;
struct pail_form;

#define PAIL_FORM_FIELD_MAX (20 * 1024)        /* one non-file field's value */
#define PAIL_FORM_PREDATA_MAX (1024 * 1024)    /* all bytes before the file's data */
#define PAIL_FORM_HEADERS_MAX (8 * 1024)       /* one part's header block */
#define PAIL_FORM_BOUNDARY_MAX 70              /* RFC 2046 §5.1.1 */

/* AWS's text for MaxPostPreDataLengthExceededError (reported as InvalidArgument). */
#define PAIL_FORM_PREDATA_MESSAGE "Your POST request fields preceding the upload file were too large."

/* What the parser tells its owner. Strings and bytes passed to a callback are
 * valid only during that call (copy what you keep). A callback's error stops
 * the parser and is returned by pail_form_feed() (and every later call). */
struct pail_form_cb {
    /* A complete non-file field before the file: name lower-cased (S3 field
     * names are case-insensitive), value as sent (any bytes; NUL-terminated
     * for convenience, len excludes the NUL). Repeated names are delivered
     * each time. NULL: fields are dropped. */
    enum pail_err (*field)(void *ctx, const char *name, const char *value, size_t len);
    /* The part named "file" begins: its Content-Disposition filename and its
     * Content-Type (trimmed), either NULL when absent. Called once at most. */
    enum pail_err (*file_begin)(void *ctx, const char *filename, const char *content_type);
    /* File content, in order, in pieces of any size (never 0). */
    enum pail_err (*file_data)(void *ctx, const void *p, size_t n);
    /* The file part ended at a delimiter. Not called when the body ends inside
     * the file: pail_form_finish() then fails and the data must be discarded. */
    enum pail_err (*file_end)(void *ctx);
    void *ctx;
};

/* Makes a parser in a for a request whose Content-Type is content_type
 * ("multipart/form-data; boundary=..." — type and parameter names
 * case-insensitive, boundary quoted or not, 1..70 characters). cb is copied.
 * Errors: MalformedPOSTRequest (not multipart/form-data, no or bad boundary;
 * detail via *why, which may be NULL). *out is set only on success. */
enum pail_err pail_form_begin(struct pail_arena *a, const char *content_type,
                              const struct pail_form_cb *cb, struct pail_form **out /* out */,
                              const char **why /* out */);

/* Parses n more body bytes. Errors (sticky): MalformedPOSTRequest (framing,
 * headers over 8 KiB, a part without Content-Disposition form-data and name),
 * InvalidArgument with PAIL_FORM_PREDATA_MESSAGE (a field over 20 KiB, or
 * over 1 MiB before the file's data), or a callback's error. */
enum pail_err pail_form_feed(struct pail_form *f, const void *p, size_t n);

/* Ends the body. MalformedPOSTRequest when the closing delimiter never came;
 * else IncorrectNumberOfFilesInPostRequest when there was no "file" part;
 * earlier errors repeat. */
enum pail_err pail_form_finish(struct pail_form *f);

/* A static English detail for the last error the parser raised itself
 * (for <Message>), or NULL (none, or a callback's error). */
const char *pail_form_error_detail(const struct pail_form *f);

/* true once the file part has begun. */
bool pail_form_file_seen(const struct pail_form *f);
/* Bytes handed to file_data so far (the object's length after finish). */
uint64_t pail_form_file_length(const struct pail_form *f);

#endif
