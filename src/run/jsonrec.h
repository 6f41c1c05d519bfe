/* jsonrec.h - the JSON records of a run (events.jsonl, relations.jsonl,
 * summary.json, config.json), built with cJSON and never with printf.
 *
 * Two things cJSON alone does not give:
 *   - float32 values printed as float32: a float holding 0.001 is the double
 *     0.0010000000474974513; jrec_f32 stores the shortest decimal that reads
 *     back as the same float (0.001), so the file says what the user wrote;
 *   - valid UTF-8: a script may put any bytes in a name or an error message;
 *     jrec_print replaces every byte that is not part of a valid UTF-8
 *     sequence with U+FFFD, in keys and in values, so every line parses. */
#ifndef MT_JSONREC_H
#define MT_JSONREC_H

#include <cJSON.h>
#include "mtl/tparam.h"

/* {"event": name, "step": step}; NULL when out of memory. */
cJSON *jrec_event(const char *name, long step);
/* A number, or null when v is NaN or infinite. */
cJSON *jrec_num(double v);
/* The shortest decimal that reads back as v (null when not finite). */
cJSON *jrec_f32(float v);
/* The double nearest the shortest decimal of v: (double)0.001f -> 0.001. */
double jrec_f32_decimal(float v);
/* Replaces invalid UTF-8 in every key and string of o, in place. */
void jrec_fix_utf8(cJSON *o);
/* o as one line of JSON (no newline), strings repaired first; caller
 * frees with cJSON_free. NULL when out of memory. */
char *jrec_print(cJSON *o);
/* The same, indented (for summary.json and config.json). */
char *jrec_print_pretty(cJSON *o);

/* Every parameter of defs into obj, resolved: the value given or the
 * default, as JSON types (a choice by name); a derived default the owner
 * did not resolve is null; tables and functions are not written. One
 * writer for config.json and the `weighting` event. */
void jrec_params(cJSON *obj, const mt_tparams *p, const mt_tparam_def *defs);

#endif
