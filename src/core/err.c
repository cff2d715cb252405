/* core/err.c — tables behind err.h, expanded from err.def. */
#include "core/err.h"

static const struct {
    const char *code;
    int status;
    const char *msg;
} table[PAIL_E__COUNT] = {
    [PAIL_OK] = {"OK", 200, "OK"},
#define PAIL_ERR(name, st, m) [PAIL_E_##name] = {#name, st, m},
#include "core/err.def"
#undef PAIL_ERR
};

static int valid(enum pail_err e) { return e >= PAIL_OK && e < PAIL_E__COUNT; }

const char *pail_err_code(enum pail_err e)
{
    return valid(e) ? table[e].code : "InternalError";
}

int pail_err_status(enum pail_err e)
{
    return valid(e) ? table[e].status : 500;
}

const char *pail_err_message(enum pail_err e)
{
    return valid(e) ? table[e].msg : table[PAIL_E_InternalError].msg;
}
