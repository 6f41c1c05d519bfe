/* log.h - a logging sink.
 *
 * Library code logs through mt_log(); the application installs a sink
 * (the console pane, stderr, a run directory's events file). With no sink
 * installed messages are dropped, so library code never prints. */
#ifndef MT_LOG_H
#define MT_LOG_H

typedef enum { MT_LOG_DEBUG, MT_LOG_INFO, MT_LOG_WARN, MT_LOG_ERROR } mt_log_level;

typedef void (*mt_log_sink)(void *ud, mt_log_level level, const char *msg);

/* Installs `sink` (NULL to drop messages). Returns the previous sink. */
mt_log_sink mt_log_set_sink(mt_log_sink sink, void *ud, void **prev_ud);
void mt_log_set_level(mt_log_level min);
void mt_log(mt_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *mt_log_level_name(mt_log_level level);

#endif
