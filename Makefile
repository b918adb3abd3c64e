# SPDX-License-Identifier: GPL-2.0
#
# Userspace build of kslab. The kernel module is built by Kbuild.
#
#   make            build/libkslab.a and .so, build/libkslab-malloc.so and .a
#                   (the drop-in malloc), build/libkslab-malloc-hardened.so
#                   (the same with canaries and zeroing), tools, selftests
#   make check      run every selftest, plain, under ASan+UBSan and under
#                   ThreadSanitizer, and the kernel module under qemu
#                   (scripts/check-kernel.sh)
#   make module     build kslab.ko with Kbuild against KDIR
#   make dkms-install  kslab.ko under DKMS, rebuilt for each kernel
#                   (scripts/dkms.sh; root); make dkms-remove undoes it
#   make bench      the benchmarks (scripts/bench.sh): tables, and SVG plots
#                   in build/bench-results/; then make bench-kernel
#   make bench-kernel  kslab against SLUB inside a kernel at native speed,
#                   User-Mode Linux (scripts/bench-uml.sh)
#   make perf       the benchmarks under perf: stat, sampling, USDT probes
#                   (scripts/perf.sh; root)
#   make fuzz       libFuzzer for FUZZ_SECONDS (scripts/fuzz.sh; clang)
#   make demo       run the demo tool
#   make clean
#
# BUILD=dir builds elsewhere; SANITIZE=1 adds -fsanitize=address,undefined,
# SANITIZE=thread -fsanitize=thread (Documentation/sanitizers.rst);
# VALGRIND=1 builds kslab telling memcheck about its objects.

BUILD ?= build
VERSION := 0.1.0
SONAME := libkslab.so.0
PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
MAN_PAGES := $(wildcard Documentation/man/*.[137])
CC ?= gcc

CFLAGS := -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -fPIC -pthread \
	  -Iinclude -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := -pthread
# kslab loads liburcu-memb at its first RCU call (userspace/rcu.c): only
# the tests that call liburcu themselves link it.
LDLIBS :=
ifeq ($(VALGRIND),1)
CFLAGS += -DKSLAB_VALGRIND
endif
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	  -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
ifeq ($(SANITIZE),thread)
CFLAGS += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif

LIB_SRCS := $(wildcard mm/*.c) $(wildcard userspace/*.c)
OBJ := $(BUILD)/obj
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJ)/%.o)
MALLOC_OBJ := $(OBJ)/userspace/malloc/preload.o $(OBJ)/userspace/malloc/new.o
# C++'s new-handlers may throw through operator new (userspace/malloc/new.c).
$(OBJ)/userspace/malloc/new.o: CFLAGS += -fexceptions

# Every folder under selftests/ (but kernel/) is one test program: its .c
# files linked with the harness, the userspace stress and process helpers
# and the library. preload/ runs programs with build/libkslab-malloc.so
# preloaded, which a sanitizer build cannot do (its malloc must come first).
TEST_DIRS := $(filter-out kernel,$(notdir $(patsubst %/,%,$(wildcard selftests/*/))))
# checkers/ shows ASan and memcheck catching bugs in kslab's objects: it
# is built only where kslab marks them, the ASan build and the memcheck
# build (VALGRIND=1: -DKSLAB_VALGRIND), which builds nothing else.
# probes/ runs perf on its own binary: plain build only.
ifeq ($(SANITIZE),1)
TEST_DIRS := $(filter-out preload hardening probes,$(TEST_DIRS))
else ifeq ($(SANITIZE),thread)
TEST_DIRS := $(filter-out preload hardening checkers probes,$(TEST_DIRS))
else ifeq ($(VALGRIND),1)
TEST_DIRS := checkers
else
TEST_DIRS := $(filter-out checkers,$(TEST_DIRS))
endif
TEST_BINS := $(TEST_DIRS:%=$(BUILD)/selftests/%)
KTAP_OBJ := $(OBJ)/selftests/ktap.o $(OBJ)/selftests/capture.o
STRESS_OBJ := $(OBJ)/selftests/stress.o $(OBJ)/selftests/process.o

TOOL_SRCS := $(wildcard userspace/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:userspace/tools/%.c=$(BUILD)/tools/%)

BENCH_SRCS := $(wildcard userspace/bench/*.c)
BENCH_BINS := $(BENCH_SRCS:userspace/bench/%.c=$(BUILD)/bench/%)

.PHONY: all lib tests tools benches check check-kernel check-kernel-debug module perf \
	bench bench-kernel demo fuzz clean install uninstall dkms-install dkms-remove
all: lib tools tests benches
lib: $(BUILD)/libkslab.a $(BUILD)/libkslab.so $(BUILD)/libkslab-malloc.so \
     $(BUILD)/libkslab-malloc.a $(BUILD)/libkslab-malloc-hardened.so
tests: $(TEST_BINS)
tools: $(TOOL_BINS)
benches: $(BENCH_BINS)

$(OBJ)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c -o $@ $<

# For the library's objects alone: hidden unless a public header marks
# it (KSLAB_API, <kslab/types.h>), so calls inside the shared objects
# bind directly; and scripts/fuzz.sh has clang instrument kslab for
# coverage, not the tests around it.
$(LIB_OBJS): CFLAGS += -fvisibility=hidden $(LIB_CFLAGS)

$(BUILD)/libkslab.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The shared objects export the public API alone (scripts/exports.sh):
# version scripts made from the marks in the public headers.
$(BUILD)/%.map: scripts/exports.sh $(wildcard include/kslab/*.h)
	@mkdir -p $(@D)
	{ echo '{ global:'; scripts/exports.sh $(if $(findstring malloc,$*),--malloc) | \
	  sed 's/$$/;/'; echo 'local: *; };'; } >$@

# The shared objects' .bss bounds, for userspace/pages.c to populate.
SO_LDFLAGS := '-Wl,--defsym=kslab_bss_start=ADDR(.bss)' \
	      '-Wl,--defsym=kslab_bss_end=ADDR(.bss)+SIZEOF(.bss)'

# libkslab.so.VERSION with the links an installed library has, so a
# program linked with -Lbuild -lkslab finds its soname in build/ too.
$(BUILD)/libkslab.so.$(VERSION): $(LIB_OBJS) $(BUILD)/libkslab.map
	$(CC) -shared $(LDFLAGS) $(SO_LDFLAGS) -Wl,-soname,$(SONAME) \
		-Wl,--version-script=$(BUILD)/libkslab.map -o $@ \
		$(filter %.o,$^) $(LDLIBS)

$(BUILD)/$(SONAME): $(BUILD)/libkslab.so.$(VERSION)
	ln -sf $(<F) $@

$(BUILD)/libkslab.so: $(BUILD)/$(SONAME)
	ln -sf $(<F) $@

# The drop-in malloc: the library plus the C library's names for it.
$(BUILD)/libkslab-malloc.a: $(LIB_OBJS) $(MALLOC_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

# The hardened drop-in (userspace/malloc.c): canaries after class blocks,
# checked on free, and freed blocks zeroed; the default costs nothing.
HARDENED_OBJS := $(filter-out $(OBJ)/userspace/malloc.o,$(LIB_OBJS)) \
		 $(OBJ)/userspace/malloc-hardened.o $(MALLOC_OBJ)
$(OBJ)/userspace/malloc-hardened.o: userspace/malloc.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -fvisibility=hidden -DKSLAB_MALLOC_HARDENED -c -o $@ $<

$(BUILD)/libkslab-malloc-hardened.so: $(HARDENED_OBJS) $(BUILD)/libkslab-malloc.map
	$(CC) -shared $(LDFLAGS) $(SO_LDFLAGS) -Wl,-Bsymbolic-functions \
		-Wl,--version-script=$(BUILD)/libkslab-malloc.map -o $@ \
		$(filter %.o,$^) $(LDLIBS)

$(BUILD)/libkslab-malloc.so: $(LIB_OBJS) $(MALLOC_OBJ) $(BUILD)/libkslab-malloc.map
	$(CC) -shared $(LDFLAGS) $(SO_LDFLAGS) -Wl,-Bsymbolic-functions \
		-Wl,--version-script=$(BUILD)/libkslab-malloc.map -o $@ \
		$(filter %.o,$^) $(LDLIBS)

# cxx/ is C++: the public headers and a program on them, built with g++
# -pedantic (selftests/cxx/cxx_tests.cc).
CXX ?= g++
CXXFLAGS := -std=c++17 -O2 -g -Wall -Wextra -Werror -pedantic -pthread -Iinclude \
	    $(filter -fsanitize=% -fno-sanitize-recover=% -fno-omit-frame-pointer,$(CFLAGS))
$(BUILD)/selftests/cxx: selftests/cxx/cxx_tests.cc $(BUILD)/libkslab.a
	@mkdir -p $(@D)
	$(CXX) $(CXXFLAGS) -o $@ $< $(BUILD)/libkslab.a $(LDFLAGS) $(LDLIBS)

define test_program
$(BUILD)/selftests/$(1): $(patsubst %.c,$(OBJ)/%.o,$(wildcard selftests/$(1)/*.c)) $(KTAP_OBJ) \
		     $(STRESS_OBJ) $(BUILD)/libkslab.a
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LDLIBS)
endef
$(foreach d,$(filter-out cxx,$(TEST_DIRS)),$(eval $(call test_program,$(d))))

# The fuzz test replays the seed corpus; scripts/fuzz.sh builds the same
# decoder into a libFuzzer target with clang (make fuzz).
$(OBJ)/selftests/fuzz/fuzz_replay.o: CFLAGS += -DFUZZ_CORPUS='"$(CURDIR)/selftests/fuzz/corpus"'
# The preload tests compile programs against the public headers.
$(OBJ)/selftests/preload/preload_tests.o: CFLAGS += -DKSLAB_INCLUDE_DIR='"$(CURDIR)/include"'
# tools/ runs the tools as a user would, and calls the slabinfo tool's
# JSON reader directly.
$(BUILD)/selftests/tools: $(OBJ)/userspace/tools/common/stats_read.o | $(TOOL_BINS)
# profile/ checks sites by name: the dynamic loader must know its functions.
$(BUILD)/selftests/profile: LDFLAGS += -rdynamic
# compat/ is kernel code: <linux/slab.h> and <linux/gfp.h> from include/kslab.
$(OBJ)/selftests/compat/%.o: CFLAGS += -Iinclude/kslab
# compat/ and rcu/ register their own threads with liburcu, as its users do.
$(BUILD)/selftests/compat $(BUILD)/selftests/rcu: LDLIBS += -lurcu-memb

$(BUILD)/kslab-fuzz: $(OBJ)/selftests/fuzz/libfuzzer/fuzz_target.o \
		     $(OBJ)/selftests/fuzz/fuzz_ops.o \
		     $(OBJ)/selftests/fuzz/fuzz_model.o $(KTAP_OBJ) \
		     $(BUILD)/libkslab.a
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(BUILD)/tools/%: $(OBJ)/userspace/tools/%.o $(BUILD)/libkslab.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
# The slabinfo tool also reads JSON statistics and allocation profiles
# (userspace/tools/common/).
$(BUILD)/tools/slabinfo: $(OBJ)/userspace/tools/common/stats_read.o \
			 $(OBJ)/userspace/tools/common/allocinfo_read.o

# bench_cache.c is built once per allocator: here against kslab, by
# scripts/bench.sh against each malloc (it installs those libraries).
$(OBJ)/userspace/bench/bench_cache.o: CFLAGS += -DBENCH_KSLAB
# bench_region.c likewise: its region, kmalloc and cache columns here, by
# scripts/bench-region.sh its malloc column against each malloc.
$(OBJ)/userspace/bench/bench_region.o: CFLAGS += -DBENCH_KSLAB

$(BUILD)/bench/%: $(OBJ)/userspace/bench/%.o $(BUILD)/libkslab.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# bench_malloc and bench_threads call malloc: here kslab's, by
# scripts/bench.sh each peer's.
$(BUILD)/bench/bench_malloc $(BUILD)/bench/bench_threads: $(BUILD)/bench/%: \
		$(OBJ)/userspace/bench/%.o $(BUILD)/libkslab-malloc.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: all
	$(MAKE) BUILD=$(BUILD)/asan SANITIZE=1 tests tools
	$(MAKE) BUILD=$(BUILD)/tsan SANITIZE=thread tests tools
	$(MAKE) BUILD=$(BUILD)/valgrind VALGRIND=1 tests
	scripts/run-tests.sh $(BUILD) $(BUILD)/asan $(BUILD)/tsan $(BUILD)/valgrind

# libFuzzer for FUZZ_SECONDS over a copy of the seed corpus, built with
# clang, ASan and UBSan in $(BUILD)/fuzz (Documentation/fuzzing.rst).
FUZZ_SECONDS ?= 60
fuzz:
	scripts/fuzz.sh $(BUILD) $(FUZZ_SECONDS)

# The kernel module alone: built against KDIR (default: the newest Debian
# linux-headers-*-amd64), loaded in that kernel booted under qemu.
check-kernel:
	scripts/check-kernel.sh $(BUILD)

# The same on a kernel built with KASAN, lockdep, kmemleak and DEBUG_VM
# (scripts/build-debug-kernel.sh; built once, then cached).
check-kernel-debug:
	scripts/check-kernel.sh --debug $(BUILD)

KDIR ?= $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

dkms-install:
	scripts/dkms.sh install

dkms-remove:
	scripts/dkms.sh remove

perf: benches
	scripts/perf.sh $(BUILD)

# The kernel's figures are extra: a machine that cannot build or run the
# UML kernel still gets the userspace tables, and the reason.
bench: benches lib
	CC="$(CC)" BENCH_CFLAGS="$(filter-out -MMD -MP,$(CFLAGS))" \
		scripts/bench.sh $(BUILD)
	scripts/bench-uml.sh $(BUILD) || \
		echo "# make bench: no in-kernel figures; scripts/bench-uml.sh said why above"

# kslab against SLUB in one User-Mode Linux kernel, its code at native
# speed (the kernel built once from linux-source-6.1, then cached).
bench-kernel:
	scripts/bench-uml.sh $(BUILD)

demo: tools
	$(BUILD)/tools/kslab-demo

clean:
	rm -rf $(BUILD)
	-[ -z "$(KDIR)" ] || $(MAKE) -C $(KDIR) M=$(CURDIR) clean

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# make install [PREFIX=/usr/local] [DESTDIR=]: the headers under
# include/kslab/, libkslab.so with its soname and links, libkslab.a,
# libkslab-malloc.so and libkslab-malloc-hardened.so, the tools (as
# kslab-slabinfo and kslab-demo),
# kslab.pc for pkg-config and the man pages (Documentation/man/). make
# uninstall takes the same files away.
INSTALLED_LIBS := libkslab.so.$(VERSION) $(SONAME) libkslab.so libkslab.a \
		  libkslab-malloc.so libkslab-malloc-hardened.so
install: lib tools
	install -d $(DESTDIR)$(INCLUDEDIR)/kslab/linux \
		$(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(BINDIR) \
		$(foreach s,1 3 7,$(DESTDIR)$(MANDIR)/man$(s))
	$(foreach p,$(MAN_PAGES),install -m 644 $(p) \
		$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/ &&) true
	install -m 644 include/kslab/*.h $(DESTDIR)$(INCLUDEDIR)/kslab/
	install -m 644 include/kslab/linux/*.h $(DESTDIR)$(INCLUDEDIR)/kslab/linux/
	install -m 755 $(BUILD)/libkslab.so.$(VERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libkslab.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libkslab.so
	install -m 644 $(BUILD)/libkslab.a $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/libkslab-malloc.so \
		$(BUILD)/libkslab-malloc-hardened.so $(DESTDIR)$(LIBDIR)/
	install -m 755 $(BUILD)/tools/slabinfo $(DESTDIR)$(BINDIR)/kslab-slabinfo
	install -m 755 $(BUILD)/tools/kslab-demo $(DESTDIR)$(BINDIR)/kslab-demo
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	    scripts/kslab.pc.in >$(DESTDIR)$(LIBDIR)/pkgconfig/kslab.pc

uninstall:
	rm -rf $(DESTDIR)$(INCLUDEDIR)/kslab
	rm -f $(INSTALLED_LIBS:%=$(DESTDIR)$(LIBDIR)/%)
	rm -f $(DESTDIR)$(LIBDIR)/pkgconfig/kslab.pc
	rm -f $(DESTDIR)$(BINDIR)/kslab-slabinfo $(DESTDIR)$(BINDIR)/kslab-demo
	rm -f $(foreach p,$(MAN_PAGES),$(DESTDIR)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))
