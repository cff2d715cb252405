/* iam/jscan.h — an allocation-free reader for the identity records' JSON,
 * used at load: 30,000 records parsed with a DOM library cost ~25 mallocs
 * each; this reads members in place. A value is a span of the document
 * (strings keep their quotes); only the strings the model keeps are copied
 * (unescaped) out. Bounds-safe on any NUL-terminated input: a malformed
 * document makes lookups fail, never read past its end. Writing records
 * stays with jansson. */
#ifndef PAIL_IAM_JSCAN_H
#define PAIL_IAM_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jv {
    const char *p; /* first byte of the value; NULL: none */
    size_t n;
};

/* The document's top-level value; false if doc is not one JSON value. */
bool jv_root(const char *doc, struct jv *out);
/* Member key of object obj (keys compared byte for byte, unescaped). */
bool jv_member(struct jv obj, const char *key, struct jv *out);
/* Iterates the elements of array arr: *pos starts at 0. */
bool jv_next(struct jv arr, size_t *pos, struct jv *elem);
bool jv_is_str(struct jv v);
bool jv_is_obj(struct jv v);
bool jv_is_arr(struct jv v);
bool jv_true(struct jv v);
/* Integer value; 0 for anything else. */
int64_t jv_int(struct jv v);
/* Unescaped copy of a string value (malloc'd; aborts on out of memory), or
 * NULL when v is not a string. */
char *jv_strdup(struct jv v);
/* Unescaped into buf (cap bytes with the NUL); false when not a string or
 * it does not fit. */
bool jv_strbuf(struct jv v, char *buf, size_t cap);
/* The members' string values or NULL: jv_member + jv_strdup. */
char *jv_get_strdup(struct jv obj, const char *key);

#endif
