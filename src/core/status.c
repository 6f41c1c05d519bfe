#include "status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MSG_CAP 2048

static _Thread_local char last_msg[MSG_CAP];
static _Thread_local mt_status last_status;

mt_status mt_fail(mt_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_msg, sizeof last_msg, fmt, ap);
    va_end(ap);
    last_status = s;
    return s;
}

mt_status mt_fail_prefix(mt_status s, const char *fmt, ...)
{
    char prefix[256], old[MSG_CAP - 300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    size_t n = strnlen(last_msg, sizeof old - 1);
    memcpy(old, last_msg, n);
    old[n] = '\0';
    size_t pn = strlen(prefix);
    memcpy(last_msg, prefix, pn);
    memcpy(last_msg + pn, ": ", 2);
    memcpy(last_msg + pn + 2, old, n + 1);
    last_status = s;
    return s;
}

const char *mt_last_error(void) { return last_msg; }

mt_status mt_last_status(void) { return last_status; }

void mt_clear_error(void)
{
    last_msg[0] = '\0';
    last_status = MT_OK;
}

const char *mt_status_name(mt_status s)
{
    static const char *const names[MT_STATUS_COUNT] = {
        "ok", "nomem", "io", "format", "shape", "arg",
        "numeric", "script", "interrupted", "state",
    };
    if ((int)s < 0 || s >= MT_STATUS_COUNT) return "unknown";
    return names[s];
}
