#!/bin/sh
# A real browser publishes to `roomrec run` over WHIP: headless Chromium
# with its fake camera and microphone opens pipelines/whip-publish.html
# (the page of the README's "Record a browser"), which publishes for 6 s
# from another origin (CORS preflight, Bearer token) and sends DELETE.
# The archive must hold the browser's VP8 and Opus, start with a key frame
# and decode; the browser's bandwidth estimate must show that it gets
# transport-wide congestion feedback (else it stays at ~0.3 Mbit/s).
#
# SIMULCAST=1: the page sends three simulcast layers; the archive must hold
# one of the higher layers (not the lowest), from its first frame.
#
# Needs Debian's chromium (tools/install-deps.sh); skipped (77) without.
# KEEP=1 keeps the temp dir.
set -eu
src=${ROOMREC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || chromium=$(command -v chromium 2>/dev/null || true)
if [ -z "$chromium" ]; then
  echo "SKIP: no chromium (tools/install-deps.sh installs Debian's)"
  exit 77
fi

WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
spid= cpid=
cleanup () {
  for pid in $cpid $spid; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  room_cleanup
  [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

port=$(free_tcp_port)
cat >"$WORK/room.json" <<EOF
{
  "room_id": "browser",
  "recording_id": "REC1",
  "archive_dir": "$WORK/archive",
  "format": "webm",
  "inputs": [{"type": "whip", "listen": "127.0.0.1:$port",
              "token": "browser-token-0123456789"}]
}
EOF
room_start "$WORK/room.json"

mkdir "$WORK/www"
cp "$src/pipelines/whip-publish.html" "$WORK/www/"
/usr/bin/python3 "$src/tests/browser/serve.py" "$WORK/www" "$WORK/result.json" \
  "$WORK/port" 2>"$WORK/server.log" &
spid=$!
i=0
until [ -s "$WORK/port" ]; do
  i=$((i + 1))
  [ $i -lt 100 ] || fail "the page server did not start"
  sleep 0.1
done
page="http://127.0.0.1:$(cat "$WORK/port")/whip-publish.html?autostart=1&report=1&seconds=6&user_id=browser&token=browser-token-0123456789&url=$WHIP_URL${SIMULCAST:+&simulcast=1}"

"$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$WORK/profile" --use-fake-ui-for-media-stream \
  --use-fake-device-for-media-stream --disable-dev-shm-usage \
  "$page" >"$WORK/chromium.log" 2>&1 &
cpid=$!

i=0
until [ -s "$WORK/result.json" ]; do
  kill -0 "$cpid" 2>/dev/null || fail "chromium exited before the page reported"
  i=$((i + 1))
  [ $i -lt 400 ] || { cat "$WORK/server.log"; fail "no verdict from the page in 40 s"; }
  sleep 0.1
done
echo "--- page log"
cat "$WORK/server.log"
status=$(json_get "$WORK/result.json" status)
[ "$status" = pass ] || fail "the page: $(json_get "$WORK/result.json" message)"
kill "$cpid" 2>/dev/null || true
wait "$cpid" 2>/dev/null || true
cpid=
# The launcher sends transport-wide congestion feedback (it negotiates the
# header extension webrtcbin 1.22 leaves out): the answer has it, and the
# browser's estimate grows from the 300 kbit/s it starts (and stays) at
# without feedback.
grep -q 'page: answer:.*transport-wide-cc' "$WORK/server.log" ||
  fail "the answer does not negotiate the transport-wide-cc extension"
bwe=$(json_get "$WORK/result.json" details.availableOutgoingBitrate)
[ "${bwe%.*}" -gt 350000 ] ||
  fail "the browser's bandwidth estimate is $bwe bit/s: no congestion feedback"

# the DELETE finalised the archive while the room goes on
i=0
until [ -n "$(find "$WORK/archive/REC1" -name 'archive-*.webm' 2>/dev/null)" ]; do
  i=$((i + 1))
  [ $i -lt 100 ] || fail "no archive 10 s after the browser's DELETE"
  sleep 0.1
done
room_stop
file=$(find "$WORK/archive/REC1" -name 'archive-*.webm')
check_media "$file" vp8 opus 4
if [ -n "${SIMULCAST:-}" ]; then
  # the browser sends q (320x180), h (640x360) and, once its bandwidth
  # estimate allows, f (1280x720): the launcher chooses among the layers
  # that came and records one of the higher ones from its first frame
  # (which ones came depends on how fast the estimate grows on this
  # machine, so the test asks for "not the lowest", one size throughout)
  layers=$(sed -n 's/.*page: sent.*"layers":\[\([^]]*\)\].*/\1/p' "$WORK/server.log")
  sent=$(printf '%s\n' "$layers" | tr ',' '\n' | grep -cv ':0"$' || true)
  [ "$sent" -ge 2 ] || fail "the browser sent $sent simulcast layers ($layers)"
  grep -q 'recording simulcast layer .* of [2-9]' "$ROOM_LOG" ||
    fail "the launcher did not choose among the layers"
  widths=$(ffprobe -v error -select_streams v:0 -show_entries frame=width \
    -of csv=p=0 "$file" | sort -u | tr '\n' ' ')
  case $widths in
    "640 " | "1280 ") ;;
    *) fail "recorded frame widths: $widths (expected one of the higher layers throughout; sent: $layers)" ;;
  esac
  echo "simulcast: sent $layers; recorded width $widths"
  [ "$(find "$WORK/archive/REC1" -name 'archive-*.webm' | wc -l)" = 1 ] ||
    fail "more than one archive"
fi
[ "$(json_get "${file%.webm}.json" user_id)" = browser ] || fail "sidecar user_id"
echo "PASS: Chromium $("$chromium" --version 2>/dev/null | sed -n '1s/ built on.*//p') published over WHIP"
