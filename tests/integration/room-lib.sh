# Shared by the launcher's integration tests (sourced, POSIX sh).
#
#   room_start CONFIG      starts `roomrec run CONFIG` in the background;
#                          sets ROOM_PID, ROOM_LOG, WHIP_URL (when the room
#                          has a WHIP input)
#   room_stop              SIGINT, waits; fails unless roomrec exits with 0
#   check_media FILE VCODEC ACODEC MIN_SECONDS
#                          the file's video/audio codecs (ffprobe names,
#                          "none" for no track), a key frame first, every
#                          frame decodable by FFmpeg, at least MIN_SECONDS
#   fail MESSAGE           prints MESSAGE and the room's log, exits 1
#   start_server NAME FD SCRIPT ARGS...
#                          fake-s3.py / webhook-receiver.py in the
#                          background (stopped by room_cleanup); sets
#                          SERVER_PORT
#   publish NAME ARGS...   an rr-webrtc-peer publisher (user NAME, the
#                          tests' room token) in the background
#   wait_publisher NAME    waits for it; fails unless it exited with 0
#
# Expects ROOMREC (the launcher) and RR_WEBRTC_PEER (the test peer) in the
# environment (tests/meson.build sets both) and WORK, a scratch directory.

ROOM_PID=
ROOM_LOG=
WHIP_URL=

fail () {
  echo "FAIL: $*"
  if [ -n "$ROOM_LOG" ] && [ -f "$ROOM_LOG" ]; then
    echo "--- roomrec log (last 40 lines)"
    if grep -q '^--- roomrec did not stop' "$ROOM_LOG"; then
      grep -v '^\[New LWP\|^\[Thread ' "$ROOM_LOG" | tail -300
    else
      tail -40 "$ROOM_LOG"
    fi
  fi
  exit 1
}

room_start () {
  ROOM_LOG=$WORK/roomrec.log
  # exec'd timeout so that ROOM_PID gets our SIGINT (see loopback.sh)
  exec timeout --foreground -s INT -k 20 "${ROOM_TIMEOUT:-120}" \
    "$ROOMREC" run "$1" >"$ROOM_LOG" 2>&1 &
  ROOM_PID=$!
  i=0
  until grep -q '^roomrec: recording ' "$ROOM_LOG" 2>/dev/null; do
    i=$((i + 1))
    kill -0 "$ROOM_PID" 2>/dev/null || fail "roomrec exited at start"
    [ $i -lt 100 ] || fail "roomrec did not start"
    sleep 0.1
  done
  WHIP_URL=$(sed -n 's/^roomrec: WHIP endpoint //p' "$ROOM_LOG" | head -1)
}

room_stop () {
  kill -INT "$ROOM_PID"
  # a room that does not finish in 15 s: its threads into the log (gdb)
  # before timeout's -k kills it, so that a hang can be read afterwards
  i=0
  while kill -0 "$ROOM_PID" 2>/dev/null && [ $i -lt 150 ]; do
    i=$((i + 1))
    sleep 0.1
  done
  if kill -0 "$ROOM_PID" 2>/dev/null && command -v gdb >/dev/null 2>&1; then
    rr=$(pgrep -P "$ROOM_PID" | head -1)
    echo "--- roomrec did not stop in 15 s; its threads:" >>"$ROOM_LOG"
    gdb -batch -p "${rr:-$ROOM_PID}" -ex 'thread apply all bt' \
      >>"$ROOM_LOG" 2>&1 || true
  fi
  rc=0
  wait "$ROOM_PID" || rc=$?
  ROOM_PID=
  [ $rc = 0 ] || fail "roomrec exited with $rc"
}

room_cleanup () {
  if [ -n "$ROOM_PID" ]; then
    kill -INT "$ROOM_PID" 2>/dev/null || true
    wait "$ROOM_PID" 2>/dev/null || true
  fi
  for p in $SERVER_PIDS; do
    kill "$p" 2>/dev/null || true
  done
}

SERVER_PIDS=

# start_server NAME FD SCRIPT ARGS...: a test server of this directory
# (fake-s3.py, webhook-receiver.py) that prints "PORT <n>" and runs until
# its stdin closes: a fifo this shell holds open on FD (8 or 9).  Sets
# SERVER_PORT.
start_server () {
  name=$1 fd=$2 script=$3
  shift 3
  mkfifo "$WORK/$name-stdin"
  /usr/bin/python3 "$(dirname "$0")/$script" "$@" \
    <"$WORK/$name-stdin" >"$WORK/$name.log" 2>&1 &
  SERVER_PIDS="$SERVER_PIDS $!"
  eval "exec $fd>\"\$WORK/\$name-stdin\""
  wait_for_line "$WORK/$name.log" '^PORT ' \
    "$script did not start: $(cat "$WORK/$name.log")"
  SERVER_PORT=$(sed -n 's/^PORT //p' "$WORK/$name.log")
}

# wait_for_line FILE PATTERN WHAT [SECONDS]: until FILE has a line matching
# PATTERN (grep), or fail with "WHAT" after SECONDS (10).
wait_for_line () {
  i=0
  until grep -q "$2" "$1" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt $((${4:-10} * 10)) ] || fail "$3"
    sleep 0.1
  done
}

free_tcp_port () {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

free_udp_port () {
  /usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The value of a top-level string or number member of a JSON file.
json_get () {
  /usr/bin/python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"
}

check_media () {
  file=$1 vcodec=$2 acodec=$3 min=$4 cm_frames=
  [ -s "$file" ] || fail "$file is missing or empty"
  got=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name \
    -of csv=p=0 "$file" | head -1)
  [ "${got:-none}" = "$vcodec" ] || fail "$file: video codec '${got:-none}', expected $vcodec"
  got=$(ffprobe -v error -select_streams a:0 -show_entries stream=codec_name \
    -of csv=p=0 "$file" | head -1)
  [ "${got:-none}" = "$acodec" ] || fail "$file: audio codec '${got:-none}', expected $acodec"
  dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$file" | head -1)
  /usr/bin/python3 -c "import sys; sys.exit(0 if float('${dur:-0}' or 0) >= $min else 1)" ||
    fail "$file lasts ${dur:-?} s, expected at least $min s"
  if [ "$vcodec" != none ]; then
    key=$(ffprobe -v error -select_streams v:0 -show_entries frame=key_frame \
      -read_intervals '%+#1' -of csv=p=0 "$file" | head -1 | cut -d, -f1)
    [ "$key" = 1 ] || fail "$file does not start with a key frame"
    cm_frames=$(ffprobe -v error -select_streams v:0 -count_frames \
      -show_entries stream=nb_read_frames -of csv=p=0 "$file" | head -1)
    dec=$(ffmpeg -nostdin -v error -i "$file" -map 0:v:0 -fps_mode passthrough \
      -f framemd5 - 2>/dev/null | grep -c '^0,' || true)
    [ "${cm_frames:-0}" -gt 0 ] && [ "$dec" -ge "$cm_frames" ] ||
      fail "$file: FFmpeg decoded $dec of ${cm_frames:-0} video frames"
  fi
  echo "ok: $file ($vcodec/$acodec, ${dur} s${cm_frames:+, $cm_frames video frames})"
}

# publish NAME ARGS...: one publisher in the background, its log in WORK
publish () {
  name=$1
  shift
  "$RR_WEBRTC_PEER" whip-publish --url "$WHIP_URL?user_id=$name" \
    --token secret-token-0123456789 "$@" >"$WORK/pub-$name.log" 2>&1 &
  echo $! >"$WORK/pub-$name.pid"
}

wait_publisher () {
  rc=0
  wait "$(cat "$WORK/pub-$1.pid")" || rc=$?
  [ $rc = 0 ] || { cat "$WORK/pub-$1.log"; fail "publisher $1 exited with $rc"; }
}
