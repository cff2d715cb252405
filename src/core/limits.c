/* core/limits.c — see limits.h. */
#include "core/limits.h"

struct pail_limits pail_limits = {
    .header_fields = 200,           /* S3 documents none; Apache's default is 100 */
    .key_bytes = 1024,              /* S3 */
    .metadata_bytes = 2048,         /* S3: 2 KB of user metadata */
    .parts = PAIL_MAX_PARTS,        /* S3 */
    .min_part_bytes = 5ull << 20,   /* S3: 5 MiB */
    .max_part_bytes = 5ull << 30,   /* S3: 5 GiB */
    .max_object_bytes = 5ull << 40, /* S3: 5 TiB */
    .xml_bytes = 2u << 20,          /* DeleteObjects of 1,000 keys of 1,024 bytes fits */
    .policy_bytes = 20480,          /* S3: 20 KB */
};
