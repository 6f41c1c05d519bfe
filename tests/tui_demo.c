/* tui_demo.c - the workbench screen on synthetic data, for trying it by
 * hand (not a cmocka driver). Build:
 *   make BUILD=build/tu build/tu/libtui.a build/tu/librun.a build/tu/libcore.a
 *   cc $(CFLAGS) tests/tui_demo.c build/tu/libtui.a build/tu/librun.a \
 *      build/tu/libcore.a $(LDLIBS) -o tui_demo
 * Run: ./tui_demo [steps-per-frame]; NO_COLOR=1 for monochrome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/status.h"
#include "run/monitor.h"
#include "tui/demo.h"
#include "tui/tui.h"

#define NEXP 3

static const char *const weightings[] = { "equal", "uncertainty", "gradnorm", "dwa" };

static void init_all(mt_monitor *mon)
{
    for (int i = 0; i < NEXP; i++) {
        if (tui_demo_init(&mon[i], i, 5000) != MT_OK) {
            fprintf(stderr, "tui_demo: %s\n", mt_last_error());
            exit(1);
        }
        monitor_log(&mon[i], 1, "loaded demo experiment %d", i + 1);
        tui_demo_fill(&mon[i], 0);
    }
}

int main(int argc, char **argv)
{
    long per_frame = argc > 1 ? atol(argv[1]) : 5;
    static mt_monitor mon[NEXP];
    init_all(mon);
    const mt_monitor *ptrs[NEXP] = { &mon[0], &mon[1], &mon[2] };
    tui_view view = { .monitors = ptrs, .count = NEXP, .selected = 0, .script = "tests/tui_demo.c (synthetic data)" };
    char message[256] = "";
    tui_screen *s = tui_open(NULL);
    if (!s) {
        fprintf(stderr, "tui_demo: %s\n", mt_last_error());
        return 1;
    }
    int paused = 0, wsel = 1, quit = 0;
    while (!quit) {
        if (!paused)
            for (int i = 0; i < NEXP; i++)
                if (mon[i].state == MT_RUN_RUNNING) tui_demo_fill(&mon[i], mon[i].step + per_frame);
        view.message = message[0] ? message : NULL;
        tui_draw(s, &view);
        char line[512];
        tui_action a = tui_poll(s, 50, line, sizeof line);
        mt_monitor *m = &mon[view.selected];
        switch (a) {
        case TUI_ACT_QUIT: quit = 1; break;
        case TUI_ACT_PAUSE_TOGGLE:
            paused = !paused;
            for (int i = 0; i < NEXP; i++)
                if (mon[i].state == MT_RUN_RUNNING || mon[i].state == MT_RUN_PAUSED)
                    mon[i].state = paused ? MT_RUN_PAUSED : MT_RUN_RUNNING;
            break;
        case TUI_ACT_STEP: tui_demo_fill(m, m->step + 1); break;
        case TUI_ACT_RELOAD:
            for (int i = 0; i < NEXP; i++) monitor_free(&mon[i]);
            init_all(mon);
            paused = 0;
            snprintf(message, sizeof message, "reloaded");
            break;
        case TUI_ACT_CYCLE_WEIGHTING:
            wsel = (wsel + 1) % 4;
            snprintf(m->weighting, sizeof m->weighting, "%s", weightings[wsel]);
            monitor_log(m, 1, "weighting -> %s", weightings[wsel]);
            break;
        case TUI_ACT_LR_UP:
        case TUI_ACT_LR_DOWN:
            m->lr *= a == TUI_ACT_LR_UP ? 2.0 : 0.5;
            monitor_log(m, 1, "learning rate -> %g", m->lr);
            break;
        case TUI_ACT_SAVE: snprintf(message, sizeof message, "checkpoint: (demo, nothing saved)"); break;
        case TUI_ACT_EXPORT: {
            tui_svg_options o;
            tui_svg_view(s, &o);
            if (tui_export_svg("/tmp/mtlab_demo.svg", m, &o) == MT_OK)
                snprintf(message, sizeof message, "exported /tmp/mtlab_demo.svg");
            else
                snprintf(message, sizeof message, "export failed: %s", mt_last_error());
            break;
        }
        case TUI_ACT_CONSOLE_LINE:
            monitor_log(m, 1, "> %s", line);
            monitor_log(m, 1, "(demo: no Lua here; %zu bytes)", strlen(line));
            break;
        case TUI_ACT_SELECT_EXPERIMENT: view.selected = tui_requested_experiment(s); break;
        default: break;
        }
    }
    tui_free(s);
    for (int i = 0; i < NEXP; i++) monitor_free(&mon[i]);
    if (tui_quit_signal()) printf("tui_demo: quit on signal %d\n", tui_quit_signal());
    return 0;
}
