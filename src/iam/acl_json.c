/* iam/acl_json.c — see acl.h. Owns the stored form of an ACL: the compact
 * JSON kept with every bucket and object. jansson memory never leaves this
 * file: every document is freed before return, its strings copied into the
 * arena. */
#include "iam/acl.h"
#include "iam/acl_int.h"

#include "core/arena.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Grant type letter and the key of its grantee string. */
static const struct {
    enum pail_grantee_type type;
    const char *t, *key;
} kinds[] = {
    {PAIL_GRANTEE_CANONICAL, "c", "i"},
    {PAIL_GRANTEE_GROUP, "g", "u"},
    {PAIL_GRANTEE_EMAIL, "e", "e"},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *grantee_of(const struct pail_grant *g)
{
    switch (g->type) {
    case PAIL_GRANTEE_CANONICAL: return g->id;
    case PAIL_GRANTEE_GROUP: return g->uri;
    case PAIL_GRANTEE_EMAIL: return g->email;
    }
    return NULL;
}

/* ---- writing ----------------------------------------------------------------- */

/* {"t":..,"i"|"u"|"e":..,"p":..} appended to arr; false on a failure. */
static bool append_grant(json_t *arr, const struct pail_grant *g)
{
    size_t k = 0;
    while (k < NKINDS && kinds[k].type != g->type)
        k++;
    const char *who = grantee_of(g);
    if (k == NKINDS || !who)
        return false;
    json_t *o = json_object();
    /* json_object_set_new takes (and on failure frees) each value, and
     * refuses a NULL one (a string that is not UTF-8). */
    bool ok = o && json_object_set_new(o, "t", json_string(kinds[k].t)) == 0 &&
              json_object_set_new(o, kinds[k].key, json_string(who)) == 0 &&
              json_object_set_new(o, "p", json_integer(g->perm)) == 0;
    if (!ok) {
        json_decref(o);
        return false;
    }
    return json_array_append_new(arr, o) == 0;
}

static json_t *acl_doc(const struct pail_acl *acl)
{
    json_t *root = json_object(), *arr = json_array();
    bool ok = root && arr;
    if (ok && acl->owner_id)
        ok = json_object_set_new(root, "o", json_string(acl->owner_id)) == 0;
    for (size_t i = 0; ok && i < acl->n; i++)
        ok = append_grant(arr, &acl->grants[i]);
    if (ok) {
        ok = json_object_set_new(root, "g", arr) == 0;
        arr = NULL; /* root owns it now, or set_new freed it */
    }
    json_decref(arr);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

const char *pail_acl_to_json(const struct pail_acl *acl, struct pail_arena *a)
{
    json_t *root = acl_doc(acl);
    if (!root)
        return NULL;
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!s)
        return NULL;
    char *copy = pail_arena_strdup(a, s);
    free(s);
    return copy;
}

/* ---- reading -------------------------------------------------------------------- */

/* obj[key] as an arena string; NULL when missing, not a string or holding
 * a NUL byte. */
static const char *str_at(struct pail_arena *a, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n)
        return NULL;
    return pail_arena_strndup(a, s, n);
}

static bool grant_from(struct pail_arena *a, const json_t *o, struct pail_grant *g)
{
    if (!json_is_object(o))
        return false;
    const json_t *t = json_object_get(o, "t"), *p = json_object_get(o, "p");
    if (!json_is_string(t) || !json_is_integer(p))
        return false;
    json_int_t perm = json_integer_value(p);
    if (perm < 0 || perm > PAIL_ACL_FULL_CONTROL || !pail_acl_perm_name((unsigned)perm))
        return false;
    for (size_t k = 0; k < NKINDS; k++) {
        if (strcmp(json_string_value(t), kinds[k].t) != 0)
            continue;
        const char *who = str_at(a, o, kinds[k].key);
        *g = (struct pail_grant){.type = kinds[k].type, .perm = (unsigned)perm};
        if (kinds[k].type == PAIL_GRANTEE_CANONICAL)
            g->id = who;
        else if (kinds[k].type == PAIL_GRANTEE_GROUP)
            g->uri = who;
        else
            g->email = who;
        return who != NULL;
    }
    return false;
}

static bool acl_from(struct pail_arena *a, const json_t *root, struct pail_acl *out)
{
    if (!json_is_object(root))
        return false;
    const json_t *o = json_object_get(root, "o"), *arr = json_object_get(root, "g");
    if ((o && !json_is_string(o)) || !json_is_array(arr))
        return false;
    if (o && !(out->owner_id = str_at(a, root, "o")))
        return false;
    size_t n = json_array_size(arr);
    out->grants = pail_acl__grants(a, n);
    for (size_t i = 0; i < n; i++)
        if (!grant_from(a, json_array_get(arr, i), &out->grants[i]))
            return false;
    out->n = n;
    return true;
}

enum pail_err pail_acl_from_json(const char *json, struct pail_arena *a, struct pail_acl *out)
{
    memset(out, 0, sizeof(*out));
    if (!json || !*json)
        return PAIL_OK;
    json_error_t err;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &err);
    bool ok = root && acl_from(a, root, out);
    json_decref(root);
    if (!ok) {
        memset(out, 0, sizeof(*out));
        return PAIL_E_InternalError;
    }
    return PAIL_OK;
}
