# SPDX-License-Identifier: GPL-2.0
# dmaheap top-level dispatch.  See README.md; docs/DESIGN.md has the layout.

VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
DESTDIR ?=
export VERSION PREFIX DESTDIR
# udev reads rules from /usr/lib/udev/rules.d (PREFIX=/usr, as a package
# installs them) and from /usr/local/lib/udev/rules.d (the default PREFIX).
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d

# Target architecture, by Debian's name: this machine's, or ARCH=arm64 to
# cross-build the modules and the VM's programs on an amd64 machine (with
# Debian's gcc-aarch64-linux-gnu, against Debian's arm64 headers; see
# README.md).  The kernel's names x86 and x86_64 mean amd64.
deb_arch = $(patsubst x86,amd64,$(patsubst x86_64,amd64,$(patsubst aarch64,arm64,$(1))))
HOST_ARCH := $(call deb_arch,$(shell uname -m))
DMAHEAP_ARCH := $(or $(call deb_arch,$(ARCH)),$(HOST_ARCH))
ifneq ($(filter-out amd64 arm64,$(call deb_arch,$(ARCH))),)
$(error ARCH=$(ARCH): dmaheap cross-builds for amd64 and arm64)
endif

# Kernel to build modules for: the running one when its headers are
# installed, otherwise the one Debian's linux-image-<arch> points to (the
# one the VM boots).
KERNELRELEASE ?= $(shell scripts/kernel-release --arch $(DMAHEAP_ARCH))
export KERNELRELEASE

# Another architecture's programs go to build/<arch>/{bin,lib}, so that
# builds for two architectures never overwrite each other; this machine's
# stay in build/bin and build/lib.
ifeq ($(DMAHEAP_ARCH),$(HOST_ARCH))
CROSS :=
VM_BUILD := $(CURDIR)/build
VM_FLAGS :=
else
CROSS := 1
CROSS_amd64 := x86_64-linux-gnu-
CROSS_arm64 := aarch64-linux-gnu-
CROSS_COMPILE ?= $(CROSS_$(DMAHEAP_ARCH))
VM_BUILD := $(CURDIR)/build/$(DMAHEAP_ARCH)
VM_FLAGS := BUILD=$(VM_BUILD) CC=$(CROSS_COMPILE)gcc AR=$(CROSS_COMPILE)ar
endif

.PHONY: all deps modules lib cli vm-userspace host-tests check demo bench \
	install dkms deb clean

all: lib cli

deps:
	scripts/install-deps

modules:
ifdef CROSS
	@test -n "$(KERNELRELEASE)" || { echo "no $(DMAHEAP_ARCH) kernel release known: run scripts/install-deps --arch $(DMAHEAP_ARCH)" >&2; exit 1; }
	scripts/fetch-kernel --headers $(KERNELRELEASE)
endif
	$(MAKE) -C kernel KERNELRELEASE=$(KERNELRELEASE)

lib:
	$(MAKE) -C lib

cli: lib
	$(MAKE) -C cli

# Static programs for the VM: CLI, tests, benchmark, demo, in build/bin
# (build/arm64/bin with ARCH=arm64 on amd64).  Test folders with their own
# Makefile (heap and device tests) join in.
TEST_SUBDIRS := $(patsubst %/Makefile,%,$(wildcard tests/heaps/Makefile tests/device/Makefile))
TEST_FLAGS := $(if $(CROSS),BINDIR=$(VM_BUILD)/bin CC=$(CROSS_COMPILE)gcc)

vm-userspace:
ifdef CROSS
	@command -v $(CROSS_COMPILE)gcc >/dev/null || { echo "no $(CROSS_COMPILE)gcc: run scripts/install-deps --arch $(DMAHEAP_ARCH)" >&2; exit 1; }
endif
	$(MAKE) -C lib static $(VM_FLAGS)
	$(MAKE) -C cli vm $(VM_FLAGS)
	$(MAKE) -C tests $(TEST_FLAGS)
	$(foreach d,$(TEST_SUBDIRS),$(MAKE) -C $(d) $(TEST_FLAGS) &&) true

# Host-side tests of the library, the CLI, the udev rule, the DKMS packaging,
# the Debian packages, and the VM harness's accelerator choice and boot
# watchdog, with one summary line.
host-tests: lib
	lib/tests/run-all.sh "$(MAKE) -C lib check" "$(MAKE) -C cli check" \
		udev/test-rules.sh scripts/test-dkms scripts/test-deb \
		tests/vm/test-accel

check: deps
	scripts/check

demo: deps
	scripts/demo

# dmaheap's heaps against the kernel's own system heap in one 6.12 VM:
# tables on stdout, CSV and PNG in build/bench/ (scripts/bench --help).
# BENCH_ARGS go to dmaheap-bench, e.g. BENCH_ARGS="--iterations 31".
bench: deps
	scripts/bench -- $(BENCH_ARGS)

install: lib cli
	$(MAKE) -C lib install
	$(MAKE) -C cli install
	install -d $(DESTDIR)$(UDEVRULESDIR)
	install -m 0644 udev/60-dmaheap.rules $(DESTDIR)$(UDEVRULESDIR)/60-dmaheap.rules

# Debian packages into build/deb/ (dmaheap-dkms, libdmaheap1, libdmaheap-dev,
# dmaheap-tools), built with debhelper from the tree's tracked files.
deb:
	scripts/install-deps --deb
	scripts/build-deb

# Register the modules with DKMS so they are rebuilt for every new kernel.
dkms:
	scripts/dkms-install

clean:
	rm -rf build
	$(MAKE) -C lib clean
	$(MAKE) -C cli clean
	$(MAKE) -C tests clean
	$(foreach d,$(TEST_SUBDIRS),$(MAKE) -C $(d) clean &&) true
