#!/bin/sh
# End to end over real WebRTC (ICE, DTLS, SRTP) in one machine:
# rr-webrtc-peer publishes over WHIP to `roomrec run`, the archives are
# decoded and checked.
# usage: launcher-whip.sh CASE
#   vp8-opus h264-opus vp9 av1 h265   one publisher of that codec (and Opus)
#   vp9-mp4                           VP9 + Opus into MP4 (1.22.0's mp4mux
#                                     crashed on depayloaded VP9's caps)
#   two / five                        several publishers at once
#   delete-mid-room                   one leaves (DELETE) while another stays:
#                                     its archive is ready before the room ends
#   restart                           a publisher goes and comes back: two
#                                     archives of the same user
#   split                             split files on time, thanks to PLI
#                                     (the sender's own key frames are 10 s apart)
#   h264-long-gop                     H.264 whose own key frames are 10 s
#                                     apart (in-band parameter sets only):
#                                     the launcher's key-frame request starts
#                                     the file at once
#   ssrc-change                       the sender restarts its video stream
#                                     (new SSRC and sequence numbers: webrtcbin
#                                     gives the track a new pad): one archive
#                                     goes on with the media after the change
#   blocked                           a user on subscribe.block publishes:
#                                     received, never recorded
#   gone                              a publisher vanishes without DELETE:
#                                     its archive is finalised anyway
set -eu
case=$1
WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
trap 'room_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

port=$(free_tcp_port)
format=webm video_codecs= split= extra=
case $case in
  blocked) extra='"subscribe": {"block": ["eve"]},' ;;
  h264-opus | h264-long-gop) format=mp4 ;;
  h265 | vp9-mp4) format=mp4 ;;
  split) split='"split_duration": 2,' ;;
esac

cat >"$WORK/room.json" <<EOF
{
  "room_id": "room1",
  "recording_id": "REC1",
  "archive_dir": "$WORK/archive",
  "format": "$format",
  $split
  $extra
  "pli_interval": 20,
  "media_timeout": 3,
  "metadata": {"test": "$case"},
  "inputs": [
    {"type": "whip", "listen": "127.0.0.1:$port", "token": "secret-token-0123456789"}
  ]
}
EOF

room_start "$WORK/room.json"
[ -n "$WHIP_URL" ] || fail "no WHIP endpoint in the log"

archives () {
  find "$WORK/archive/REC1" -maxdepth 1 -name 'archive-*.*' ! -name '*.json' | sort
}

report=$WORK/archive/REC1/report-REC1.json

case $case in
  vp8-opus | h264-opus | vp9 | av1 | h265 | vp9-mp4)
    v=${case%-opus}
    a=none
    [ "$case" = "$v" ] || a=opus
    [ "$case" != vp9-mp4 ] || { v=vp9; a=opus; }
    publish p1 --video "$v" --audio "$a" --duration 4
    wait_publisher p1
    room_stop
    set -- $(archives)
    [ $# = 1 ] || fail "expected 1 archive, got $#: $*"
    case $v in h264) vc=h264 ;; h265) vc=hevc ;; *) vc=$v ;; esac
    [ $a = opus ] && ac=opus || ac=none
    check_media "$1" "$vc" "$ac" 2.5
    [ "$(json_get "$report" archives.0.user_id)" = p1 ] || fail "report: user_id"
    ;;
  two | five)
    n=2
    [ $case = five ] && n=5
    for i in $(seq $n); do
      publish "p$i" --video vp8 --audio opus --duration 4 --width 320 --height 240
    done
    for i in $(seq $n); do wait_publisher "p$i"; done
    room_stop
    set -- $(archives)
    [ $# = $n ] || fail "expected $n archives, got $#"
    for f; do check_media "$f" vp8 opus 3; done
    got=$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["archives"]))' "$report")
    [ "$got" = $n ] || fail "the report lists $got archives, expected $n"
    ;;
  delete-mid-room)
    publish stays --video vp8 --audio opus --duration 8
    publish leaves --video vp8 --audio opus --duration 3
    wait_publisher leaves
    # the leaver's archive is finished while the room goes on
    i=0
    until [ -n "$(archives)" ]; do
      i=$((i + 1))
      [ $i -lt 50 ] || fail "no archive 5 s after the DELETE"
      sleep 0.1
    done
    kill -0 "$(cat "$WORK/pub-stays.pid")" || fail "the other publisher stopped"
    wait_publisher stays
    room_stop
    set -- $(archives)
    [ $# = 2 ] || fail "expected 2 archives, got $#"
    for f; do check_media "$f" vp8 opus 2; done
    ;;
  restart)
    publish p1 --video vp8 --audio opus --duration 3
    wait_publisher p1
    publish p1 --video vp8 --audio opus --duration 3
    wait_publisher p1
    room_stop
    set -- $(archives)
    [ $# = 2 ] || fail "expected 2 archives for a publisher that came back, got $#"
    for f; do check_media "$f" vp8 opus 2; done
    ;;
  split)
    publish p1 --video vp8 --audio opus --duration 7 --gop 300
    wait_publisher p1
    room_stop
    n=$(find "$WORK/archive/REC1" -name 'split-archive-*_*.webm' | wc -l)
    [ "$n" -ge 3 ] || fail "expected at least 3 split files of 2 s in 7 s, got $n"
    for f in $(find "$WORK/archive/REC1" -name 'split-archive-*_*.webm' | sort); do
      check_media "$f" vp8 opus 0.5
    done
    grep -q 'keyframe-requests: [1-9]' "$WORK/pub-p1.log" ||
      fail "the sender got no key-frame request"
    ;;
  h264-long-gop)
    publish p1 --video h264 --audio opus --duration 4 --gop 300
    wait_publisher p1
    room_stop
    grep -q 'keyframe-requests: [1-9]' "$WORK/pub-p1.log" ||
      fail "the sender got no key-frame request"
    set -- $(archives)
    check_media "$1" h264 opus 2.5
    ;;
  ssrc-change)
    # after the first 3 s of the track, when only a silent input (not
    # "more bytes", the simulcast rule of the first seconds) makes it switch
    publish p1 --video vp8 --audio opus --duration 7 --ssrc-change-at 4.5
    wait_publisher p1
    room_stop
    grep -q 'ssrc changed' "$WORK/pub-p1.log" || fail "the publisher did not change its SSRC"
    set -- $(archives)
    [ $# = 1 ] || fail "expected 1 archive across the SSRC change, got $#: $*"
    check_media "$1" vp8 opus 5.5
    grep -q "video now from .*new stream" "$ROOM_LOG" ||
      fail "the launcher did not switch to the new stream's pad"
    ;;
  blocked)
    publish eve --video vp8 --audio opus --duration 3
    publish alice --video vp8 --audio opus --duration 3
    wait_publisher eve
    wait_publisher alice
    room_stop
    set -- $(archives)
    [ $# = 1 ] || fail "expected only alice's archive, got $#: $*"
    [ "$(json_get "${1%.*}.json" user_id)" = alice ] || fail "the archive is not alice's"
    check_media "$1" vp8 opus 2
    ;;
  gone)
    publish p1 --video vp8 --audio opus --duration 3 --no-delete
    wait_publisher p1
    # no DELETE, no ICE failure: the launcher notices the silence
    i=0
    until [ -n "$(archives)" ]; do
      i=$((i + 1))
      [ $i -lt 300 ] || fail "the silent participant's archive was not finalised"
      sleep 0.1
    done
    room_stop
    set -- $(archives)
    check_media "$1" vp8 opus 2
    ;;
  *)
    echo "unknown case $case"
    exit 2
    ;;
esac
[ -s "$report" ] || fail "no report"
echo "PASS $case"
