#!/bin/bash
# Run every pipelines/*.launch file with gst-launch-1.0 against the built
# plugin and report PASS/FAIL per file.
#
# A .launch file holds one gst-launch-1.0 description, which may span lines
# and is quoted the way you would quote it in a shell (caps="a, b=c").
# Lines starting with '#' are comments.  Special comments:
#   # expect-files: <glob>   after the run, <glob> (relative to the run's
#                            directory, ** allowed) must match at least one
#                            non-empty file; may be given more than once.
#
# Each file runs as `gst-launch-1.0 -e <description>` with a timeout, in a
# fresh temporary directory as the working directory, so a relative
# archive-dir=out lands there.  The directory is removed when the pipeline
# passes and kept (and printed) when it fails.
#
# Usage: tests/run-pipelines.sh [--results FILE] [--keep] [FILE.launch...]
#   --results FILE  where to write the PASS/FAIL lines read by
#                   tests/summary.py (default: $BUILD_DIR/check-results/
#                   pipelines.results)
#   --keep          keep the run directories of passing pipelines too
# Environment: BUILD_DIR (default build), PIPELINE_TIMEOUT (seconds,
# default 60).
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-build}
case "$build_dir" in /*) ;; *) build_dir=$root/$build_dir ;; esac
timeout_s=${PIPELINE_TIMEOUT:-60}
results=$build_dir/check-results/pipelines.results
keep=0
files=()

while [ $# -gt 0 ]; do
  case "$1" in
    --results) results=${2:?--results needs a file}; shift 2 ;;
    --results=*) results=${1#--results=}; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,25s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "run-pipelines: unknown option '$1'" >&2; exit 2 ;;
    *) files+=("$1"); shift ;;
  esac
done

if [ ${#files[@]} -eq 0 ]; then
  shopt -s nullglob
  files=("$root"/pipelines/*.launch)
  shopt -u nullglob
fi

mkdir -p "$(dirname "$results")"
: > "$results"

if [ ${#files[@]} -eq 0 ]; then
  echo "run-pipelines: no pipelines/*.launch files found"
  echo "run-pipelines: 0 passed, 0 failed"
  exit 0
fi

for tool in gst-launch-1.0 timeout /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run-pipelines: $tool not found (run tools/install-deps.sh)" >&2
    exit 2
  fi
done

plugin_dir=$build_dir/gst
if [ ! -d "$plugin_dir" ]; then
  echo "run-pipelines: warning: $plugin_dir does not exist (build first:" \
    "make build); roomrec elements will be missing" >&2
fi
log_dir=$build_dir/check-results/pipelines
mkdir -p "$log_dir"

# Split a description into arguments the way a POSIX shell would (quotes,
# backslashes), NUL-separated.  gst-launch-1.0 escapes the spaces inside
# each argument, so the description cannot be passed as one argument.
split_words () {
  /usr/bin/python3 -c '
import shlex, sys
try:
    words = shlex.split(sys.stdin.read(), comments=False, posix=True)
except ValueError as e:
    sys.exit("cannot split the description: %s" % e)
sys.stdout.write("".join(w + "\0" for w in words))
'
}

passed=0
failed=0
for file in "${files[@]}"; do
  name=$(basename "$file" .launch)
  log=$log_dir/$name.log
  # Comments out, shell-style trailing backslashes out, lines joined.
  description=$(grep -v '^[[:space:]]*#' "$file" | sed 's/\\$//' | tr '\n' ' ')
  mapfile -t expects < <(sed -n 's/^[[:space:]]*#[[:space:]]*expect-files:[[:space:]]*//p' "$file" |
    sed 's/[[:space:]]*$//')
  mapfile -d '' words < <(printf '%s' "$description" | split_words)

  reason=
  if [ -z "${description//[[:space:]]/}" ]; then
    reason="no pipeline description in the file"
  elif [ ${#words[@]} -eq 0 ]; then
    reason="cannot split the description (unbalanced quotes?)"
  fi

  rm -f "$log"
  run_dir=
  if [ -z "$reason" ]; then
    run_dir=$(mktemp -d "${TMPDIR:-/tmp}/roomrec-pipeline-$name.XXXXXX")
    start=$(date +%s)
    (
      cd "$run_dir" &&
        GST_PLUGIN_PATH=$plugin_dir${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH} \
        GST_REGISTRY_1_0=$build_dir/registry-tools.bin \
        exec timeout -s INT -k 10 "$timeout_s" gst-launch-1.0 -e "${words[@]}"
    ) > "$log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    if [ $rc -eq 124 ]; then
      reason="timed out after ${timeout_s} s"
    elif [ $rc -ne 0 ]; then
      reason="gst-launch-1.0 exited with $rc"
    fi
  fi

  if [ -z "$reason" ]; then
    for glob in "${expects[@]}"; do
      [ -n "$glob" ] || continue
      found=0
      while IFS= read -r -d '' f; do
        if [ -f "$f" ] && [ -s "$f" ]; then found=1; break; fi
      done < <(cd "$run_dir" && shopt -s nullglob globstar && IFS= &&
        for f in $glob; do printf '%s\0' "$run_dir/$f"; done)
      if [ $found -eq 0 ]; then
        reason="no non-empty file matches '$glob'"
        break
      fi
    done
  fi

  if [ -z "$reason" ]; then
    passed=$((passed + 1))
    echo "PASS $name" >> "$results"
    echo "PASS: $name (${secs} s)"
    if [ $keep -eq 1 ]; then
      echo "      kept $run_dir"
    else
      rm -rf "$run_dir"
    fi
  else
    failed=$((failed + 1))
    echo "FAIL $name: $reason" >> "$results"
    echo "FAIL: $name: $reason"
    if [ -n "$run_dir" ]; then
      echo "      files: $run_dir"
    fi
    if [ -s "$log" ]; then
      echo "      log:   $log"
      tail -n 20 "$log" | sed 's/^/      | /'
    fi
  fi
done

echo "run-pipelines: $passed passed, $failed failed"
[ $failed -eq 0 ]
