/* http/tls.c — see tls.h. A generation is one certificate chain with its
 * key, immutable once made; `current` points at the newest, and the list of
 * all of them lives until unload, because GnuTLS uses what the retrieve
 * callback returned for the rest of that handshake without a reference of
 * its own. A reload costs a few KiB that stay. */
#include "http/tls.h"

#include "core/log.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHAIN 16
#define MAX_PEM (1u << 20) /* a key file larger than this is not one */

struct generation {
    struct generation *older;
    gnutls_pcert_st chain[MAX_CHAIN];
    unsigned nchain;
    gnutls_privkey_t key;
};

static struct {
    pthread_mutex_t mu; /* reloads, and the list */
    char *cert_path, *key_path;
    struct generation *all; /* newest first */
    struct generation *_Atomic current;
} tls = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void generation_free(struct generation *g)
{
    for (unsigned i = 0; i < g->nchain; i++)
        gnutls_pcert_deinit(&g->chain[i]);
    if (g->key)
        gnutls_privkey_deinit(g->key);
    free(g);
}

/* The whole file, for GnuTLS's memory import; gnutls_free()s nothing of it:
 * the caller frees d->data. -1 when unreadable or too large. */
static int read_file(const char *path, gnutls_datum_t *d)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    unsigned char *buf = malloc(MAX_PEM + 1);
    size_t n = buf ? fread(buf, 1, MAX_PEM + 1, f) : 0;
    int bad = !buf || ferror(f) || n == 0 || n > MAX_PEM;
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    d->data = buf;
    d->size = (unsigned)n;
    return 0;
}

/* Whether key is the private half of the certificate's public key. */
static int key_matches(gnutls_pcert_st *cert, gnutls_privkey_t key)
{
    gnutls_pubkey_t pub;
    if (gnutls_pubkey_init(&pub) < 0)
        return 0;
    unsigned char a[64], b[64];
    size_t na = sizeof a, nb = sizeof b;
    int ok = gnutls_pubkey_import_privkey(pub, key, 0, 0) >= 0 &&
             gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a, &na) >= 0 &&
             gnutls_pubkey_get_key_id(cert->pubkey, GNUTLS_KEYID_USE_SHA256, b, &nb) >= 0 &&
             na == nb && memcmp(a, b, na) == 0;
    gnutls_pubkey_deinit(pub);
    return ok;
}

/* A generation from the two files, or NULL (logged). */
static struct generation *generation_read(const char *cert_path, const char *key_path)
{
    struct generation *g = calloc(1, sizeof *g);
    if (!g)
        return NULL;
    g->nchain = MAX_CHAIN;
    int rc = gnutls_pcert_list_import_x509_file(g->chain, &g->nchain, cert_path,
                                                GNUTLS_X509_FMT_PEM, NULL, NULL, 0);
    if (rc < 0) {
        g->nchain = 0;
        pail_error("--tls-cert %s: %s", cert_path, gnutls_strerror(rc));
        generation_free(g);
        return NULL;
    }
    gnutls_datum_t pem = {NULL, 0};
    if (read_file(key_path, &pem) != 0) {
        pail_error("--tls-key %s: cannot read it", key_path);
        generation_free(g);
        return NULL;
    }
    rc = gnutls_privkey_init(&g->key);
    if (rc >= 0)
        rc = gnutls_privkey_import_x509_raw(g->key, &pem, GNUTLS_X509_FMT_PEM, NULL, 0);
    free(pem.data);
    if (rc < 0) {
        pail_error("--tls-key %s: %s", key_path, gnutls_strerror(rc));
        generation_free(g);
        return NULL;
    }
    if (!key_matches(&g->chain[0], g->key)) {
        pail_error("--tls-key %s is not the key of the certificate in %s", key_path, cert_path);
        generation_free(g);
        return NULL;
    }
    return g;
}

enum pail_err pail_tls_load(const char *cert_path, const char *key_path)
{
    pthread_mutex_lock(&tls.mu);
    free(tls.cert_path);
    free(tls.key_path);
    tls.cert_path = strdup(cert_path);
    tls.key_path = strdup(key_path);
    pthread_mutex_unlock(&tls.mu);
    if (!tls.cert_path || !tls.key_path)
        return PAIL_E_InternalError;
    return pail_tls_reload();
}

enum pail_err pail_tls_reload(void)
{
    pthread_mutex_lock(&tls.mu);
    struct generation *g =
        tls.cert_path ? generation_read(tls.cert_path, tls.key_path) : NULL;
    if (g) {
        g->older = tls.all;
        tls.all = g;
        atomic_store(&tls.current, g);
    }
    pthread_mutex_unlock(&tls.mu);
    return g ? PAIL_OK : PAIL_E_InvalidArgument;
}

int pail_tls_loaded(void)
{
    return atomic_load(&tls.current) != NULL;
}

/* GnuTLS asks for the server's certificate once per handshake. */
static int retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *key)
{
    (void)s, (void)req_ca_dn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    struct generation *g = atomic_load(&tls.current);
    if (!g)
        return -1;
    *pcert = g->chain;
    *pcert_length = g->nchain;
    *key = g->key;
    return 0;
}

void *pail_tls_cert_callback(void)
{
    static gnutls_certificate_retrieve_function2 *const fn = retrieve;
    return (void *)fn;
}

void pail_tls_unload(void)
{
    pthread_mutex_lock(&tls.mu);
    atomic_store(&tls.current, NULL);
    while (tls.all) {
        struct generation *g = tls.all;
        tls.all = g->older;
        generation_free(g);
    }
    free(tls.cert_path);
    free(tls.key_path);
    tls.cert_path = tls.key_path = NULL;
    pthread_mutex_unlock(&tls.mu);
}

/* OpenSSL's names, which AWS's access logs use, for the TLS 1.2 suites
 * GnuTLS's default priorities offer first; TLS 1.3's IANA names are the
 * same in both. */
static const struct {
    const char *iana, *openssl;
} suite_names[] = {
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
};

void pail_tls_describe(void *tls_session, const char **protocol, const char **cipher)
{
    *protocol = *cipher = NULL;
    gnutls_session_t s = tls_session;
    if (!s)
        return;
    switch (gnutls_protocol_get_version(s)) {
    case GNUTLS_TLS1_0: *protocol = "TLSv1"; break;
    case GNUTLS_TLS1_1: *protocol = "TLSv1.1"; break;
    case GNUTLS_TLS1_2: *protocol = "TLSv1.2"; break;
    case GNUTLS_TLS1_3: *protocol = "TLSv1.3"; break;
    default: break;
    }
    const char *iana = gnutls_ciphersuite_get(s);
    *cipher = iana;
    for (size_t i = 0; iana && i < sizeof suite_names / sizeof suite_names[0]; i++)
        if (strcmp(iana, suite_names[i].iana) == 0)
            *cipher = suite_names[i].openssl;
}
