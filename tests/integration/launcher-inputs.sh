#!/bin/sh
# `roomrec run` with its other inputs, and its refusals.
# usage: launcher-inputs.sh CASE
#   rtp-gst       plain RTP (VP8 + Opus) from gst-launch, described by an SDP file
#   rtp-ffmpeg    plain RTP (H.264 + Opus) from ffmpeg, with the SDP ffmpeg wrote;
#                 the room starts mid-stream, as with Janus rtp_forward
#   whep          pull from a WHEP server that answers 409 + Retry-After at first
#   whep-refused  a wrong token: not retried, the room still stops cleanly
#   bad-config    config errors name the JSON path, exit 2 before anything starts
#   unwritable    an archive dir that cannot be written: exit 1, the path named
set -eu
case=$1
WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
speer=
trap 'room_cleanup; [ -z "$speer" ] || kill $speer 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

archives () {
  find "$WORK/archive/REC1" -maxdepth 1 -name 'archive-*.*' ! -name '*.json' | sort
}

write_room () {   # FORMAT INPUT_JSON
  cat >"$WORK/room.json" <<EOF
{
  "room_id": "room1",
  "recording_id": "REC1",
  "archive_dir": "$WORK/archive",
  "format": "$1",
  "inputs": [ $2 ]
}
EOF
}

case $case in
  rtp-gst)
    vport=$(free_udp_port)
    aport=$(free_udp_port)
    cat >"$WORK/in.sdp" <<EOF
v=0
o=- 0 0 IN IP4 127.0.0.1
s=gst-launch
c=IN IP4 127.0.0.1
t=0 0
m=video $vport RTP/AVP 96
a=rtpmap:96 VP8/90000
m=audio $aport RTP/AVP 97
a=rtpmap:97 OPUS/48000/2
EOF
    write_room webm "{\"type\": \"rtp\", \"sdp_file\": \"$WORK/in.sdp\", \"user_id\": \"janus-1\"}"
    room_start "$WORK/room.json"
    gst-launch-1.0 -q videotestsrc is-live=true num-buffers=120 pattern=ball ! \
      video/x-raw,width=320,height=240,framerate=30/1 ! \
      vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! \
      udpsink host=127.0.0.1 port="$vport" \
      audiotestsrc is-live=true num-buffers=200 ! opusenc ! rtpopuspay pt=97 ! \
      udpsink host=127.0.0.1 port="$aport" >"$WORK/send.log" 2>&1 ||
      fail "the sender failed: $(cat "$WORK/send.log")"
    sleep 1
    room_stop
    set -- $(archives)
    [ $# = 1 ] || fail "expected 1 archive, got $#"
    check_media "$1" vp8 opus 3
    [ "$(json_get "${1%.*}.json" user_id)" = janus-1 ] || fail "sidecar user_id"
    ;;
  rtp-ffmpeg)
    vport=$(free_udp_port)
    aport=$(free_udp_port)
    ffmpeg -nostdin -v error -re -t 6 -f lavfi -i testsrc=size=320x240:rate=30 \
      -re -t 6 -f lavfi -i sine=frequency=440:sample_rate=48000 \
      -map 0:v -c:v libx264 -preset ultrafast -tune zerolatency -g 30 -bf 0 \
      -pix_fmt yuv420p -f rtp "rtp://127.0.0.1:$vport" \
      -map 1:a -c:a libopus -f rtp "rtp://127.0.0.1:$aport" \
      -sdp_file "$WORK/ffmpeg.sdp" >"$WORK/send.log" 2>&1 &
    speer=$!
    i=0
    until [ -s "$WORK/ffmpeg.sdp" ]; do
      i=$((i + 1))
      [ $i -lt 100 ] || fail "ffmpeg wrote no SDP: $(cat "$WORK/send.log")"
      sleep 0.1
    done
    write_room mp4 "{\"type\": \"rtp\", \"sdp_file\": \"$WORK/ffmpeg.sdp\"}"
    room_start "$WORK/room.json"
    wait $speer || fail "ffmpeg failed: $(cat "$WORK/send.log")"
    speer=
    sleep 1
    room_stop
    set -- $(archives)
    [ $# = 1 ] || fail "expected 1 archive, got $#"
    check_media "$1" h264 opus 3
    ;;
  whep | whep-refused)
    "$RR_WEBRTC_PEER" whep-serve --port 0 --not-before 2 --video h264 \
      --audio opus --token whep-token-0123456789 >"$WORK/whep.log" 2>&1 &
    speer=$!
    wait_for_line "$WORK/whep.log" 'listening on' \
      "the WHEP server did not start"
    wport=$(sed -n 's/.*listening on \([0-9]*\).*/\1/p' "$WORK/whep.log")
    token=whep-token-0123456789
    [ $case = whep ] || token=not-the-token-0123456
    write_room mp4 "{\"type\": \"whep\", \"url\": \"http://127.0.0.1:$wport/whep\", \"token\": \"$token\", \"retry_initial\": 0.5, \"retry_max\": 2, \"user_id\": \"stage\"}"
    room_start "$WORK/room.json"
    if [ $case = whep ]; then
      sleep 7
      room_stop
      grep -q 'HTTP 409; retrying' "$ROOM_LOG" || fail "no retry after 409"
      set -- $(archives)
      [ $# = 1 ] || fail "expected 1 archive, got $#"
      check_media "$1" h264 opus 2.5
      grep -q 'closed' "$WORK/whep.log" || fail "the WHEP session was not closed (DELETE)"
    else
      sleep 4
      room_stop
      grep -q 'not retried' "$ROOM_LOG" || fail "a 401 was retried or not reported"
      [ -z "$(archives)" ] || fail "an archive without media"
    fi
    ;;
  bad-config)
    expect_config_error () {   # JSON EXPECTED_TEXT
      printf '%s\n' "$1" >"$WORK/bad.json"
      rc=0
      "$ROOMREC" run "$WORK/bad.json" >"$WORK/out.log" 2>&1 || rc=$?
      [ $rc = 2 ] || fail "exit $rc for $1 (expected 2): $(cat "$WORK/out.log")"
      grep -qF -- "$2" "$WORK/out.log" ||
        fail "'$2' not in: $(cat "$WORK/out.log")"
      [ ! -e "$WORK/archive" ] || fail "something was written for a bad config"
    }
    ok='"room_id": "r", "archive_dir": "'$WORK/archive'"'
    whip='"inputs": [{"type": "whip"}]'
    expect_config_error "{$ok, $whip, \"pli_interval\": 300}" '$.pli_interval'
    expect_config_error "{$ok, $whip, \"fromat\": \"mp4\"}" '$.fromat'
    expect_config_error "{$ok, \"inputs\": [{\"type\": \"whip\", \"lsten\": \"x\"}]}" '$.inputs[0].lsten'
    expect_config_error "{$ok, $whip, \"format\": \"webm\", \"video_codecs\": [\"H265\"]}" '$.video_codecs[0]'
    expect_config_error "{$ok, $whip, \"split_only\": true}" 'split_only'
    expect_config_error "{$ok, $whip, \"room_id\": 5}" '$.room_id'
    expect_config_error "{$ok}" '$.inputs'
    expect_config_error "not json" 'bad.json'
    rc=0
    "$ROOMREC" run "$WORK/missing.json" >"$WORK/out.log" 2>&1 || rc=$?
    [ $rc = 2 ] && grep -q missing.json "$WORK/out.log" || fail "missing file: exit $rc"
    rc=0
    "$ROOMREC" frobnicate "$WORK/x" >"$WORK/out.log" 2>&1 || rc=$?
    [ $rc = 2 ] || fail "an unknown command exits with $rc"
    ;;
  unwritable)
    # under a regular file: no directory can be made there, even by root
    : >"$WORK/file"
    cat >"$WORK/room.json" <<EOF
{"room_id": "r", "archive_dir": "$WORK/file/archive",
 "inputs": [{"type": "whip", "listen": "127.0.0.1:0"}]}
EOF
    rc=0
    "$ROOMREC" run "$WORK/room.json" >"$WORK/out.log" 2>&1 || rc=$?
    [ $rc = 1 ] || fail "exit $rc for an unwritable archive dir"
    grep -qF "$WORK/file/archive" "$WORK/out.log" ||
      fail "the path is not named: $(cat "$WORK/out.log")"
    cat "$WORK/out.log"
    ;;
  *)
    echo "unknown case $case"
    exit 2
    ;;
esac
echo "PASS $case"
