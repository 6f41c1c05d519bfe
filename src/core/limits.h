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

#endif
