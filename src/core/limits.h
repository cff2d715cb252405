/* core/limits.h — the request limits an operator may change (`pail serve
 * --max-...`), AWS's values by default. Owns the defaults and the one
 * process-wide copy: main sets it from the flags before the server starts;
 * after that it is only read, from any thread. */
#ifndef PAIL_CORE_LIMITS_H
#define PAIL_CORE_LIMITS_H

#include <stddef.h>
#include <stdint.h>

struct pail_limits {
    unsigned header_fields;    /* header fields of a request: 431 beyond */
    size_t key_bytes;          /* an object key, UTF-8: KeyTooLongError */
    size_t metadata_bytes;     /* x-amz-meta-* names (less the prefix) and values: MetadataTooLarge */
    unsigned parts;            /* parts of an upload, and the highest part number */
    uint64_t min_part_bytes;   /* every part but the last: EntityTooSmall at Complete */
    uint64_t max_part_bytes;   /* one PutObject, UploadPart or POST: EntityTooLarge */
    uint64_t max_object_bytes; /* a completed multipart upload: EntityTooLarge */
    size_t xml_bytes;          /* an XML (or JSON) request body: MaxMessageLengthExceeded */
    size_t policy_bytes;       /* a bucket policy, blanks not counted: MalformedPolicy */
};

#define PAIL_MAX_PARTS 10000 /* S3's part numbers are 1..10000: --max-parts stays within */

extern struct pail_limits pail_limits;

#endif
