/* status.h - status codes and the last-error message.
 *
 * Library code never ends the process and never prints: a failing function
 * records a message with mt_fail() and returns a status; the application
 * decides what to show. The message buffer is thread-local. */
#ifndef MT_STATUS_H
#define MT_STATUS_H

#include <stddef.h>

typedef enum {
    MT_OK = 0,
    MT_ERR_NOMEM,       /* allocation failed */
    MT_ERR_IO,          /* open/read/write/rename failed */
    MT_ERR_FORMAT,      /* malformed file contents */
    MT_ERR_SHAPE,       /* tensor shapes disagree */
    MT_ERR_ARG,         /* bad argument or configuration value */
    MT_ERR_NUMERIC,     /* NaN/Inf, non-convergence */
    MT_ERR_SCRIPT,      /* Lua script error */
    MT_ERR_INTERRUPTED, /* the user asked to stop */
    MT_ERR_STATE,       /* call made in the wrong state */
    MT_STATUS_COUNT
} mt_status;

/* Records a printf-style message as the last error and returns `s`,
 * so a failing path reads `return mt_fail(MT_ERR_IO, "%s: %s", ...)`. */
mt_status mt_fail(mt_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prepends "prefix: " to the current message (context on the way up). */
mt_status mt_fail_prefix(mt_status s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread; "" when none. Borrowed. */
const char *mt_last_error(void);

/* The status that went with the last message (MT_OK when none). */
mt_status mt_last_status(void);

void mt_clear_error(void);

/* A stable lower-case name for a status ("io", "format", ...). */
const char *mt_status_name(mt_status s);

#endif
