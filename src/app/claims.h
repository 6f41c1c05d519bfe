/* claims.h - a script's claims after its runs (claims.c). */
#ifndef MT_APP_CLAIMS_H
#define MT_APP_CLAIMS_H

#include "app.h"

/* Adds experiment i's run in DIR (run_one's exit code `code`) to what the
 * claims see when it ended with a summary (finished, diverged, failed);
 * otherwise, or when its summary cannot be read, writes why the claims
 * cannot be checked into skip (unless skip already says something).
 * Returns -1 when the summary could not be read (the message in skip). */
int app_claims_add_run(mtlua_session *s, int i, const char *dir, int code, char *skip, size_t n);
/* The verdicts of the claims `mtlab run` checks (every claim not on an
 * mtl.sweep), on the runs in dirs[0..nrun) added with
 * app_claims_add_run: each printed on stdout as "claim held: ..." or
 * "claim FAILED: ..." (notes NULL), or appended with the claim's text to
 * notes (the workbench's notes pane); all written to OUT/claims.json and,
 * with one run folder, to its summary.json as "claims". skip: the reason
 * they cannot be checked, or NULL. Returns MT_EXIT_CLAIM when one failed,
 * else MT_EXIT_OK. */
int app_claims_verdicts(mtlua_session *s, const char *out, const char *const *dirs, int nrun, const char *skip,
                        char *notes, size_t nn);
/* The claims on the mtl.sweep of SCRIPT (opened with ov), after `mtlab
 * sweep` aggregated OUT: results.sweep is OUT/sweep.json; verdicts
 * printed and written to OUT/claims.json. complete: every run is done
 * (else they are "not checked"). MT_EXIT_CLAIM when one failed. */
int app_claims_sweep(const char *script, const mtlua_override *ov, int nov, const char *out, int complete);
/* "claim held: <message>" or "claim FAILED: <message>". */
void app_claim_line(const mtlua_claim_info *k, const mtlua_verdict *v, char *out, size_t n);
/* mtlab run SCRIPT --claims-thorough: every claim over its seeds x
 * draws, each (seed, draw) a child `mtlab run` (-j at a time) in
 * OUT/seed-S-draw-D; the statistic's 95% interval against the margin;
 * OUT/claims-thorough.json. */
int app_claims_thorough(const app_options *o);

#endif
