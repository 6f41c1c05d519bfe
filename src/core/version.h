/* version.h - mtlab's version, the one place it is written, and where the
 * installed files are. */
#ifndef MT_VERSION_H
#define MT_VERSION_H

/* The release: `mtlab --version`, mtl.core.version, config.json; the man
 * page's header is regenerated from it (make docs) and a test holds
 * docs/mtlab.1 and CHANGELOG.md to it. */
#define MTLAB_VERSION "0.1.0"

/* The git commit the binary was built from ("ad7ee78c8302", with
 * "-dirty" when the work tree had changes), or "" when it was not built
 * from a git checkout. The Makefile passes it to version.c only. */
const char *mt_commit(void);

/* "0.1.0 (commit ad7ee78c8302)" or "0.1.0". Static storage. */
const char *mt_version_string(void);

/* The folder holding mtlab's data (lua/mtl.lua, experiments/): $MTLAB_DATADIR
 * when set; else, from the running executable's folder E, E/../share/mtlab
 * (an installed PREFIX/bin/mtlab), or the source tree a build folder sits
 * in (E/.., E/../.. or E/../../.. holding both lua/mtl.lua and
 * src/app/main.c: build/mtlab, build/asan/mtlab, build/tests/test_x).
 * No path is compiled in, so an installed binary runs from anywhere and a
 * build tree can move. NULL when none is found. Static storage. */
const char *mt_datadir(void);

/* The process's command line, recorded once by main (borrowed: argv must
 * outlive the run) so config.json can say how a run was started. */
void mt_set_command_line(int argc, char **argv);
/* The recorded arguments (argv[0] first); *argc 0 when none was set. */
char **mt_command_line(int *argc);

/* The CPU's model name from /proc/cpuinfo ("AMD EPYC 7B13"), or "" when
 * it cannot be read. Static storage. */
const char *mt_cpu_model(void);

#endif
