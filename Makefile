# roomrec — the project's two commands are `make check` and `make demo`.
# Everything else here is a building block of those two.
#
#   make deps     install missing Debian packages (tools/install-deps.sh)
#   make build    meson setup (first time) + meson compile, warnings = errors
#   make check    deps, build, every meson test suite, the unit,
#                 fuzz-replay, elements and launcher suites again under
#                 ASan/UBSan, the
#                 pipelines/*.launch runs, the indent check, one summary line
#   make demo     deps, build, record a 5 s demo room (tools/roomrec-demo.sh)
#   make indent   reformat gst/**/*.c and tools/*.c in GStreamer style
#   make clean    remove the build directories

SHELL := /bin/sh
.SHELLFLAGS := -ec
.ONESHELL:

# Debian's python3, not whatever python3 comes first in PATH (pyenv...).
PYTHON := /usr/bin/python3
MESON ?= meson
BUILD ?= build
ASAN_BUILD ?= build-asan
# Suites run again under the sanitizers (those that exist are run).
ASAN_SUITES ?= unit fuzz-replay
RESULTS := $(BUILD)/check-results
SUMMARY := $(PYTHON) tests/summary.py

MESON_BUILD = { [ -f $(BUILD)/build.ninja ] || \
    $(MESON) setup $(BUILD) -Dwerror=true; } && \
  $(MESON) compile -C $(BUILD)

MESON_BUILD_ASAN = { [ -f $(ASAN_BUILD)/build.ninja ] || \
    $(MESON) setup $(ASAN_BUILD) --buildtype=debug -Dwerror=true \
      -Db_sanitize=address,undefined -Db_lundef=false; } && \
  $(MESON) compile -C $(ASAN_BUILD)

.PHONY: all deps build check demo indent clean help

all: build

help:
	@sed -n '1,12s/^# \{0,1\}//p' Makefile

deps:
	tools/install-deps.sh

build:
	$(MESON_BUILD)

demo: deps
	$(MESON_BUILD)
	BUILD_DIR=$(BUILD) tools/roomrec-demo.sh

indent:
	tests/check-indent.sh --fix

# Each step runs even when an earlier one failed (except the build, without
# which nothing can run); every failure ends up in the summary line, which
# is the last line printed, and in the exit status.
check: deps
	@rm -rf $(RESULTS)
	mkdir -p $(RESULTS)
	steps=$(RESULTS)/steps.results
	: > "$$steps"
	# Logs of an earlier run must not count in this one.
	log=$(BUILD)/meson-logs/testlog.json
	asan_log=$(ASAN_BUILD)/meson-logs/testlog.json
	asan_elements_log=$(ASAN_BUILD)/meson-logs/elements-asan.json
	asan_launcher_log=$(ASAN_BUILD)/meson-logs/launcher-asan.json
	rm -f "$$log" "$$asan_log" "$$asan_elements_log" "$$asan_launcher_log"
	# step NAME RC [--testlog|--results FILE]: a step that exited non-zero
	# without its own log showing a failure becomes a failure of its own.
	step () {
	  if [ "$$2" -ne 0 ]; then
	    if [ $$# -lt 4 ] || [ ! -s "$$4" ] || \
	        $(SUMMARY) --quiet "$$3" "$$4" >/dev/null 2>&1; then
	      echo "FAIL $$1 (exit $$2)" >> "$$steps"
	    fi
	  fi
	}
	banner () { printf '\n==> %s\n' "$$*"; }

	banner "build: $(BUILD)"
	rc=0; $(MESON_BUILD) || rc=$$?
	step "meson compile -C $(BUILD)" $$rc
	if [ $$rc -eq 0 ]; then
	  # GStreamer registries of earlier builds can list stale elements
	  # when a plugin was rebuilt within the same second
	  rm -f $(BUILD)/tests/registry.bin $(BUILD)/registry-tools.bin \
	    $(ASAN_BUILD)/tests/registry.bin
	  banner "meson test -C $(BUILD) (all suites)"
	  rc=0; $(MESON) test -C $(BUILD) --print-errorlogs --num-processes 2 || rc=$$?
	  step "meson test -C $(BUILD)" $$rc --testlog "$$log"

	  banner "ASan/UBSan: $(ASAN_BUILD), suites: $(ASAN_SUITES)"
	  rc=0; $(MESON_BUILD_ASAN) || rc=$$?
	  step "meson compile -C $(ASAN_BUILD)" $$rc
	  if [ $$rc -eq 0 ]; then
	    # meson test --list prints "project:suite1+suite2 / name".
	    have=$$($(MESON) test -C $(ASAN_BUILD) --list 2>/dev/null | \
	      sed -n 's| / .*||p' | tr '+' '\n' | sed 's/^.*://' | sort -u)
	    args=
	    for s in $(ASAN_SUITES); do
	      if printf '%s\n' "$$have" | grep -qxF "$$s"; then
	        args="$$args --suite $$s"
	      else
	        echo "no '$$s' suite yet: not run under the sanitizers"
	      fi
	    done
	    if [ -n "$$args" ]; then
	      rc=0
	      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	        $(MESON) test -C $(ASAN_BUILD) --print-errorlogs \
	          --num-processes 2 $$args || rc=$$?
	      step "meson test -C $(ASAN_BUILD)" $$rc --testlog "$$asan_log"
	    fi
	    # The element tests under the sanitizers too, for memory errors;
	    # leaks are not checked there (GStreamer keeps global allocations).
	    # (instrumented code is slower: the check timeouts get 3x)
	    rc=0
	    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    CK_TIMEOUT_MULTIPLIER=3 \
	      $(MESON) test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2 \
	        --timeout-multiplier 2 --suite elements --logbase elements-asan \
	        || rc=$$?
	    step "meson test -C $(ASAN_BUILD) --suite elements" $$rc \
	      --testlog "$$asan_elements_log"
	    # The launcher end to end under the sanitizers: its HTTP, SDP and
	    # pipeline code with real WebRTC sessions (leaks not checked, as
	    # for the elements).
	    rc=0
	    ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	      $(MESON) test -C $(ASAN_BUILD) --print-errorlogs --num-processes 2 \
	        --timeout-multiplier 2 --suite launcher --logbase launcher-asan \
	        || rc=$$?
	    step "meson test -C $(ASAN_BUILD) --suite launcher" $$rc \
	      --testlog "$$asan_launcher_log"
	  fi

	  banner "pipelines/*.launch"
	  rc=0
	  BUILD_DIR=$(BUILD) tests/run-pipelines.sh \
	    --results $(RESULTS)/pipelines.results || rc=$$?
	  step "tests/run-pipelines.sh" $$rc --results $(RESULTS)/pipelines.results
	fi

	banner "indent check"
	rc=0
	tests/check-indent.sh --results $(RESULTS)/indent.results || rc=$$?
	step "tests/check-indent.sh" $$rc --results $(RESULTS)/indent.results

	banner "summary"
	set -- --results "$$steps"
	for f in "$$log" "$$asan_log" "$$asan_elements_log" "$$asan_launcher_log"; do
	  if [ -f "$$f" ]; then set -- "$$@" --testlog "$$f"; fi
	done
	for f in $(RESULTS)/pipelines.results $(RESULTS)/indent.results; do
	  if [ -f "$$f" ]; then set -- "$$@" --results "$$f"; fi
	done
	exec $(SUMMARY) "$$@"

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
