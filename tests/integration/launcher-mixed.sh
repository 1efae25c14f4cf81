#!/bin/sh
# Mixed (composite) recording end to end over real WebRTC: rr-webrtc-peer
# publishers in solid colours, `roomrec run` with "mode": "mixed"/"both",
# the composite decoded and its tiles' colours checked.
# usage: launcher-mixed.sh CASE
#   grid     three publishers (VP8, H.264, VP9) in a 2x2 grid, HLS + MP4:
#            every tile's colour, the empty tile, HLS playlist with
#            PROGRAM-DATE-TIME, both files in the report
#   codecs   AV1 and H.265 publishers decoded into a VP8/Opus WebM
#   resize   a publisher changes its resolution (and aspect) mid-stream:
#            the composite goes on, its tile keeps its place and colour
#   both     per-participant archives and the composite in one run; one
#            participant leaves: the other then fills the canvas
#   missing-image  a background image that cannot be read: roomrec exits 1
#            at start naming the key and the file
#   avsync   a flash+beep publisher (and a silent one), mode both: in the
#            composite (MP4 and HLS) its beeps and flashes are within
#            40 ms, and within 40 ms of their distance in its own archive
#            (what WebRTC's lip sync leaves is not the composite's)
set -eu
case=$1
WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
trap 'room_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
mixcheck="/usr/bin/python3 $(dirname "$0")/mixcheck.py"

port=$(free_tcp_port)
mode=mixed mix='"format": "hls+mp4"' extra=
case $case in
  codecs) mix='"format": "webm", "video_codec": "VP8"' ;;
  both) mode=both extra='"format": "mp4",' mix='"format": "mp4"' ;;
  avsync) mode=both extra='"format": "webm",' mix='"format": "hls+mp4"' ;;
esac

cat >"$WORK/room.json" <<EOF
{
  "room_id": "room1",
  "recording_id": "REC1",
  "archive_dir": "$WORK/archive",
  "mode": "$mode",
  $extra
  "mix": {$mix, "width": 640, "height": 360, "fps": 30},
  "media_timeout": 3,
  "inputs": [
    {"type": "whip", "listen": "127.0.0.1:$port", "token": "secret-token-0123456789"}
  ]
}
EOF

if [ "$case" = missing-image ]; then
  sed 's|"fps": 30}|"fps": 30, "background_image": "'"$WORK"'/no-such.png"}|' \
    "$WORK/room.json" >"$WORK/bad.json"
  rc=0
  "$ROOMREC" run "$WORK/bad.json" >"$WORK/out.log" 2>&1 || rc=$?
  [ $rc = 1 ] || { cat "$WORK/out.log"; fail "roomrec exited with $rc, expected 1"; }
  grep -q "mix.background_image: cannot read the image $WORK/no-such.png" \
    "$WORK/out.log" || { cat "$WORK/out.log"; fail "no clear error"; }
  echo "PASS launcher-mixed-$case"
  exit 0
fi

room_start "$WORK/room.json"
[ -n "$WHIP_URL" ] || fail "no WHIP endpoint in the log"

dir=$WORK/archive/REC1
report=$dir/report-REC1.json

# the middle of a file, in seconds
middle () {
  ffprobe -v error -show_entries format=duration -of csv=p=0 "$1" |
    awk '{ printf "%.2f\n", $1 / 2 }'
}

case $case in
  grid)
    publish red --video vp8 --color ff0000 --duration 7
    publish blue --video h264 --audio none --color 0000ff --duration 7
    publish green --video vp9 --audio none --color 00ff00 --duration 7
    for p in red blue green; do wait_publisher $p; done
    room_stop
    check_media "$dir/archive-mix-mp4.mp4" h264 aac 4
    check_media "$dir/archive-mix-hls.m3u8" h264 aac 4
    grep -q '^#EXT-X-PROGRAM-DATE-TIME:' "$dir/archive-mix-hls.m3u8" ||
      fail "the playlist has no #EXT-X-PROGRAM-DATE-TIME"
    for f in "$dir/archive-mix-mp4.mp4" "$dir/archive-mix-hls.m3u8"; do
      # three tiles of a 2x2 grid; the fourth is background
      $mixcheck colours "$f" --at "$(middle "$f")" \
        --points 160,90 480,90 160,270 480,270 \
        --expect ff0000 0000ff 00ff00 000000 || fail "$f: tile colours"
    done
    got=$(/usr/bin/python3 -c 'import json,sys
print(" ".join(sorted(a["connection_id"] for a in json.load(open(sys.argv[1]))["archives"])))' "$report")
    [ "$got" = "mix-hls mix-mp4" ] || fail "report archives: $got"
    ;;
  codecs)
    publish red --video av1 --color ff0000 --duration 7
    publish blue --video h265 --audio none --color 0000ff --duration 7
    wait_publisher red
    wait_publisher blue
    room_stop
    f=$dir/archive-mix.webm
    check_media "$f" vp8 opus 4
    $mixcheck colours "$f" --at "$(middle "$f")" --points 160,180 480,180 \
      --expect ff0000 0000ff || fail "$f: tile colours"
    ;;
  resize)
    publish red --video vp8 --color ff0000 --duration 8 --resize-at 3 640x360
    publish blue --video h264 --audio none --color 0000ff --duration 8
    wait_publisher red
    wait_publisher blue
    room_stop
    f=$dir/archive-mix-mp4.mp4
    check_media "$f" h264 aac 6
    for at in 2 6; do
      $mixcheck colours "$f" --at $at --points 160,180 480,180 \
        --expect ff0000 0000ff || fail "$f: tiles at $at s"
    done
    ;;
  both)
    publish stays --video vp9 --color ff0000 --duration 10
    publish leaves --video h264 --color 0000ff --duration 4
    wait_publisher leaves
    wait_publisher stays
    room_stop
    f=$dir/archive-mix.mp4
    check_media "$f" h264 aac 6
    n=$(find "$dir" -maxdepth 1 -name 'archive-*.mp4' ! -name 'archive-mix*' | wc -l)
    [ "$n" = 2 ] || fail "expected 2 participant archives beside the mix, got $n"
    # together: two halves; alone: the whole canvas
    $mixcheck colours "$f" --at 2 --points 160,180 480,180 \
      --expect ff0000 0000ff || fail "$f: two tiles while both were there"
    end=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$f" |
      awk '{ printf "%.2f\n", $1 - 1 }')
    $mixcheck colours "$f" --at "$end" --points 160,180 480,180 320,20 \
      --expect ff0000 ff0000 ff0000 || fail "$f: one tile after the other left"
    ;;
  avsync)
    publish flash --video vp8 --flash --duration 8
    publish quiet --video vp9 --audio none --color 00ff00 --duration 8
    wait_publisher flash
    wait_publisher quiet
    room_stop
    own=$(/usr/bin/python3 -c 'import json, sys
for a in json.load(open(sys.argv[1]))["archives"]:
    if a["user_id"] == "flash":
        print(a["file_path"])' "$report")
    [ -n "$own" ] || fail "no archive of the flashing participant"
    # its own archive: what reached the recorder
    $mixcheck avsync "$own" --region 0,0,320,240 --max-ms 1000 \
      --print-offset >"$WORK/own-offset" || fail "$own: no flashes and beeps"
    for f in "$dir/archive-mix-mp4.mp4" "$dir/archive-mix-hls.m3u8"; do
      # the flashing participant's tile is either half
      region=0,0,320,360
      $mixcheck avsync "$f" --region $region --max-ms 1000 >/dev/null 2>&1 ||
        region=320,0,320,360
      # within 40 ms, and no more than 40 ms beyond what WebRTC's lip sync
      # left in the participant's own archive
      $mixcheck avsync "$f" --region $region --max-ms 40 ||
        fail "$f: sound and picture more than 40 ms apart"
      $mixcheck avsync "$f" --region $region --max-ms 40 \
        --relative-to "$(cat "$WORK/own-offset")" ||
        fail "$f: sound and picture further apart than in the archive"
    done
    ;;
  *)
    echo "unknown case $case" >&2
    exit 2
    ;;
esac
echo "PASS launcher-mixed-$case"
