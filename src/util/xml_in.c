/* util/xml_in.c — see xml_in.h.
 * Sections: 1. safe document loading  2. tree helpers (namespace-tolerant
 * matching, exact leaf text)  3. the three request documents  4. the
 * permission documents (ACL, public access block, ownership controls)
 * 5. bucket settings (CORS), tag sets and website configurations  6. server
 * access logging (BucketLoggingStatus).
 * Must not: enable entity substitution, DTD loading or network access, touch
 * libxml2's global SAX defaults or error handlers, or keep libxml2 memory
 * beyond a call (everything returned is copied into the arena). */
#include "util/xml_in.h"

#include "core/arena.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"
#define MALFORMED PAIL_E_MalformedXML

/* ---- 1. safe document loading ------------------------------------------- */

static pthread_once_t parser_once = PTHREAD_ONCE_INIT;

static void parser_init(void)
{
    xmlInitParser();
}

/* SAX hook for <!DOCTYPE ...>: fires before any internal subset is read, so
 * entity declarations (billion laughs, external entities) are never parsed. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                       const xmlChar *sys_id)
{
    xmlParserCtxtPtr ctxt = ctx;
    *(bool *)ctxt->_private = true;
    xmlStopParser(ctxt);
}

/* Per-context structured error sink: keeps parse errors off stderr without
 * touching libxml2's process-wide handlers. */
static void on_error(void *data, xmlErrorPtr err)
{
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool all_space(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

/* Matches an element by local name, in no namespace or the S3 namespace. */
static bool named(const xmlNode *n, const char *name)
{
    if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0)
        return false;
    return !n->ns || !n->ns->href || strcmp((const char *)n->ns->href, S3_NS) == 0;
}

/* Parses body into *doc whose root element must be root_name. */
static enum pail_err load(const char *body, size_t len, const char *root_name,
                          xmlDocPtr *doc, xmlNodePtr *root)
{
    *doc = NULL;
    if (len == 0 || len > INT_MAX)
        return MALFORMED;
    pthread_once(&parser_once, parser_init);
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (!ctxt)
        return PAIL_E_InternalError;
    bool doctype = false;
    ctxt->_private = &doctype;
    ctxt->sax->internalSubset = on_doctype;
    ctxt->sax->serror = on_error;
    xmlDocPtr d = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    bool ok = d && ctxt->wellFormed && !doctype && !d->intSubset && !d->extSubset;
    xmlFreeParserCtxt(ctxt);
    xmlNodePtr r = ok ? xmlDocGetRootElement(d) : NULL;
    if (!r || !named(r, root_name)) {
        xmlFreeDoc(d);
        return MALFORMED;
    }
    *doc = d;
    *root = r;
    return PAIL_OK;
}

/* ---- 2. tree helpers ---------------------------------------------------- */

/* Non-element children allowed between elements: comments, processing
 * instructions and whitespace. Anything else (stray text) is malformed. */
static bool ignorable(const xmlNode *n)
{
    if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE)
        return true;
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        const char *s = (const char *)n->content;
        return !s || all_space(s, strlen(s));
    }
    return false;
}

/* Copies the character data of a leaf element into the arena, byte for byte
 * (CDATA included, comments skipped). A child element, an entity reference
 * or a repeated element (*out already set) is malformed. */
static enum pail_err leaf_text(struct pail_arena *a, const xmlNode *n, char **out)
{
    if (*out)
        return MALFORMED;
    size_t len = 0;
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            len += c->content ? strlen((const char *)c->content) : 0;
        else if (c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE)
            return MALFORMED;
    }
    char *s = pail_arena_alloc(a, len + 1), *p = s;
    for (const xmlNode *c = n->children; c; c = c->next)
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            size_t k = strlen((const char *)c->content);
            memcpy(p, c->content, k);
            p += k;
        }
    *p = 0;
    *out = s;
    return PAIL_OK;
}

/* Trims XML whitespace in place; for values whose surrounding blanks are
 * formatting (numbers, booleans, ETags, checksums), never for keys. */
static char *trim(char *s)
{
    while (is_space(*s))
        s++;
    size_t n = strlen(s);
    while (n && is_space(s[n - 1]))
        n--;
    s[n] = 0;
    return s;
}

/* A leaf child we know: its name, where its text goes, whether to trim. */
struct field {
    const char *name;
    char **slot;
    bool trim;
};

/* Fills fields from parent's children; unknown elements are malformed unless
 * lenient. */
static enum pail_err leaves(struct pail_arena *a, const xmlNode *parent,
                            const struct field *f, size_t nf, bool lenient)
{
    for (const xmlNode *c = parent->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            if (!ignorable(c))
                return MALFORMED;
            continue;
        }
        size_t i = 0;
        while (i < nf && !named(c, f[i].name))
            i++;
        if (i == nf) {
            if (lenient)
                continue;
            return MALFORMED;
        }
        enum pail_err e = leaf_text(a, c, f[i].slot);
        if (e)
            return e;
        if (f[i].trim)
            *f[i].slot = trim(*f[i].slot);
    }
    return PAIL_OK;
}

/* Counts the children named name (to size the array before filling it). */
static size_t count_named(const xmlNode *parent, const char *name)
{
    size_t n = 0;
    for (const xmlNode *c = parent->children; c; c = c->next)
        if (named(c, name))
            n++;
    return n;
}

/* Parses body, whose root must be root_name, with tree(a, root, out); out
 * (size bytes) is zeroed first and again on failure. */
static enum pail_err parse_into(const char *body, size_t len, const char *root_name,
                                struct pail_arena *a,
                                enum pail_err (*tree)(struct pail_arena *, const xmlNode *, void *),
                                void *out, size_t size)
{
    memset(out, 0, size);
    xmlDocPtr doc;
    xmlNodePtr root;
    enum pail_err e = load(body, len, root_name, &doc, &root);
    if (e)
        return e;
    e = tree(a, root, out);
    xmlFreeDoc(doc);
    if (e)
        memset(out, 0, size);
    return e;
}

/* ---- 3. request documents ------------------------------------------------ */

static enum pail_err delete_object(struct pail_arena *a, const xmlNode *obj,
                                   struct pail_delete_obj *o)
{
    char *key = NULL, *vid = NULL, *etag = NULL, *lm = NULL, *size = NULL;
    const struct field f[] = {
        {"Key", &key, false},           {"VersionId", &vid, true},
        {"ETag", &etag, true},          {"LastModifiedTime", &lm, true},
        {"Size", &size, true},
    };
    enum pail_err e = leaves(a, obj, f, sizeof(f) / sizeof(f[0]), false);
    if (e)
        return e;
    if (!key)
        return MALFORMED;
    *o = (struct pail_delete_obj){key, vid, etag, lm, size};
    return PAIL_OK;
}

static bool parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0)
        *out = true;
    else if (strcasecmp(s, "false") == 0)
        *out = false;
    else
        return false;
    return true;
}

static enum pail_err delete_tree(struct pail_arena *a, const xmlNode *root, void *arg)
{
    struct pail_delete_req *out = arg;
    size_t count = count_named(root, "Object");
    if (count == 0 || count > PAIL_XML_DELETE_MAX)
        return MALFORMED;
    out->objects = pail_arena_alloc(a, count * sizeof(*out->objects));
    char *quiet = NULL;
    for (const xmlNode *c = root->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Object"))
            e = delete_object(a, c, &out->objects[out->n++]);
        else if (named(c, "Quiet"))
            e = leaf_text(a, c, &quiet);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    if (quiet && !parse_bool(trim(quiet), &out->quiet))
        return MALFORMED;
    return PAIL_OK;
}

enum pail_err pail_xml_parse_delete(const char *body, size_t len, struct pail_arena *a,
                                    struct pail_delete_req *out)
{
    return parse_into(body, len, "Delete", a, delete_tree, out, sizeof(*out));
}

/* PartNumber: an integer (optionally signed) or MalformedXML; an integer
 * outside 1..10000 is InvalidArgument, as AWS answers for part numbers. */
static enum pail_err part_number(const char *s, int *out)
{
    bool neg = false;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    if (!*s)
        return MALFORMED;
    long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return MALFORMED;
        if (v <= PAIL_XML_PARTS_MAX)
            v = v * 10 + (*s - '0');
    }
    if (neg || v < 1 || v > PAIL_XML_PARTS_MAX)
        return PAIL_E_InvalidArgument;
    *out = (int)v;
    return PAIL_OK;
}

static enum pail_err complete_part(struct pail_arena *a, const xmlNode *part,
                                   struct pail_complete_part *p)
{
    char *num = NULL, *etag = NULL, *ck[PAIL_CKSUM__COUNT] = {0};
    const struct field f[] = {
        {"PartNumber", &num, true},
        {"ETag", &etag, true},
        {"ChecksumCRC32", &ck[PAIL_CKSUM_CRC32], true},
        {"ChecksumCRC32C", &ck[PAIL_CKSUM_CRC32C], true},
        {"ChecksumCRC64NVME", &ck[PAIL_CKSUM_CRC64NVME], true},
        {"ChecksumSHA1", &ck[PAIL_CKSUM_SHA1], true},
        {"ChecksumSHA256", &ck[PAIL_CKSUM_SHA256], true},
    };
    enum pail_err e = leaves(a, part, f, sizeof(f) / sizeof(f[0]), false);
    if (e)
        return e;
    if (!num || !etag)
        return MALFORMED;
    if ((e = part_number(num, &p->part_number)))
        return e;
    size_t n = strlen(etag);
    if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
        etag[n - 1] = 0;
        etag++;
    }
    p->etag = etag;
    for (int i = 0; i < PAIL_CKSUM__COUNT; i++)
        p->checksum[i] = ck[i];
    return PAIL_OK;
}

static enum pail_err complete_tree(struct pail_arena *a, const xmlNode *root, void *arg)
{
    struct pail_complete_req *out = arg;
    size_t count = count_named(root, "Part");
    if (count == 0 || count > PAIL_XML_PARTS_MAX)
        return MALFORMED;
    out->parts = pail_arena_alloc(a, count * sizeof(*out->parts));
    for (const xmlNode *c = root->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Part"))
            e = complete_part(a, c, &out->parts[out->n++]);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

enum pail_err pail_xml_parse_complete(const char *body, size_t len, struct pail_arena *a,
                                      struct pail_complete_req *out)
{
    return parse_into(body, len, "CompleteMultipartUpload", a, complete_tree, out, sizeof(*out));
}

enum pail_err pail_xml_parse_create_bucket(const char *body, size_t len,
                                           struct pail_arena *a,
                                           const char **location_constraint)
{
    *location_constraint = NULL;
    if (len == 0 || all_space(body, len))
        return PAIL_OK;
    xmlDocPtr doc;
    xmlNodePtr root;
    enum pail_err e = load(body, len, "CreateBucketConfiguration", &doc, &root);
    if (e)
        return e;
    char *loc = NULL;
    const struct field f[] = {{"LocationConstraint", &loc, true}};
    e = leaves(a, root, f, 1, true);
    xmlFreeDoc(doc);
    if (!e && loc && *loc)
        *location_constraint = loc;
    return e;
}

/* ---- 4. permission documents ---------------------------------------------- */

/* The xsi:type attribute of n copied into the arena, or NULL when absent. */
static char *xsi_type(struct pail_arena *a, const xmlNode *n)
{
    xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"type", (const xmlChar *)XSI_NS);
    if (!v)
        return NULL;
    char *s = pail_arena_strdup(a, (const char *)v);
    xmlFree(v);
    return s;
}

static enum pail_err acl_grantee(struct pail_arena *a, const xmlNode *n, struct pail_xml_grant *g)
{
    if (g->has_grantee)
        return MALFORMED;
    g->has_grantee = true;
    g->type = xsi_type(a, n);
    char *id = NULL, *name = NULL, *uri = NULL, *email = NULL;
    const struct field f[] = {
        {"ID", &id, true},
        {"DisplayName", &name, false},
        {"URI", &uri, true},
        {"EmailAddress", &email, true},
    };
    enum pail_err e = leaves(a, n, f, sizeof(f) / sizeof(f[0]), false);
    g->id = id;
    g->display_name = name;
    g->uri = uri;
    g->email = email;
    return e;
}

static enum pail_err acl_grant(struct pail_arena *a, const xmlNode *n, struct pail_xml_grant *g)
{
    char *perm = NULL;
    for (const xmlNode *c = n->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Grantee"))
            e = acl_grantee(a, c, g);
        else if (named(c, "Permission"))
            e = leaf_text(a, c, &perm);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    g->permission = perm ? trim(perm) : NULL;
    return PAIL_OK;
}

static enum pail_err acl_list(struct pail_arena *a, const xmlNode *n, struct pail_xml_acl *out)
{
    if (out->has_list)
        return MALFORMED;
    out->has_list = true;
    size_t count = count_named(n, "Grant");
    if (count > PAIL_XML_ACL_GRANTS_MAX)
        return MALFORMED;
    out->grants = pail_arena_alloc(a, (count ? count : 1) * sizeof(*out->grants));
    for (const xmlNode *c = n->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Grant"))
            e = acl_grant(a, c, &out->grants[out->n++]);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

static enum pail_err acl_owner(struct pail_arena *a, const xmlNode *n, struct pail_xml_acl *out)
{
    if (out->has_owner)
        return MALFORMED;
    out->has_owner = true;
    char *id = NULL, *name = NULL;
    const struct field f[] = {{"ID", &id, true}, {"DisplayName", &name, false}};
    enum pail_err e = leaves(a, n, f, sizeof(f) / sizeof(f[0]), false);
    out->owner_id = id;
    out->owner_name = name;
    return e;
}

static enum pail_err acl_tree(struct pail_arena *a, const xmlNode *root, struct pail_xml_acl *out)
{
    for (const xmlNode *c = root->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Owner"))
            e = acl_owner(a, c, out);
        else if (named(c, "AccessControlList"))
            e = acl_list(a, c, out);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

enum pail_err pail_xml_parse_acl(const char *body, size_t len, struct pail_arena *a,
                                 struct pail_xml_acl *out)
{
    memset(out, 0, sizeof(*out));
    xmlDocPtr doc;
    xmlNodePtr root;
    enum pail_err e = load(body, len, "AccessControlPolicy", &doc, &root);
    if (!e) {
        e = acl_tree(a, root, out);
        xmlFreeDoc(doc);
    }
    if (e)
        memset(out, 0, sizeof(*out));
    /* S3 answers every bad ACL document with MalformedACLError. */
    return e == MALFORMED ? PAIL_E_MalformedACLError : e;
}

/* Runs parse(root) on body's document in a scratch arena of its own: the
 * small documents below return no strings, only flags or static names. */
static enum pail_err parse_scratch(const char *body, size_t len, const char *root_name,
                                   enum pail_err (*parse)(struct pail_arena *, const xmlNode *,
                                                          void *),
                                   void *out)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    enum pail_err e = load(body, len, root_name, &doc, &root);
    if (e)
        return e;
    struct pail_arena *a = pail_arena_new();
    e = a ? parse(a, root, out) : PAIL_E_InternalError;
    pail_arena_free(a);
    xmlFreeDoc(doc);
    return e;
}

static enum pail_err pab_tree(struct pail_arena *a, const xmlNode *root, void *arg)
{
    struct pail_pab *out = arg;
    char *v[4] = {0};
    const struct field f[] = {
        {"BlockPublicAcls", &v[0], true},
        {"IgnorePublicAcls", &v[1], true},
        {"BlockPublicPolicy", &v[2], true},
        {"RestrictPublicBuckets", &v[3], true},
    };
    bool *slot[4] = {&out->block_public_acls, &out->ignore_public_acls,
                     &out->block_public_policy, &out->restrict_public_buckets};
    enum pail_err e = leaves(a, root, f, 4, false);
    for (int i = 0; !e && i < 4; i++)
        if (v[i] && !parse_bool(v[i], slot[i]))
            e = MALFORMED;
    return e;
}

enum pail_err pail_xml_parse_pab(const char *body, size_t len, struct pail_pab *out)
{
    memset(out, 0, sizeof(*out));
    enum pail_err e = parse_scratch(body, len, "PublicAccessBlockConfiguration", pab_tree, out);
    if (e)
        memset(out, 0, sizeof(*out));
    return e;
}

static const char *const ownership_names[] = {"BucketOwnerEnforced", "BucketOwnerPreferred",
                                              "ObjectWriter"};

static enum pail_err ownership_rule(struct pail_arena *a, const xmlNode *rule, const char **out)
{
    char *v = NULL;
    const struct field f[] = {{"ObjectOwnership", &v, true}};
    enum pail_err e = leaves(a, rule, f, 1, false);
    if (e || !v)
        return MALFORMED;
    for (size_t i = 0; i < sizeof(ownership_names) / sizeof(ownership_names[0]); i++)
        if (strcmp(v, ownership_names[i]) == 0) {
            *out = ownership_names[i];
            return PAIL_OK;
        }
    return MALFORMED;
}

static enum pail_err ownership_tree(struct pail_arena *a, const xmlNode *root, void *arg)
{
    const char **out = arg;
    if (count_named(root, "Rule") != 1)
        return MALFORMED;
    for (const xmlNode *c = root->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Rule"))
            e = ownership_rule(a, c, out);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

enum pail_err pail_xml_parse_ownership(const char *body, size_t len, const char **out)
{
    *out = NULL;
    enum pail_err e = parse_scratch(body, len, "OwnershipControls", ownership_tree, out);
    if (e)
        *out = NULL;
    return e;
}

/* ---- tagging --------------------------------------------------------------- */

static enum pail_err tag_elem(struct pail_arena *a, const xmlNode *n, struct pail_xml_tag *t)
{
    char *k = NULL, *v = NULL;
    const struct field f[] = {{"Key", &k, false}, {"Value", &v, false}};
    enum pail_err e = leaves(a, n, f, 2, false);
    if (e || !k || !v)
        return MALFORMED;
    t->key = k;
    t->value = v;
    return PAIL_OK;
}

static enum pail_err tagset_tree(struct pail_arena *a, const xmlNode *set,
                                 struct pail_xml_tagging *out)
{
    size_t count = count_named(set, "Tag");
    if (count > PAIL_XML_TAGS_MAX)
        return PAIL_E_InvalidTag;
    out->tags = pail_arena_alloc(a, (count + 1) * sizeof(*out->tags));
    for (const xmlNode *c = set->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Tag"))
            e = tag_elem(a, c, &out->tags[out->n++]);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

static enum pail_err tagging_tree(struct pail_arena *a, const xmlNode *root, void *arg)
{
    struct pail_xml_tagging *out = arg;
    if (count_named(root, "TagSet") != 1)
        return MALFORMED;
    for (const xmlNode *c = root->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "TagSet"))
            e = tagset_tree(a, c, out);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

enum pail_err pail_xml_parse_tagging(const char *body, size_t len, struct pail_arena *a,
                                     struct pail_xml_tagging *out)
{
    return parse_into(body, len, "Tagging", a, tagging_tree, out, sizeof(*out));
}

/* ---- website configuration ---------------------------------------------------- */

static enum pail_err routing_rule(struct pail_arena *a, const xmlNode *n,
                                  struct pail_xml_routing_rule *rule)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Condition")) {
            if (rule->has_condition)
                return MALFORMED;
            rule->has_condition = true;
            const struct field f[] = {{"HttpErrorCodeReturnedEquals", &rule->if_error_code, true},
                                      {"KeyPrefixEquals", &rule->if_key_prefix, false}};
            e = leaves(a, c, f, 2, false);
        } else if (named(c, "Redirect")) {
            if (rule->has_redirect)
                return MALFORMED;
            rule->has_redirect = true;
            const struct field f[] = {{"HostName", &rule->host, true},
                                      {"HttpRedirectCode", &rule->code, true},
                                      {"Protocol", &rule->protocol, true},
                                      {"ReplaceKeyPrefixWith", &rule->replace_key_prefix, false},
                                      {"ReplaceKeyWith", &rule->replace_key, false}};
            e = leaves(a, c, f, 5, false);
        } else if (!ignorable(c)) {
            e = MALFORMED;
        }
        if (e)
            return e;
    }
    return rule->has_redirect ? PAIL_OK : MALFORMED;
}

static enum pail_err routing_rules(struct pail_arena *a, const xmlNode *n,
                                   struct pail_xml_website *out)
{
    size_t count = count_named(n, "RoutingRule");
    if (count > PAIL_XML_ROUTING_RULES_MAX)
        return PAIL_E_InvalidRequest;
    out->rules = pail_arena_alloc(a, (count + 1) * sizeof(*out->rules));
    memset(out->rules, 0, (count + 1) * sizeof(*out->rules));
    for (const xmlNode *c = n->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "RoutingRule"))
            e = routing_rule(a, c, &out->rules[out->nrules++]);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

static enum pail_err website_tree(struct pail_arena *a, const xmlNode *root, void *arg)
{
    struct pail_xml_website *out = arg;
    for (const xmlNode *c = root->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "IndexDocument")) {
            if (out->has_index)
                return MALFORMED;
            out->has_index = true;
            const struct field f[] = {{"Suffix", &out->index_suffix, false}};
            e = leaves(a, c, f, 1, false);
        } else if (named(c, "ErrorDocument")) {
            if (out->has_error)
                return MALFORMED;
            out->has_error = true;
            const struct field f[] = {{"Key", &out->error_key, false}};
            e = leaves(a, c, f, 1, false);
            if (!e && !out->error_key)
                e = MALFORMED;
        } else if (named(c, "RedirectAllRequestsTo")) {
            if (out->has_redirect_all)
                return MALFORMED;
            out->has_redirect_all = true;
            const struct field f[] = {{"HostName", &out->redirect_host, true},
                                      {"Protocol", &out->redirect_protocol, true}};
            e = leaves(a, c, f, 2, false);
            if (!e && !out->redirect_host)
                e = MALFORMED;
        } else if (named(c, "RoutingRules")) {
            if (out->has_rules)
                return MALFORMED;
            out->has_rules = true;
            e = routing_rules(a, c, out);
        } else if (!ignorable(c)) {
            e = MALFORMED;
        }
        if (e)
            return e;
    }
    return PAIL_OK;
}

enum pail_err pail_xml_parse_website(const char *body, size_t len, struct pail_arena *a,
                                     struct pail_xml_website *out)
{
    return parse_into(body, len, "WebsiteConfiguration", a, website_tree, out, sizeof(*out));
}

/* ---- 5. bucket settings --------------------------------------------------- */

/* Appends the trimmed text of leaf n to list l (sized by count_named). */
static enum pail_err push_leaf(struct pail_arena *a, const xmlNode *n, struct pail_xml_strs *l)
{
    char *s = NULL;
    enum pail_err e = leaf_text(a, n, &s);
    if (e)
        return e;
    l->v[l->n++] = trim(s);
    return PAIL_OK;
}

static void size_list(struct pail_arena *a, const xmlNode *rule, const char *name,
                      struct pail_xml_strs *l)
{
    size_t n = count_named(rule, name);
    l->v = pail_arena_alloc(a, (n ? n : 1) * sizeof(*l->v));
}

static enum pail_err cors_rule(struct pail_arena *a, const xmlNode *rule,
                               struct pail_xml_cors_rule *out)
{
    static const char *const list_names[] = {"AllowedOrigin", "AllowedMethod",
                                             "AllowedHeader", "ExposeHeader"};
    struct pail_xml_strs *lists[] = {&out->origins, &out->methods, &out->headers, &out->expose};
    for (size_t i = 0; i < 4; i++)
        size_list(a, rule, list_names[i], lists[i]);
    char *id = NULL, *max_age = NULL;
    for (const xmlNode *c = rule->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        size_t i = 0;
        while (i < 4 && !named(c, list_names[i]))
            i++;
        if (i < 4)
            e = push_leaf(a, c, lists[i]);
        else if (named(c, "ID"))
            e = leaf_text(a, c, &id); /* a second ID is malformed */
        else if (named(c, "MaxAgeSeconds"))
            e = leaf_text(a, c, &max_age);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    if (!out->origins.n || !out->methods.n)
        return MALFORMED;
    out->id = id;
    out->max_age = max_age ? trim(max_age) : NULL;
    return PAIL_OK;
}

static enum pail_err cors_tree(struct pail_arena *a, const xmlNode *root, void *arg)
{
    struct pail_xml_cors *out = arg;
    size_t count = count_named(root, "CORSRule");
    if (count == 0 || count > PAIL_XML_CORS_RULES_MAX)
        return MALFORMED;
    out->rules = pail_arena_alloc(a, count * sizeof(*out->rules));
    for (const xmlNode *c = root->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "CORSRule"))
            e = cors_rule(a, c, &out->rules[out->n++]);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

enum pail_err pail_xml_parse_cors(const char *body, size_t len, struct pail_arena *a,
                                  struct pail_xml_cors *out)
{
    return parse_into(body, len, "CORSConfiguration", a, cors_tree, out, sizeof(*out));
}

/* ---- 6. server access logging ---------------------------------------------- */

static enum pail_err logging_grants(struct pail_arena *a, const xmlNode *n,
                                    struct pail_xml_logging *out)
{
    if (out->grants)
        return MALFORMED;
    size_t count = count_named(n, "Grant");
    if (count > PAIL_XML_ACL_GRANTS_MAX)
        return MALFORMED;
    out->grants = pail_arena_alloc(a, (count ? count : 1) * sizeof(*out->grants));
    for (const xmlNode *c = n->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "Grant"))
            e = acl_grant(a, c, &out->grants[out->ngrants++]);
        else if (!ignorable(c))
            e = MALFORMED;
        if (e)
            return e;
    }
    return PAIL_OK;
}

/* An empty element (<SimplePrefix/>): blanks and comments only. */
static bool empty_elem(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next)
        if (!ignorable(c))
            return false;
    return true;
}

static enum pail_err logging_key_format(struct pail_arena *a, const xmlNode *n,
                                        struct pail_xml_logging *out)
{
    int formats = 0;
    for (const xmlNode *c = n->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "SimplePrefix")) {
            formats++;
            if (!empty_elem(c))
                e = MALFORMED;
        } else if (named(c, "PartitionedPrefix")) {
            formats++;
            out->partitioned = true;
            const struct field f[] = {{"PartitionDateSource", &out->date_source, true}};
            e = leaves(a, c, f, 1, false);
        } else if (!ignorable(c)) {
            e = MALFORMED;
        }
        if (e)
            return e;
    }
    return formats == 1 ? PAIL_OK : MALFORMED;
}

static enum pail_err logging_enabled(struct pail_arena *a, const xmlNode *n,
                                     struct pail_xml_logging *out)
{
    bool key_format = false;
    for (const xmlNode *c = n->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "TargetBucket")) {
            e = leaf_text(a, c, &out->target_bucket);
            if (!e)
                out->target_bucket = trim(out->target_bucket);
        } else if (named(c, "TargetPrefix")) {
            e = leaf_text(a, c, &out->target_prefix);
        } else if (named(c, "TargetGrants")) {
            e = logging_grants(a, c, out);
        } else if (named(c, "TargetObjectKeyFormat")) {
            e = key_format ? MALFORMED : logging_key_format(a, c, out);
            key_format = out->has_key_format = true;
        } else if (!ignorable(c)) {
            e = MALFORMED;
        }
        if (e)
            return e;
    }
    return out->target_bucket ? PAIL_OK : MALFORMED;
}

static enum pail_err logging_tree(struct pail_arena *a, const xmlNode *root, void *arg)
{
    struct pail_xml_logging *out = arg;
    for (const xmlNode *c = root->children; c; c = c->next) {
        enum pail_err e = PAIL_OK;
        if (named(c, "LoggingEnabled")) {
            e = out->enabled ? MALFORMED : logging_enabled(a, c, out);
            out->enabled = true;
        } else if (!ignorable(c)) {
            e = MALFORMED;
        }
        if (e)
            return e;
    }
    return PAIL_OK;
}

enum pail_err pail_xml_parse_logging(const char *body, size_t len, struct pail_arena *a,
                                     struct pail_xml_logging *out)
{
    return parse_into(body, len, "BucketLoggingStatus", a, logging_tree, out, sizeof(*out));
}
