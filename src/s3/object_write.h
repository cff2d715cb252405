/* s3/object_write.h — what PutObject and UploadPart share: a streaming data
 * writer fed by the body pipeline, committed once the body checks pass; and
 * what CopyObject and UploadPartCopy share: resolving and copying a source. */
#ifndef PAIL_S3_OBJECT_WRITE_H
#define PAIL_S3_OBJECT_WRITE_H

#include "core/err.h"
#include "store/meta.h"
#include "util/checksum.h"

#include <stdbool.h>
#include <stdint.h>

struct pail_req;
struct pail_data_writer;

/* Objects up to this size live in the metadata store (meta.h inline_data):
 * a PUT is then one metadata commit, with no file to create and sync, and a
 * GET one lookup. Larger ones, and every part, are blobs. */
#define S3_INLINE_MAX (16u * 1024)

struct s3_upload {
    struct pail_req *r;
    struct pail_data_writer *w; /* NULL while in memory, and once committed
                                   or aborted */
    const char *data_id;        /* the blob's; NULL for an inline body */
    unsigned char *mem;         /* an inline candidate's body so far (arena,
                                   S3_INLINE_MAX bytes); NULL once spilled
                                   to a blob, or when never a candidate */
    size_t mem_len;
    const void *inline_data;    /* after commit: the body, when it stayed in
                                   memory; else NULL */
    char etag[33];              /* hex MD5 of the body */
    uint64_t size;
    enum pail_cksum_algo ck_algo;
    const char *checksum;       /* base64, or NULL */
    const char *owner;          /* account id owning the new object */
    const char *acl;            /* its ACL (iam/acl.h JSON) or NULL */
};

/* In an op's begin(): opens a writer (aborted with the arena unless
 * committed) and starts the body pipeline into it; req->op_state is the
 * struct s3_upload. algo: a checksum to compute even if none is declared.
 * may_inline: a body that turns out no larger than S3_INLINE_MAX is kept in
 * memory for the metadata instead (the writer opens when it outgrows that). */
enum pail_err s3_upload_begin(struct pail_req *r, enum pail_cksum_algo algo, bool may_inline);
/* In run(): makes the data durable (or, inline, leaves it to the metadata
 * commit) and fills etag/size/checksum. */
enum pail_err s3_upload_commit(struct pail_req *r, struct s3_upload *u);
/* Copies len bytes of src from off into a new durable blob through user
 * space, computing the MD5 (a part's ETag is the MD5 of its own bytes) and
 * the algo checksum (skipped for NONE) into out. */
enum pail_err s3_copy_hashed(struct pail_req *r, const struct pail_object_rec *src,
                             uint64_t off, uint64_t len, enum pail_cksum_algo algo,
                             struct s3_upload *out);
/* x-amz-copy-source → the source object, with s3:GetObject on it authorized
 * and x-amz-copy-source-if-* checked. */
enum pail_err s3_copy_source_get(struct pail_req *r, struct pail_object_rec *src);
/* After a failed s3_copy_hashed/s3_copy_data: true when the failure was the
 * source's blob vanishing under a concurrent overwrite/delete (NoSuchKey) and
 * attempt < 4; the error is then cleared and the caller re-reads the source
 * (s3_copy_source_get) and copies again. The last attempt's failure becomes
 * InternalError. */
bool s3_copy_retry(struct pail_req *r, int attempt);
/* len bytes of src from off into a new durable blob; id_out gets its id. */
enum pail_err s3_copy_data(struct pail_req *r, const struct pail_object_rec *src,
                           uint64_t off, uint64_t len, char id_out[33]);

#endif
