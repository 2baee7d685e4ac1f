# SPDX-License-Identifier: GPL-2.0
# dmaheap top-level dispatch.  See README.md; docs/DESIGN.md has the layout.

VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
DESTDIR ?=
export VERSION PREFIX DESTDIR
# udev reads rules from /usr/lib/udev/rules.d (PREFIX=/usr, as a package
# installs them) and from /usr/local/lib/udev/rules.d (the default PREFIX).
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d

# Kernel to build modules for: the running one when its headers are
# installed, otherwise the one Debian's linux-image-amd64 points to (the one
# the VM boots).
KERNELRELEASE ?= $(shell scripts/kernel-release)
export KERNELRELEASE

.PHONY: all deps modules lib cli vm-userspace host-tests check demo bench \
	install dkms deb clean

all: lib cli

deps:
	scripts/install-deps

modules:
	$(MAKE) -C kernel KERNELRELEASE=$(KERNELRELEASE)

lib:
	$(MAKE) -C lib

cli: lib
	$(MAKE) -C cli

# Static programs for the VM: CLI, tests, benchmark, demo.
# Test folders with their own Makefile (heap and device tests) join in.
TEST_SUBDIRS := $(patsubst %/Makefile,%,$(wildcard tests/heaps/Makefile tests/device/Makefile))

vm-userspace:
	$(MAKE) -C lib static
	$(MAKE) -C cli vm
	$(MAKE) -C tests
	$(foreach d,$(TEST_SUBDIRS),$(MAKE) -C $(d) &&) true

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

bench: deps
	tests/vm/run -- dmaheap-bench

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
