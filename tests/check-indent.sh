#!/bin/sh
# Check (or fix) the GStreamer coding style of every gst/**/*.c, tests/**/*.c and
# tools/*.c with GNU indent and the flags of GStreamer's gst-indent.
# indent is not idempotent in one pass, so every file goes through it twice
# (`indent FLAGS in.c -o tmp1`, `indent FLAGS tmp1 -o tmp2`) and tmp2 is
# compared with the file.  Headers are not checked (GStreamer does not run
# gst-indent on them either).
#
# Usage: tests/check-indent.sh [--fix] [--diff] [--results FILE]
#   (no option)     list the files whose formatting differs; exit 1 if any
#   --fix           rewrite those files in place (what `make indent` does);
#                   no `file.c~` backups are left behind
#   --diff          also print a unified diff for each differing file
#   --results FILE  append one "PASS check-indent" / "FAIL check-indent ..."
#                   line for tests/summary.py
set -eu

INDENT_FLAGS='--braces-on-if-line --case-brace-indentation0
  --case-indentation2 --braces-after-struct-decl-line --line-length80
  --no-tabs --cuddle-else --dont-line-up-parentheses
  --continuation-indentation4 --honour-newlines --tab-size8 --indent-level2
  --leave-preprocessor-space'

me=check-indent
fix=0
show_diff=0
results=
while [ $# -gt 0 ]; do
  case "$1" in
    --fix) fix=1; shift ;;
    --diff) show_diff=1; shift ;;
    --results) results=${2:?--results needs a file}; shift 2 ;;
    --results=*) results=${1#--results=}; shift ;;
    -h|--help) sed -n '2,17s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "$me: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
done

record () {
  if [ -n "$results" ]; then
    mkdir -p "$(dirname "$results")"
    echo "$1" >> "$results"
  fi
}

cd "$(dirname "$0")/.."

if ! command -v indent >/dev/null 2>&1 ||
    ! indent --version 2>/dev/null | grep -q 'GNU indent'; then
  echo "$me: GNU indent not found (Debian package 'indent';" \
    "run tools/install-deps.sh)" >&2
  record "FAIL check-indent: GNU indent not found"
  exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/roomrec-indent.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT PIPE TERM

files=$( { find gst -type f -name '*.c' 2>/dev/null;
  find tools -maxdepth 1 -type f -name '*.c' 2>/dev/null;
  find tests -type f -name '*.c' 2>/dev/null; } | LC_ALL=C sort)
if [ -z "$files" ]; then
  echo "$me: no gst/**/*.c or tools/*.c files"
  record "PASS check-indent"
  exit 0
fi

count=0
bad=
for f in $files; do
  count=$((count + 1))
  # shellcheck disable=SC2086 # INDENT_FLAGS is a word list
  if ! indent $INDENT_FLAGS "$f" -o "$tmp/pass1.c" 2> "$tmp/err" ||
      ! indent $INDENT_FLAGS "$tmp/pass1.c" -o "$tmp/pass2.c" 2>> "$tmp/err"; then
    echo "$me: indent failed on $f:" >&2
    sed 's/^/  /' "$tmp/err" >&2
    bad="$bad $f"
    continue
  fi
  if cmp -s "$f" "$tmp/pass2.c"; then
    continue
  fi
  if [ $fix -eq 1 ]; then
    # cat, not mv: keeps the file's mode and any hard links.
    cat "$tmp/pass2.c" > "$f"
    echo "$me: reformatted $f"
    continue
  fi
  bad="$bad $f"
  if [ $show_diff -eq 1 ]; then
    diff -u "$f" "$tmp/pass2.c" | sed "2s|$tmp/pass2.c|$f (gst-indent)|" || true
  fi
done

if [ -z "$bad" ]; then
  echo "$me: $count file(s) in GStreamer style"
  record "PASS check-indent"
  exit 0
fi

if [ $fix -eq 1 ]; then
  echo "$me: indent failed on:"
else
  echo "$me: not in GStreamer style (fix with 'make indent'):"
fi
for f in $bad; do
  echo "  $f"
done
record "FAIL check-indent:$bad"
exit 1
