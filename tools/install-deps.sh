#!/bin/sh
# Install the Debian packages that roomrec needs to build, test and run its
# demo, then the npm packages of the browser tests (`npm ci --prefix
# tests/browser`, pinned by its package-lock.json) when
# tests/browser/node_modules is missing.  Only what is missing is
# installed; when nothing is, this does nothing but print a line or two.
#
# The package list lives here and only here.  docs/dependencies.md says why
# each package is needed: keep the two in step.
#
# Usage: tools/install-deps.sh [--check | --list | --help]
#   (no option)  install what is missing (as root, or through sudo)
#   --check      only report what is missing; exit 1 if anything is
#   --list       print the Debian package list, one a line
#
# ROOMREC_SKIP_DEPS=1 skips the check of the Debian packages (non-Debian
# systems, containers prepared some other way).
set -eu

PACKAGES='
meson
ninja-build
pkg-config
gcc
clang
indent
gettext
libclang-rt-14-dev
libglib2.0-dev
libgstreamer1.0-dev
libgstreamer-plugins-base1.0-dev
libgstreamer-plugins-bad1.0-dev
libsoup-3.0-dev
libjson-glib-dev
gstreamer1.0-tools
gstreamer1.0-plugins-base
gstreamer1.0-plugins-base-apps
gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad
gstreamer1.0-plugins-ugly
gstreamer1.0-libav
gstreamer1.0-nice
ffmpeg
curl
python3
python3-botocore
python3-yaml
chromium
'

me=install-deps
mode=install
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  --list) mode=list ;;
  -h|--help)
    sed -n '2,19s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
  *)
    echo "$me: unknown option '$1' (try --help)" >&2
    exit 2
    ;;
esac

# From here on "$@" is the package list (split on whitespace on purpose).
# shellcheck disable=SC2086
set -- $PACKAGES

if [ "$mode" = list ]; then
  printf '%s\n' "$@"
  exit 0
fi

# The npm packages of the tests (hls.js, playwright-core, s3rver), exactly
# as locked.  Without npm they are not installed (tests/integration/hlsjs.sh
# and service-browser.sh are then skipped): nodejs is not in PACKAGES
# because Debian's lacks npm.
browser_dir=$(cd "$(dirname "$0")/.." && pwd)/tests/browser
npm_deps () {
  [ ! -d "$browser_dir/node_modules/hls.js" ] ||
    [ ! -d "$browser_dir/node_modules/playwright-core" ] ||
    [ ! -d "$browser_dir/node_modules/s3rver" ] || return 0
  if [ "$mode" = check ]; then
    echo "$me: missing: $browser_dir/node_modules (npm ci --prefix $browser_dir)" >&2
    return 1
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "$me: no npm: not installing $browser_dir/node_modules (the hls.js test will be skipped)" >&2
    return 0
  fi
  echo "$me: running: npm ci --prefix $browser_dir"
  npm ci --prefix "$browser_dir" --no-audit --no-fund
}

if [ "${ROOMREC_SKIP_DEPS:-0}" = 1 ]; then
  echo "$me: ROOMREC_SKIP_DEPS=1: not checking system packages"
  npm_deps
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "$me: dpkg-query not found: this script knows Debian/Ubuntu only." >&2
  echo "$me: install the equivalents of: $*" >&2
  echo "$me: then run again with ROOMREC_SKIP_DEPS=1." >&2
  exit 1
fi

# Print those of the given packages that are not installed, one a line.
missing_packages () {
  for p in "$@"; do
    # "install ok installed" (or "hold ok installed", ...) means present;
    # an unknown package makes dpkg-query fail: missing too.
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || status=
    case "$status" in
      *" ok installed") ;;
      *) printf '%s\n' "$p" ;;
    esac
  done
}

missing=$(missing_packages "$@" | tr '\n' ' ')
missing=${missing% }
if [ -z "$missing" ]; then
  echo "$me: all $# packages are installed"
  npm_deps
  exit 0
fi

echo "$me: missing packages: $missing"
install_cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing"
if [ "$mode" = check ]; then
  echo "$me: install them as root with:" >&2
  echo "  $install_cmd" >&2
  npm_deps || true
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=
elif command -v sudo >/dev/null 2>&1; then
  sudo=sudo
else
  echo "$me: not root and no sudo: run this as root, then try again:" >&2
  echo "  $install_cmd" >&2
  exit 1
fi

echo "$me: running: ${sudo:+$sudo }$install_cmd"
# $sudo may be empty and $missing is a word list: both unquoted on purpose.
# shellcheck disable=SC2086
$sudo apt-get update
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends $missing

still=$(missing_packages "$@" | tr '\n' ' ')
still=${still% }
if [ -n "$still" ]; then
  echo "$me: still missing after apt-get install: $still" >&2
  exit 1
fi
echo "$me: installed: $missing"
npm_deps
