#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static mt_log_sink cur_sink;
static void *cur_ud;
static mt_log_level min_level = MT_LOG_INFO;

mt_log_sink mt_log_set_sink(mt_log_sink sink, void *ud, void **prev_ud)
{
    mt_log_sink old = cur_sink;
    if (prev_ud) *prev_ud = cur_ud;
    cur_sink = sink;
    cur_ud = ud;
    return old;
}

void mt_log_set_level(mt_log_level min) { min_level = min; }

void mt_log(mt_log_level level, const char *fmt, ...)
{
    if (!cur_sink || level < min_level) return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cur_sink(cur_ud, level, buf);
}

const char *mt_log_level_name(mt_log_level level)
{
    switch (level) {
    case MT_LOG_DEBUG: return "debug";
    case MT_LOG_INFO: return "info";
    case MT_LOG_WARN: return "warn";
    case MT_LOG_ERROR: return "error";
    }
    return "?";
}
