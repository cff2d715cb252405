/* core/err.h — the one error vocabulary of pail.
 * Owns: enum pail_err (generated from err.def, 1:1 with S3 error codes) and its
 * lookups. Backends translate errno/SQLite codes into these before returning;
 * raw codes never cross a module boundary. */
#ifndef PAIL_CORE_ERR_H
#define PAIL_CORE_ERR_H

enum pail_err {
    PAIL_OK = 0,
#define PAIL_ERR(name, status, msg) PAIL_E_##name,
#include "core/err.def"
#undef PAIL_ERR
    PAIL_E__COUNT
};

/* S3 "Code" string, e.g. "NoSuchKey". Static storage. */
const char *pail_err_code(enum pail_err e);
/* HTTP status AWS answers with. */
int pail_err_status(enum pail_err e);
/* AWS's default message. Static storage. */
const char *pail_err_message(enum pail_err e);

#endif
