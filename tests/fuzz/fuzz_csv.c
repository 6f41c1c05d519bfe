/* fuzz_csv.c - the CSV reader on any bytes, with the columns of the seed
 * files (inputs a, b; targets y class, z regression, w binary), a second
 * reading with a declared class count, a third without a header by
 * runs of spaces with a guessed target, and a fourth skipping a line with
 * guessed targets. Errors must name the file; success must give finite
 * inputs and labels within their kinds, and text classes their names. */
#include "fuzz_util.h"

#include <math.h>
#include <string.h>
#include "core/status.h"
#include "data/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const mt_dataset *ds)
{
    for (size_t i = 0; i < (size_t)ds->n * (size_t)ds->d; i++)
        if (!isfinite(ds->x[i])) abort();
    for (int t = 0; t < ds->ntargets; t++) {
        const mt_target *tg = &ds->targets[t];
        for (int r = 0; r < ds->n; r++) {
            if (tg->mask && !tg->mask[r]) continue;
            float y = tg->y[r];
            if (!isfinite(y)) abort();
            if (tg->kind == MT_TARGET_CLASS && (y < 0 || y >= (float)tg->classes || tg->classes > MT_MAX_CLASSES))
                abort();
            if (tg->kind == MT_TARGET_BINARY && y != 0.0f && y != 1.0f) abort();
        }
        if (tg->labels && tg->kind != MT_TARGET_CLASS) abort();
        for (int k = 0; tg->labels && k < tg->classes; k++)
            if (!tg->labels[k]) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    fuzz_file(data, size, path, sizeof path);
    static const char *const inputs[] = {"a", "b"};
    const csv_target all[3] = {{"y", MT_TARGET_CLASS, 0, NULL},
                               {"z", MT_TARGET_REGRESS, 0, NULL},
                               {"w", MT_TARGET_BINARY, 0, "wide"}};
    const csv_target three[1] = {{"y", MT_TARGET_CLASS, 3, "label"}};
    static const char *const by_place[] = {"1", "2"};
    const csv_target third[1] = {{"3", MT_TARGET_REGRESS, 0, NULL, 1}};
    const csv_target guessed[2] = {{"y", MT_TARGET_REGRESS, 0, NULL, 1}, {"z", MT_TARGET_REGRESS, 0, NULL, 1}};
    for (int pass = 0; pass < 4; pass++) {
        mt_dataset ds;
        dataset_init(&ds);
        csv_format spaces = {.sep = ' ', .no_header = 1}, skip1 = {.skip = 1};
        mt_status st = pass == 0   ? csv_load(&ds, path, inputs, 2, all, 3)
                       : pass == 1 ? csv_load(&ds, path, inputs, 1, three, 1)
                       : pass == 2 ? csv_load_fmt(&ds, path, &spaces, by_place, 2, third, 1)
                                   : csv_load_fmt(&ds, path, &skip1, inputs, 2, guessed, 2);
        if (st == MT_OK) check(&ds);
        else if (ds.n || ds.x || strncmp(mt_last_error(), path, strlen(path)) != 0) abort();
        dataset_free(&ds);
    }
    return 0;
}
