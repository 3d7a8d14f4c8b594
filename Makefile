# nestvm: `make` builds, `make check` tests (unit tests under ASan/UBSan, then the system
# scenarios inside the test host), `make demo` boots the test host and shows what it offers.

CC ?= cc
BUILD ?= build
SAN ?=
V ?= 0

CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -I. -MMD -MP
LDLIBS := -lseccomp -luring
ifneq ($(SAN),)
CFLAGS += -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
# The ThreadSanitizer build (make tsan): the unit tests' threads, in build/tsan.
ifneq ($(TSAN),)
CFLAGS += -O1 -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS += -fsanitize=thread
endif
# The libFuzzer build (make fuzz, clang only): coverage for the library, the fuzzer's main()
# only in the targets.
ifneq ($(FUZZ),)
CFLAGS += -fsanitize=fuzzer-no-link
endif

CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck)

# The core as a library: the nestvm binary, the unit tests and the system test programs link it.
LIB_SRCS := $(filter-out vmm/main.c,$(wildcard vmm/*.c boot/*.c devices/*.c iommu/*.c vfio/*.c))
UNIT_SRCS := $(wildcard tests/unit/*.c)
PROG_SRCS := $(wildcard tests/system/progs/*.c)
GUEST_SRCS := $(wildcard tests/guest/*.c tests/guest/*.S)
FUZZ_SRCS := $(wildcard tests/fuzz/*.c)

LIB := $(BUILD)/libnestvm.a
NESTVM := $(BUILD)/nestvm
UNIT := $(BUILD)/tests/unit/run-unit
PROGS := $(patsubst tests/system/progs/%.c,$(BUILD)/tests/system/progs/%,$(PROG_SRCS))
GUEST_OBJS := $(patsubst %,$(BUILD)/%.o,$(basename $(GUEST_SRCS)))
GUEST_PAYLOAD := $(BUILD)/tests/guest/viommu-guest
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,build/fuzz/tests/fuzz/%,$(FUZZ_SRCS))
FUZZ_CC ?= clang
# gcc cannot instrument atomic fences (virtqueue.c has them) for ThreadSanitizer.
TSAN_CC ?= clang
FUZZ_SECONDS ?= 10

Q := $(if $(filter 1,$(V)),,@)

.SECONDARY:
.PHONY: all asan tsan check unit uapi-check demo clean format format-check testhost fuzz fuzz-build
all: $(NESTVM) $(PROGS) $(GUEST_PAYLOAD) uapi-check

# vmm/guest-init.sh as a C string, for the initramfs nestvm builds itself.
$(BUILD)/gen/guest_init.h: vmm/guest-init.sh
	@mkdir -p $(dir $@)
	$(Q){ echo 'static const char guest_init_script[] ='; \
	  sed 's/\\/\\\\/g; s/"/\\"/g; s/^/\t"/; s/$$/\\n"/' $<; echo ';'; } > $@
$(BUILD)/vmm/initramfs.o: $(BUILD)/gen/guest_init.h
$(BUILD)/vmm/initramfs.o: CFLAGS += -I$(BUILD)/gen
# The guest driver's page table, built in user space over a few kernel shims.
$(BUILD)/tests/unit/test_guest_pgtable.o: CFLAGS += -Itests/unit/kshim

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

# The guest payloads (tests/guest): freestanding x86-64, identity-mapped at 1 MiB, booted by
# nestvm through PVH. No SSE (the entry leaves it off), no red zone, no libc.
GUEST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie \
	-mno-red-zone -mcmodel=small -mgeneral-regs-only -fno-stack-protector \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns -MMD -MP
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
	-Wl,-T,tests/guest/guest.lds

$(BUILD)/tests/guest/%.o: tests/guest/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(BUILD)/tests/guest/%.o: tests/guest/%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $@")
	$(Q)$(CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_PAYLOAD): $(GUEST_OBJS) tests/guest/guest.lds
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(GUEST_CFLAGS) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

$(LIB): $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRCS))
	$(Q)$(AR) rcs $@ $^

$(NESTVM): $(BUILD)/vmm/main.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/system/progs/%: $(BUILD)/tests/system/progs/%.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/fuzz/%: $(BUILD)/tests/fuzz/%.o $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)

$(UNIT): $(patsubst %.c,$(BUILD)/%.o,$(UNIT_SRCS)) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

# The compat header against the real 6.12 uAPI headers, when the test kernel's cache has them
# (tools/testhost/build-kernel installs them). Without them this says so and passes.
KDIR ?= $(shell tools/testhost/build-kernel --cached 2>/dev/null)
uapi-check: $(BUILD)/uapi-compat.txt
	$(Q)if [ -z "$(KDIR)" ]; then \
		echo "  UAPI    skipped: no 6.12 headers yet (tools/testhost/build-kernel makes them)"; \
	else \
		$(CC) -D_GNU_SOURCE -I. -Itools/uapi-check -isystem $(KDIR)/headers/include \
			-I$(KDIR)/src-include -o $(BUILD)/uapi-dump-6.12 tools/uapi-check/dump.c && \
		$(BUILD)/uapi-dump-6.12 > $(BUILD)/uapi-6.12.txt && \
		if diff -u $(BUILD)/uapi-6.12.txt $(BUILD)/uapi-compat.txt; then \
			echo "  UAPI    iommu/uapi_compat.h matches the 6.12 headers ($$(wc -l < $(BUILD)/uapi-6.12.txt) checks)"; \
		else \
			echo "uapi-check: iommu/uapi_compat.h differs from the 6.12 headers (lines marked +)" >&2; \
			exit 1; \
		fi; \
	fi

$(BUILD)/uapi-compat.txt: tools/uapi-check/dump.c tools/uapi-check/uapi.def iommu/uapi_compat.h
	@mkdir -p $(BUILD)
	$(Q)$(CC) -D_GNU_SOURCE -DUSE_COMPAT -I. -Itools/uapi-check -o $(BUILD)/uapi-dump-compat $<
	$(Q)$(BUILD)/uapi-dump-compat > $@

unit: $(UNIT)

# ASan/UBSan build of everything, in build/asan.
asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan SAN=1 build/asan/nestvm \
		build/asan/tests/unit/run-unit

# ThreadSanitizer build of the unit tests, in build/tsan.
tsan:
	$(Q)$(MAKE) --no-print-directory BUILD=build/tsan TSAN=1 CC=$(TSAN_CC) build/tsan/tests/unit/run-unit

# libFuzzer targets (tests/fuzz), built with clang and the sanitizers in build/fuzz.
fuzz-build:
	$(Q)$(MAKE) --no-print-directory BUILD=build/fuzz SAN=1 FUZZ=1 CC=$(FUZZ_CC) $(FUZZ_TARGETS)

# Each target for FUZZ_SECONDS from its seed corpus (copied: the tree is left as it is).
fuzz: fuzz-build
	$(Q)tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_TARGETS)

check:
	$(Q)tests/run-all

demo:
	$(Q)tools/demo

testhost: all
	$(Q)tools/testhost/build-initramfs

clean:
	rm -rf build

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

format-check:
	$(Q)clang-format --dry-run -Werror $$(git ls-files '*.c' '*.h')

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
