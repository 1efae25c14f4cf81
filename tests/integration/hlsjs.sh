#!/bin/sh
# An HLS recording plays in hls.js inside headless Chromium.
#
# Records ~6 s of H.264 + AAC with splitmuxrec format=hls (2 s segments),
# serves it on 127.0.0.1 (tests/browser/serve.py) and loads
# tests/browser/hlsjs.html, which plays it with hls.js (muted, autoplay)
# and reports back.  Passes only if hls.js parses the playlist with the
# 3 segments, reads #EXT-X-PROGRAM-DATE-TIME for each, loads, transmuxes
# and buffers every fragment (audio and video), raises no fatal error (nor
# a non-fatal one other than buffer stalls) and plays past 5 s (both
# segment boundaries) of decoded 640x360 video, hls.playingDate agreeing
# with the dates.  Checks without a browser first: the playlist
# has the segments, a date for each and #EXT-X-ENDLIST.
#
# Needs Debian's chromium and tests/browser/node_modules (hls.js, pinned
# in tests/browser/package-lock.json); tools/install-deps.sh installs
# both.  Without chromium, or when node_modules is missing and `npm ci`
# cannot install it: skipped (exit 77).  Should this Chromium have no
# H.264/AAC in MediaSource, the playlist checks still run and the test
# is skipped, saying so.
#
# KEEP=1 keeps the temp dir (recording, page and browser logs).
set -eu
src=${ROOMREC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
browser_dir=$src/tests/browser
hlsjs=$browser_dir/node_modules/hls.js/dist/hls.min.js
segments=3

chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || chromium=$(command -v chromium 2>/dev/null || true)
if [ -z "$chromium" ]; then
  echo "SKIP: no chromium (tools/install-deps.sh installs Debian's)"
  exit 77
fi

dir=$(mktemp -d)
spid=''
cpid=''
stop () {
  # $1: pid of a process this script started: SIGTERM, then SIGKILL
  # if it is still there after 5 s.
  kill "$1" 2>/dev/null || return 0
  i=0
  while kill -0 "$1" 2>/dev/null && [ $i -lt 50 ]; do
    sleep 0.1
    i=$((i + 1))
  done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup () {
  [ -z "$cpid" ] || stop "$cpid"
  [ -z "$spid" ] || stop "$spid"
  if [ -n "${KEEP:-}" ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

show_logs () {
  for f in "$dir"/rec.log "$dir"/server.log "$dir"/chromium.log; do
    [ -s "$f" ] || continue
    echo "--- $f (last 40 lines)"
    tail -n 40 "$f"
  done
}
fail () {
  echo "FAIL: $*"
  show_logs
  exit 1
}

# hls.js as pinned in package.json, installed by npm ci if missing or stale.
version () {
  /usr/bin/python3 -c 'import json, sys
try: j = json.load(open(sys.argv[1]))
except OSError: sys.exit()
print(j["dependencies"]["hls.js"] if len(sys.argv) > 2 else j["version"])' "$@"
}
want=$(version "$browser_dir/package.json" dependencies)
have=$(version "$browser_dir/node_modules/hls.js/package.json")
if [ "$have" != "$want" ] || [ ! -f "$hlsjs" ]; then
  if command -v npm >/dev/null 2>&1 &&
      npm ci --prefix "$browser_dir" --no-audit --no-fund >"$dir/npm.log" 2>&1 &&
      [ -f "$hlsjs" ]; then
    echo "installed hls.js $want in $browser_dir/node_modules (npm ci)"
  else
    echo "SKIP: no hls.js $want in $browser_dir/node_modules and npm ci could not install it (tools/install-deps.sh does)"
    [ ! -s "$dir/npm.log" ] || tail -n 20 "$dir/npm.log"
    exit 77
  fi
fi

# The recording: 6 s of video (180 frames at 30/s), key frames every 1 s,
# 2 s segments.  format=I420: left to itself, x264enc takes 10-bit 4:4:4
# from videotestsrc (High 4:4:4 Predictive), which no real sender
# produces and which hls.js 1.7 reads a wrong pixel aspect ratio from.
gst-inspect-1.0 splitmuxrec >/dev/null 2>&1 ||
  fail "no splitmuxrec element (GST_PLUGIN_PATH_1_0=${GST_PLUGIN_PATH_1_0:-})"
timeout -k 10 60 gst-launch-1.0 -e splitmuxrec name=r archive-dir="$dir" \
  recording-id=r connection-id=d format=hls hls-target-duration=2000000000 \
  videotestsrc num-buffers=180 ! \
  video/x-raw,format=I420,width=640,height=360,framerate=30/1 ! \
  x264enc key-int-max=30 speed-preset=ultrafast ! r. \
  audiotestsrc num-buffers=300 ! voaacenc ! r. >"$dir/rec.log" 2>&1 ||
  fail "gst-launch-1.0 exited with $?"
playlist=$dir/r/archive-d.m3u8
[ -s "$playlist" ] || fail "no $playlist"
n=$(grep -c '^archive-d_[0-9][0-9]*\.ts$' "$playlist" || true)
[ "$n" = "$segments" ] || fail "$n segments in the playlist, expected $segments"
n=$(grep -c '^#EXT-X-PROGRAM-DATE-TIME:' "$playlist" || true)
[ "$n" = "$segments" ] || fail "$n #EXT-X-PROGRAM-DATE-TIME lines, expected $segments"
grep -q '^#EXT-X-ENDLIST' "$playlist" || fail "no #EXT-X-ENDLIST"

# The site: the page, hls.js and the recording.
mkdir "$dir/www"
cp "$browser_dir/hlsjs.html" "$dir/www/index.html"
cp "$hlsjs" "$dir/www/hls.min.js"
ln -s "$dir/r" "$dir/www/rec"

/usr/bin/python3 "$browser_dir/serve.py" "$dir/www" "$dir/result.json" \
  "$dir/port" 2>"$dir/server.log" &
spid=$!
i=0
until [ -s "$dir/port" ]; do
  kill -0 "$spid" 2>/dev/null || fail "the HTTP server exited"
  i=$((i + 1))
  [ $i -lt 100 ] || fail "the HTTP server did not start in 10 s"
  sleep 0.1
done
port=$(cat "$dir/port")
url="http://127.0.0.1:$port/index.html?src=rec/archive-d.m3u8&segments=$segments&width=640&height=360&min-time=5&timeout=25"

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
  --no-first-run --disable-background-networking --disable-component-update \
  --disable-sync --user-data-dir="$dir/profile" \
  --autoplay-policy=no-user-gesture-required --mute-audio \
  --disable-dev-shm-usage "$url" >"$dir/chromium.log" 2>&1 &
cpid=$!

# The page gives up after 25 s; this is for a browser that never reports.
i=0
until [ -s "$dir/result.json" ]; do
  kill -0 "$cpid" 2>/dev/null || fail "chromium exited before the page reported"
  i=$((i + 1))
  [ $i -lt 400 ] || fail "no verdict from the page in 40 s"
  sleep 0.1
done
result () {
  /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
    "$dir/result.json" "$1"
}
status=$(result status)
message=$(result message)
case $status in
  pass) echo "PASS: hls.js in $("$chromium" --version 2>/dev/null | sed -n '1s/ built on.*//p'): $message" ;;
  skip) echo "SKIP: $message"; exit 77 ;;
  *)
    echo "--- page state"
    result details
    fail "hls.js in Chromium: $message"
    ;;
esac
