/* learn.c - `mtlab learn`: a course in the terminal. The lessons of a
 * folder (experiments/lessons by default), in the order of their file
 * names (the survey's order), as a menu; the chosen one is taught on the
 * workbench (workbench.c, app_workbench_lesson) and leads back to the
 * menu. */
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/mem.h"
#include "core/version.h"
#include "workbench.h"

#define LEARN_MAX 32

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The lessons folder when none is given: experiments/lessons here, else
 * in mtlab's data folder (core/version.h: the source tree of a build, or
 * PREFIX/share/mtlab when installed). */
static int default_folder(char *out, size_t n)
{
    if (is_dir("experiments/lessons")) {
        snprintf(out, n, "experiments/lessons");
        return 1;
    }
    const char *d = mt_datadir();
    if (!d) return 0;
    snprintf(out, n, "%s/experiments/lessons", d);
    return is_dir(out);
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The lesson files of a folder (*.lua), sorted; or the one file given. */
static int lesson_files(const char *where, char (*out)[1024], int max)
{
    if (!is_dir(where)) {
        snprintf(out[0], 1024, "%s", where);
        return 1;
    }
    DIR *d = opendir(where);
    if (!d) return 0;
    char *names[LEARN_MAX * 4];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < (int)(sizeof names / sizeof *names)) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".lua") != 0) continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_name);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (k < max) snprintf(out[k++], 1024, "%s/%s", where, names[i]);
        free(names[i]);
    }
    return k;
}

/* A fresh folder for this lesson's runs: top/<lesson file>, -2, -3, ... */
static void lesson_dir(const char *top, const char *file, char *out, size_t n)
{
    char base[1024];
    snprintf(base, sizeof base, "%s", file);
    char *b = basename(base);
    char *dot = strrchr(b, '.');
    if (dot) *dot = '\0';
    for (int k = 1; k < 1000; k++) {
        if (k == 1) snprintf(out, n, "%s/%s", top, b);
        else snprintf(out, n, "%s/%s-%d", top, b, k);
        if (access(out, F_OK) != 0) return;
    }
}

int app_learn(const app_options *o)
{
    char where[1024];
    if (o->script) snprintf(where, sizeof where, "%s", o->script);
    else if (!default_folder(where, sizeof where)) {
        fprintf(stderr, "mtlab: learn: no lessons folder here (experiments/lessons); give one: mtlab learn DIR\n");
        return MT_EXIT_USAGE;
    }
    static char files[LEARN_MAX][1024];
    int n = lesson_files(where, files, LEARN_MAX);
    if (n == 0) {
        fprintf(stderr, "mtlab: learn: %s: no lessons (*.lua) in it\n", where);
        return MT_EXIT_USAGE;
    }
    mtlua_lesson *ls = mt_calloc((size_t)n, sizeof *ls);
    if (!ls) return MT_EXIT_FAILED;
    static char item[LEARN_MAX][240];
    const char *items[LEARN_MAX], *details[LEARN_MAX];
    for (int i = 0; i < n; i++) {
        if (mtlua_lesson_load(files[i], &ls[i])) {
            fprintf(stderr, "mtlab: learn: %s\n", mt_last_error());
            mt_free(ls);
            return MT_EXIT_USAGE;
        }
        int num = ls[i].section[0] >= '0' && ls[i].section[0] <= '9';
        char sec[48];
        snprintf(sec, sizeof sec, "%s%s", num ? "section " : "", ls[i].section);
        snprintf(item[i], sizeof item[i], "%-12s %s", sec, ls[i].title);
        items[i] = item[i];
        details[i] = ls[i].summary;
    }
    char top[1024];
    if (o->out_dir) snprintf(top, sizeof top, "%s", o->out_dir);
    else app_default_run_dir("lessons", top, sizeof top);
    tui_options to = {.force_mono = o->no_color};
    tui_screen *scr = tui_open(&to);
    if (!scr) {
        fprintf(stderr, "mtlab: %s\n", mt_last_error());
        mt_free(ls);
        return MT_EXIT_FAILED;
    }
    int code = MT_EXIT_OK, sel = 0;
    char title[160];
    snprintf(title, sizeof title, "mtlab learn: %d lessons in the order of Ruder's survey (2017), then the methods "
             "that came after", n);
    while (!app_stop_signal) {
        int k = tui_menu(scr, title, items, details, n, &sel);
        if (k < 0) break;
        char dir[1200];
        lesson_dir(top, files[k], dir, sizeof dir);
        wb_lesson w = {.L = &ls[k]};
        int c = app_workbench_lesson(o, scr, &w, dir);
        if (c == MT_EXIT_USAGE) { /* the lesson's script did not load: say why after the screen */
            tui_free(scr);
            fprintf(stderr, "mtlab: learn: %s: %s\n", files[k], mt_last_error());
            mt_free(ls);
            return c;
        }
        if (c > code) code = c;
        if (w.done && sel + 1 < n) sel++; /* the next lesson is the one to take */
    }
    tui_free(scr);
    if (app_stop_signal && code == MT_EXIT_OK) code = MT_EXIT_FAILED;
    printf("mtlab: the lessons' runs are in %s\n", top);
    mt_free(ls);
    return code;
}
