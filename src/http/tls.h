/* http/tls.h — the certificate of the HTTPS listener (--tls-listen), served
 * by libmicrohttpd over GnuTLS. Owns reading the PEM certificate chain and
 * private key, the generation every new handshake is given (GnuTLS asks
 * through a retrieve callback, so a reload needs no new daemon), reloading
 * on SIGHUP, and naming a connection's protocol and cipher suite for logs
 * and policies. One certificate per process: the callback has no context
 * of its own (GnuTLS's session pointer is MHD's). */
#ifndef PAIL_HTTP_TLS_H
#define PAIL_HTTP_TLS_H

#include "core/err.h"

/* Reads CERT (PEM, the server's certificate first, then its chain) and KEY
 * (PEM, unencrypted) and makes them what handshakes get. PAIL_OK, or
 * InvalidArgument when either cannot be read or they do not match (logged
 * with the file and GnuTLS's reason). The paths are kept for reloads. */
enum pail_err pail_tls_load(const char *cert_path, const char *key_path);

/* Reads the two files again; new handshakes get the new pair, connections
 * already open keep theirs. On failure the old pair stays (logged). Earlier
 * pairs are kept until pail_tls_unload: a handshake may still use them. */
enum pail_err pail_tls_reload(void);

/* Whether pail_tls_load has succeeded (and pail_tls_unload not run). */
int pail_tls_loaded(void);

/* For MHD_OPTION_HTTPS_CERT_CALLBACK: a gnutls_certificate_retrieve_function2. */
void *pail_tls_cert_callback(void);

/* Frees every pair; call once no TLS daemon runs. */
void pail_tls_unload(void);

/* The protocol ("TLSv1.3", as AWS's access logs write it) and cipher suite
 * ("TLS_AES_128_GCM_SHA256") of tls_session (a gnutls_session_t); static
 * strings, NULL when unknown. */
void pail_tls_describe(void *tls_session, const char **protocol, const char **cipher);

#endif
