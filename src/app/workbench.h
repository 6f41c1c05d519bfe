/* workbench.h - the pieces of the workbench (app/), shared by
 * workbench.c (the event loop and the keys), wb_runs.c (the experiments
 * of a script as live runs: load, start, reload, end) and wb_export.c. */
#ifndef MT_APP_WORKBENCH_H
#define MT_APP_WORKBENCH_H

#include "app.h"
#include "run/lifecycle.h"
#include "run/result.h"
#include "run/runread.h"
#include "tui/tui.h"

#define WB_MAX 32 /* experiments a script may return (MAX_EXPERIMENTS) */

/* What the screen shows: the experiments of one script running live, or
 * recorded run folders (`mtlab open`, read only). */
typedef struct {
    mtlua_session *lua;       /* NULL for recorded runs */
    int n;
    mt_lifecycle *lc[WB_MAX]; /* live runs (NULL for recorded ones) */
    mt_monitor *mon[WB_MAX];  /* what the screen reads: the lifecycle's, or a recorded run's */
    mt_run_result res[WB_MAX]; /* the numbers summary.json holds (so far) */
    mt_recorded *rec[WB_MAX]; /* recorded runs: the matrices over time */
    char folder[WB_MAX][1024]; /* recorded runs: each one's folder */
    char dir[1024];           /* the run folder (the top one with several experiments) */
    int baseline_run;         /* the experiment whose baselines are training, or -1 */
    int claims_done;          /* the script's claims have been judged */
    int claims_code;          /* MT_EXIT_CLAIM when one failed */
    char claims[4096];        /* their texts and verdicts (the notes' paragraphs) */
} wb_runs;

/* Loads the script and builds every experiment, writing nothing yet; on
 * failure *out is NULL and mt_last_error() says why. */
mt_status wb_load(const app_options *o, const char *dir, wb_runs **out);
/* Opens the run folders and attaches the callbacks; an experiment whose
 * folder cannot be opened ends as failed (the message is in its console). */
void wb_start(wb_runs *r);
/* Ends every run not yet ended (see lifecycle_end); the first write
 * error, if any. */
mt_status wb_end_all(wb_runs *r, mt_status st, const char *status, const char *message);
/* Frees r after a failure, keeping the failure's message; returns st. */
mt_status wb_discard(wb_runs *r, mt_status st);
/* Closes the files and frees everything; the first write error, if any. */
mt_status wb_free(wb_runs *r);
/* The previous run's folder moves to DIR.before-reload-N (the baseline
 * caches stay), so DIR holds the reloaded run; the new name into moved
 * ("" when there was nothing to move). */
mt_status wb_move_aside(const char *dir, char *moved, size_t n);
/* The baselines' progress while wb_start trains them (workbench.c):
 * the screen keeps drawing; Ctrl-C stops them. */
int wb_baseline_progress(void *ud, mt_trainer *t, int task);
/* Once every live run has ended: judges the script's claims on the run
 * folders (claims.json, as headless) and appends each verdict, with the
 * claim's text, to every experiment's notes and console (and keeps them
 * in r->claims, r->claims_code). Once per load. */
void wb_claims(wb_runs *r);
/* Refreshes r->res from the runs (cheap; once a frame). */
void wb_results(wb_runs *r);

/* A lesson being taught (mtlab learn, learn.c): where it is, and what
 * the notes pane shows. */
typedef struct {
    const mtlua_lesson *L;
    int step;          /* the current step; L->nsteps is the end: the claim */
    int answered;      /* the current step's answer is shown */
    long target;       /* every experiment runs to this step, then pauses; 0: none, -1: to its end */
    int done;          /* space on the end: back to the menu */
    int claimed;       /* the claim was checked (at the end, once every run has ended) */
    int held;          /* every claim held */
    char title[200];   /* the notes pane's title */
    char text[8192];   /* what it shows */
    char verdict[4096];
} wb_lesson;

/* Teaches lesson ls on the open screen scr, its experiments recording
 * into dir (o gives the other options); returns when the lesson is left
 * (q, or space after its end), with every run ended. MT_EXIT_* code. */
int app_workbench_lesson(const app_options *o, tui_screen *scr, wb_lesson *ls, const char *dir);

/* wb_export.c: every pane on screen as SVG, and the metrics CSV. */
void wb_export(wb_runs *r, int sel, tui_screen *scr, const tui_view *v, char *msg, size_t n);

/* wb_open.c: recorded run folders as wb_runs (`mtlab open`). */
mt_status wb_open_folders(const char *const *dirs, int ndirs, wb_runs **out);

#endif
