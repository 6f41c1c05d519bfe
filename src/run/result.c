/* result.c - the numbers a run reports, back from a summary.json, and
 * their names. Nothing here needs a trainer (result_trainer.c makes them
 * from one), so the screen links it alone. */
#include "result.h"

#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/mem.h"
#include "core/textfile.h"

void result_clear(mt_run_result *r)
{
    memset(r, 0, sizeof *r);
    for (int s = 0; s < MT_RES_SPLITS; s++)
        for (int k = 0; k < MT_MAX_TASKS; k++) r->loss[s][k] = r->metric[s][k] = NAN;
    for (int k = 0; k < MT_MAX_TASKS; k++) r->single_task_metric[k] = NAN;
    r->delta_m = NAN;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

mt_status result_read_summary(const char *path, mt_run_result *r)
{
    result_clear(r);
    char *buf;
    mt_status st = mt_read_text(path, &buf, NULL);
    if (st) return st;
    cJSON *o = cJSON_Parse(buf);
    mt_free(buf);
    st = result_read_summary_json(o, r);
    cJSON_Delete(o);
    if (st) mt_fail(st, "%s: not a summary.json of mtlab (no \"tasks\" object)", path);
    return st;
}

mt_status result_read_summary_json(const cJSON *o, mt_run_result *r)
{
    result_clear(r);
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(o, "tasks");
    if (!cJSON_IsObject(tasks)) return mt_fail(MT_ERR_IO, "summary.json: no \"tasks\" object");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "name");
    snprintf(r->name, sizeof r->name, "%s", cJSON_IsString(v) ? v->valuestring : "");
    v = cJSON_GetObjectItemCaseSensitive(o, "status");
    snprintf(r->status, sizeof r->status, "%s", cJSON_IsString(v) ? v->valuestring : "");
    r->steps = (long)num(o, "steps");
    r->total_steps = r->steps;
    const cJSON *task;
    cJSON_ArrayForEach(task, tasks)
    {
        if (r->ntasks == MT_MAX_TASKS || !task->string) break;
        int k = r->ntasks++;
        snprintf(r->task[k], sizeof r->task[k], "%s", task->string);
        r->aux[k] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(task, "aux"));
        r->higher_better[k] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(task, "higher_is_better"));
        v = cJSON_GetObjectItemCaseSensitive(task, "metric_name");
        snprintf(r->metric_name[k], sizeof r->metric_name[k], "%s", cJSON_IsString(v) ? v->valuestring : "");
        r->loss[MT_RES_TRAIN][k] = num(task, "train_loss");
        r->loss[MT_RES_VAL][k] = num(task, "val_loss");
        r->metric[MT_RES_VAL][k] = num(task, "val_metric");
        r->loss[MT_RES_TEST][k] = num(task, "test_loss");
        r->metric[MT_RES_TEST][k] = num(task, "test_metric");
        r->single_task_metric[k] = num(task, "single_task_metric");
    }
    /* "delta_m": the name in runs recorded before it said its unit */
    const char *dm = cJSON_GetObjectItemCaseSensitive(o, "delta_m_percent") ? "delta_m_percent" : "delta_m";
    r->have_baselines = cJSON_GetObjectItemCaseSensitive(o, dm) != NULL;
    r->delta_m = num(o, dm);
    return MT_OK;
}

const char *result_split_name(mt_result_split s)
{
    return s == MT_RES_TRAIN ? "train" : s == MT_RES_VAL ? "val" : "test";
}

const char *result_split_definition(mt_result_split s)
{
    switch (s) {
    case MT_RES_TRAIN: return "train loss: the mean over the steps since the previous evaluation";
    case MT_RES_VAL: return "val loss: at the last evaluation";
    default: return "test loss: after training";
    }
}

int result_find_task(const mt_run_result *r, const char *name)
{
    for (int k = 0; k < r->ntasks; k++)
        if (strcmp(r->task[k], name) == 0) return k;
    return -1;
}
