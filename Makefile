# mtlab - build, test and benchmark.
#
#   make run            install missing packages, build, open the workbench
#   make test           install missing packages, build and run every test
#   make test SANITIZE=1  the same under -fsanitize=address,undefined
#   make bench          benchmarks against PyTorch (installs python3-torch)
#   make mtlab          just the binary (build/mtlab)
#   make test-MODULE    the tests of one module, e.g. make test-engine
#   make fuzz FUZZ_TIME=600   run each libFuzzer harness (tests/fuzz/) that long
#   make docs           regenerate the docs' tables that come from the registries
#   make install PREFIX=/usr/local DESTDIR=   the binary, the Lua module, the
#                       experiments, the man page and bash completion
#   make uninstall      removes what install put there
#
# Sources are found by wildcard: src/<module>/*.c becomes lib<module>.a, and
# tests/test_<module>*.c a test driver linked against <module> and the
# modules below it (see DEPS_ below), so a broken file in one module never
# stops another module's tests from building.

CC      ?= cc
PKGS    := lua5.4 openblas ncursesw cmocka zlib libcjson
SANITIZE ?= 0
O       ?= -O2

ifeq ($(SANITIZE),1)
BUILD   ?= build/asan
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SANITIZE),fuzz)
# the libraries as clang instruments them for libFuzzer (make fuzz)
BUILD   ?= build/fuzz
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
EXTRA_WARN := -Wno-unknown-warning-option
else
BUILD   ?= build
SANFLAGS :=
endif

# -Wno-missing-field-initializers: parameter tables (tparam.h) list the
# leading fields positionally and leave the optional trailing ones zero.
WARN := -Wall -Wextra -Wshadow -Wpointer-arith -Wcast-align -Wstrict-prototypes \
        -Wmissing-prototypes -Wwrite-strings -Wformat=2 -Wundef -Wvla \
        -Wno-unused-parameter -Wno-format-truncation -Wno-missing-field-initializers $(EXTRA_WARN)
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS  += -std=c11 $(O) -g $(WARN) -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L \
           -Isrc -MMD -MP $(PKG_CFLAGS) $(SANFLAGS) -ffile-prefix-map=$(CURDIR)=.
# The source tree's path is compiled into the tests only (they read docs/ and
# experiments/ from it); the binary finds its data from where it is
# (core/version.h: mt_datadir), so an installed mtlab holds no build path.
TEST_CFLAGS := -DMTLAB_ROOT='"$(CURDIR)"'
LDFLAGS += $(SANFLAGS)
LDLIBS  += $(PKG_LIBS) -lm -lpthread

# The commit `mtlab --version` and config.json name: only core/version.o
# sees it, and it is rebuilt only when the commit changes (the stamp file).
MTLAB_COMMIT := $(shell git -C '$(CURDIR)' describe --always --dirty --abbrev=12 2>/dev/null)

# MPI for `mpirun -np N mtlab sweep` (src/app/sweep_mpi.c only): Open MPI's
# ompi-c or any implementation's mpi pkg-config file; MPI=0 builds without.
MPI ?= auto
ifneq ($(MPI),0)
MPI_PC := $(firstword $(foreach p,ompi-c mpi,$(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),$(p))))
endif
ifneq ($(MPI_PC),)
MPI_CFLAGS := -DMTLAB_MPI $(shell pkg-config --cflags $(MPI_PC))
MPI_LIBS   := $(shell pkg-config --libs $(MPI_PC))
endif

MODULES := core engine data mtl run lua tui app
DEPS_core   := core
DEPS_engine := engine core
DEPS_data   := data core
DEPS_mtl    := mtl data engine core
DEPS_run    := run mtl data engine core
DEPS_lua    := lua run mtl data engine core
DEPS_tui    := tui run core
DEPS_app    := app tui lua run mtl data engine core
DEPS_e2e    := tui lua run mtl data engine core

srcs_of = $(wildcard src/$(1)/*.c)
objs_of = $(patsubst src/%.c,$(BUILD)/obj/%.o,$(call srcs_of,$(1)))
lib_of  = $(BUILD)/lib$(1).a

TEST_SRCS := $(wildcard tests/test_*.c)
TESTS     := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
# tests/test_<module>_whatever.c -> <module>
test_mod   = $(word 2,$(subst _, ,$(basename $(notdir $(1)))))
test_libs  = $(foreach m,$(DEPS_$(call test_mod,$(1))),$(call lib_of,$(m)))

.PHONY: all deps run test test-claims bench clean mtlab check-deps docs install uninstall FORCE fuzz fuzz-build fuzz-smoke $(addprefix test-,$(MODULES) e2e)
.DEFAULT_GOAL := all

all: mtlab $(TESTS)

mtlab: $(BUILD)/mtlab

deps:
	@sh scripts/setup.sh

# Installs missing packages only when pkg-config cannot find them.
check-deps:
	@pkg-config --exists $(PKGS) 2>/dev/null && command -v tmux >/dev/null && command -v mpirun >/dev/null && \
	  command -v chromium >/dev/null && \
	  command -v $(FUZZ_CC) >/dev/null && test -d /usr/share/datasets/fashion-mnist && \
	  test -f /usr/lib/python3/dist-packages/vega_datasets/_data/seattle-weather.csv && \
	  test -e "$$($(FUZZ_CC) -print-resource-dir)/lib/linux/libclang_rt.fuzzer-$$(uname -m).a" || sh scripts/setup.sh

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests -c $< -o $@

$(BUILD)/commit.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(MTLAB_COMMIT)' | cmp -s - $@ || echo '$(MTLAB_COMMIT)' >$@
$(BUILD)/obj/core/version.o: $(BUILD)/commit.stamp
$(BUILD)/obj/core/version.o: CFLAGS += -DMTLAB_COMMIT='"$(MTLAB_COMMIT)"'

define LIB_RULE
$(call lib_of,$(1)): $(call objs_of,$(1))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call LIB_RULE,$(m))))

$(BUILD)/obj/app/sweep_mpi.o: CFLAGS += $(MPI_CFLAGS)

$(BUILD)/mtlab: $(foreach m,$(DEPS_app),$(call lib_of,$(m)))
	$(CC) $(LDFLAGS) -o $@ -Wl,--start-group $^ -Wl,--end-group $(LDLIBS) $(MPI_LIBS)

.SECONDARY:
.SECONDEXPANSION:
$(BUILD)/tests/%: $(BUILD)/tests/%.o $$(call test_libs,$$*) $$(if $$(filter e2e,$$(call test_mod,$$*)),$(BUILD)/mtlab)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(call test_libs,$*) -Wl,--end-group $(LDLIBS)

run: check-deps
	@$(MAKE) --no-print-directory mtlab
	$(BUILD)/mtlab experiments/00_workbench_tour.lua

test: check-deps
	@$(MAKE) --no-print-directory $(TESTS) $(BUILD)/mtlab
	@sh scripts/run-tests.sh $(BUILD) $(TESTS)
	@$(MAKE) --no-print-directory fuzz-smoke

$(addprefix test-,$(MODULES) e2e): test-%: check-deps
	@$(MAKE) --no-print-directory $(filter $(BUILD)/tests/test_$*%,$(TESTS)) $(if $(filter e2e,$*),$(BUILD)/mtlab)
	@sh scripts/run-tests.sh $(BUILD) $(filter $(BUILD)/tests/test_$*%,$(TESTS))

# Every experiment's claim over the seeds x data draws it states (not part
# of `make test`; JOBS=N runs at a time, default 2; README says how long).
test-claims: $(BUILD)/mtlab
	@sh scripts/test-claims.sh $(BUILD)

docs: $(BUILD)/mtlab
	@sh scripts/gen-docs.sh $(BUILD)

# ---- install: PREFIX/bin/mtlab finds PREFIX/share/mtlab beside it at run
# time, so DESTDIR staging and a moved PREFIX work alike.
PREFIX   ?= /usr/local
DESTDIR  ?=
BINDIR   := $(PREFIX)/bin
DATADIR  := $(PREFIX)/share/mtlab
MANDIR   := $(PREFIX)/share/man/man1
DOCDIR   := $(PREFIX)/share/doc/mtlab
BASHCOMPDIR := $(PREFIX)/share/bash-completion/completions

install: $(BUILD)/mtlab
	install -d '$(DESTDIR)$(BINDIR)' '$(DESTDIR)$(DATADIR)/lua' '$(DESTDIR)$(MANDIR)' \
	  '$(DESTDIR)$(DOCDIR)' '$(DESTDIR)$(BASHCOMPDIR)'
	install -m 755 $(BUILD)/mtlab '$(DESTDIR)$(BINDIR)/mtlab'
	install -m 644 lua/*.lua '$(DESTDIR)$(DATADIR)/lua/'
	rm -rf '$(DESTDIR)$(DATADIR)/experiments'
	cp -R experiments '$(DESTDIR)$(DATADIR)/experiments'
	chmod -R u+rwX,go+rX,go-w '$(DESTDIR)$(DATADIR)/experiments'
	install -m 644 docs/mtlab.1 '$(DESTDIR)$(MANDIR)/mtlab.1'
	install -m 644 scripts/mtlab.bash-completion '$(DESTDIR)$(BASHCOMPDIR)/mtlab'
	install -m 644 README.md LICENSE CHANGELOG.md docs/*.md '$(DESTDIR)$(DOCDIR)/'
	install -d '$(DESTDIR)$(DATADIR)/scripts'
	install -m 755 scripts/torch_load_checkpoint.py '$(DESTDIR)$(DATADIR)/scripts/'

uninstall:
	rm -f '$(DESTDIR)$(BINDIR)/mtlab' '$(DESTDIR)$(MANDIR)/mtlab.1' '$(DESTDIR)$(BASHCOMPDIR)/mtlab'
	rm -rf '$(DESTDIR)$(DATADIR)' '$(DESTDIR)$(DOCDIR)'

BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCHES := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
$(BUILD)/bench/%: tests/bench/%.c $(foreach m,$(DEPS_e2e),$(call lib_of,$(m)))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests $(LDFLAGS) -o $@ $< -Wl,--start-group $(foreach m,$(DEPS_e2e),$(call lib_of,$(m))) -Wl,--end-group $(LDLIBS)

bench: check-deps
	@sh scripts/setup.sh --bench
	@$(MAKE) --no-print-directory O=-O3 BUILD=build/bench-o3 build/bench-o3/mtlab $(patsubst $(BUILD)/%,build/bench-o3/%,$(BENCHES))
	@sh scripts/run-bench.sh build/bench-o3

# ---- fuzzing: libFuzzer harnesses in tests/fuzz/, built by clang with
# ASan and UBSan into build/fuzz/. Their seed corpora are written by the
# project's own code (tests/fuzz/seeds.c) into build/fuzz/seeds/; inputs that
# once crashed stay in tests/fuzz/regress/<harness>/. `make fuzz` runs each
# harness FUZZ_TIME seconds and keeps what it finds in build/fuzz/corpus/;
# `make test` runs FUZZ_RUNS inputs of each (a smoke that keeps them building).
FUZZ_CC    ?= clang
FUZZ_DIR   := build/fuzz
FUZZ_NAMES := idx csv checkpoint script
FUZZ_TIME  ?= 60
FUZZ_RUNS  ?= 20000
FUZZ_BINS  := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
DEPS_fuzz_idx        := data core
DEPS_fuzz_csv        := data core
DEPS_fuzz_checkpoint := engine core
DEPS_fuzz_script     := lua run mtl data engine core

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h tests/fuzz/fuzz_model.h $$(foreach m,$$(DEPS_fuzz_$$*),$$(call lib_of,$$(m)))
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests/fuzz -fsanitize=fuzzer $(LDFLAGS) -o $@ $< -Wl,--start-group $(foreach m,$(DEPS_fuzz_$*),$(call lib_of,$(m))) -Wl,--end-group $(LDLIBS)

$(BUILD)/fuzz_seeds: tests/fuzz/seeds.c tests/fuzz/fuzz_model.h $(foreach m,$(DEPS_e2e),$(call lib_of,$(m)))
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -Itests/fuzz $(LDFLAGS) -o $@ $< -Wl,--start-group $(foreach m,$(DEPS_e2e),$(call lib_of,$(m))) -Wl,--end-group $(LDLIBS)

fuzz-build: check-deps
	@$(MAKE) --no-print-directory $(BUILD)/fuzz_seeds
	@$(MAKE) --no-print-directory SANITIZE=fuzz CC=$(FUZZ_CC) $(FUZZ_BINS)
	@rm -rf $(FUZZ_DIR)/seeds && $(BUILD)/fuzz_seeds $(FUZZ_DIR)/seeds

fuzz: fuzz-build
	@sh scripts/run-fuzz.sh $(FUZZ_DIR) campaign $(FUZZ_TIME) $(FUZZ_NAMES)

fuzz-smoke: fuzz-build
	@sh scripts/run-fuzz.sh $(FUZZ_DIR) smoke $(FUZZ_RUNS) $(FUZZ_NAMES)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
