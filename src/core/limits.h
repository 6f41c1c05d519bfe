/* limits.h - the limits every layer shares, each defined here once.
 *
 * MT_MAX_TASKS bounds the tasks of an experiment everywhere: the script
 * validator, the topologies and regularisers, loss weighting and gradient
 * combination, the monitor the screen reads and the data constructors.
 * Raising it costs only the fixed-size arrays that hold per-task (and
 * task x task) values. */
#ifndef MT_LIMITS_H
#define MT_LIMITS_H

#define MT_MAX_TASKS 64

/* A two-objective landscape's picture (layout in run/monitor.h): the
 * matrices the landscape topology (mtl) publishes and the screen (tui)
 * draws, named here once because neither layer includes the other. */
#define MT_LANDSCAPE_MATRIX "landscape"
#define MT_LANDSCAPE_POSITION "position"
#define MT_LANDSCAPE_GRID 48

#endif
