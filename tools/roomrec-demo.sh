#!/bin/sh
# Record a short demo room with the built plugin: one participant sending
# VP8 video and Opus audio over RTP (made up by test sources and encoders)
# into rtparchivesink, about 5 seconds, then say where the files are and
# how to play them; then a WebRTC room with the launcher (`roomrec run`,
# WHIP) and two publishers.  `make demo` builds first and then runs this.
#
# Usage: tools/roomrec-demo.sh [FORMAT]
#   FORMAT      rtparchivesink's format: webm (default), mkv, mp4, hls, ogg
#               (ogg is audio-only Opus).
#               VP8 + Opus fit webm/mkv; the element refuses pairs that
#               cannot work (e.g. VP8 in MP4) with an error.
# Environment:
#   BUILD_DIR          meson build directory (default build)
#   ROOMREC_DEMO_DIR   archive directory (default out/demo in the repo)
#   DEMO_SECONDS       length of the recording (default 5)
set -eu

me=roomrec-demo
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-build}
case "$build_dir" in /*) ;; *) build_dir=$root/$build_dir ;; esac
format=${1:-webm}
archive_dir=${ROOMREC_DEMO_DIR:-$root/out/demo}
case "$archive_dir" in /*) ;; *) archive_dir=$(pwd)/$archive_dir ;; esac
seconds=${DEMO_SECONDS:-5}
recording_id=demo-$(date -u +%Y%m%dT%H%M%SZ)
connection_id=participant-1

case "$format" in
  webm|mkv|mp4|hls|ogg) ;;
  *) echo "$me: unknown format '$format' (webm, mkv, mp4, hls, ogg)" >&2
     exit 2 ;;
esac
case "$seconds" in
  ''|*[!0-9]*|0) echo "$me: DEMO_SECONDS must be a positive integer" >&2
     exit 2 ;;
esac

GST_PLUGIN_PATH=$build_dir/gst${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
GST_REGISTRY_1_0=$build_dir/registry-tools.bin
export GST_PLUGIN_PATH GST_REGISTRY_1_0

if [ ! -d "$build_dir/gst" ]; then
  echo "$me: $build_dir/gst does not exist: build first (make build)" >&2
  exit 1
fi
if ! gst-inspect-1.0 rtparchivesink >/dev/null 2>&1; then
  echo "$me: the rtparchivesink element is not available from" \
    "$build_dir/gst." >&2
  echo "$me: either it is not written/registered yet or the build is" \
    "stale; check with:" >&2
  echo "  GST_PLUGIN_PATH=$build_dir/gst gst-inspect-1.0 roomrec" >&2
  exit 1
fi

mkdir -p "$archive_dir"
# 30 fps video and 20 ms Opus frames: num-buffers ends both sources after
# $seconds s, -e turns the end into a clean EOS so the files are finalised;
# the timeout is only a safety net (SIGINT = EOS with -e, then SIGKILL).
video_buffers=$((seconds * 30))
audio_buffers=$((seconds * 50))
limit=$((seconds + 30))

stamp=$(mktemp "${TMPDIR:-/tmp}/roomrec-demo.XXXXXX")
trap 'rm -f "$stamp"' EXIT
trap 'exit 1' HUP PIPE TERM
echo "$me: recording ${seconds} s into $archive_dir/$recording_id ($format)"
rc=0
timeout -s INT -k 10 "$limit" gst-launch-1.0 -e \
  rtparchivesink name=rec archive-dir="$archive_dir" \
    recording-id="$recording_id" connection-id="$connection_id" \
    format="$format" \
  videotestsrc is-live=true num-buffers="$video_buffers" pattern=smpte \
    ! video/x-raw,width=640,height=360,framerate=30/1 \
    ! vp8enc deadline=1 keyframe-max-dist=30 \
    ! rtpvp8pay pt=96 ! queue ! rec.sink_0 \
  audiotestsrc is-live=true num-buffers="$audio_buffers" \
    samplesperbuffer=960 wave=ticks \
    ! audio/x-raw,rate=48000,channels=2 \
    ! opusenc ! rtpopuspay pt=111 ! queue ! rec.sink_1 || rc=$?

if [ $rc -eq 124 ]; then
  echo "$me: gst-launch-1.0 did not finish within $limit s" >&2
  exit 1
elif [ $rc -ne 0 ]; then
  echo "$me: gst-launch-1.0 failed (exit $rc)" >&2
  exit 1
fi

# Layout from the spec: <archive-dir>/<recording-id>/archive-<connection-id>.*
out=$archive_dir/$recording_id
[ -d "$out" ] || out=$archive_dir
media=$(find "$out" -type f -newer "$stamp" -size +0 ! -name '*.json' \
    ! -path '*/.roomrec-tmp/*' |
  LC_ALL=C sort)
if [ -z "$media" ]; then
  echo "$me: the pipeline ended but no media file was written under $out" >&2
  exit 1
fi

echo
echo "Recording $recording_id written to $out:"
find "$out" -type f -newer "$stamp" | LC_ALL=C sort | sed 's/^/  /'
echo
echo "Play or inspect:"
# An HLS recording plays from its playlist, not from each segment.
playlists=$(printf '%s\n' "$media" | grep '\.m3u8$' || true)
[ -z "$playlists" ] || media=$playlists
printf '%s\n' "$media" | while IFS= read -r f; do
  echo "  gst-play-1.0 '$f'"
  if ! command -v gst-play-1.0 >/dev/null 2>&1; then
    # not in our dependency list: it is an optional nicety
    echo "    (gst-play-1.0 is in gstreamer1.0-plugins-base-apps; without it:"
    echo "     gst-launch-1.0 playbin uri='file://$f')"
  fi
  echo "  ffprobe -hide_banner '$f'"
done
if find "$out" -type f -newer "$stamp" -name '*.json' | grep -q .; then
  echo "The .json files beside them are the sidecars (times, codecs, sizes)."
fi

# A WebRTC room with the launcher: `roomrec run` serves WHIP on 127.0.0.1,
# two test publishers (VP8 + Opus, real ICE/DTLS/SRTP) join, the room stops
# on SIGINT: one archive per participant and the room's report.
roomrec=$build_dir/tools/roomrec
peer=$build_dir/tests/tools/rr-webrtc-peer
if [ ! -x "$roomrec" ] || [ ! -x "$peer" ]; then
  echo "$me: $roomrec or $peer is missing: build first (make build)" >&2
  exit 1
fi
room_id=demo-room
room_rec=room-$(date -u +%Y%m%dT%H%M%SZ)
room_dir=$(mktemp -d "${TMPDIR:-/tmp}/roomrec-demo-room.XXXXXX")
trap 'rm -f "$stamp"; rm -rf "$room_dir"' EXIT
cat >"$room_dir/room.json" <<EOF
{
  "room_id": "$room_id",
  "recording_id": "$room_rec",
  "archive_dir": "$archive_dir",
  "format": "$( [ "$format" = mkv ] && echo mkv || echo webm )",
  "mode": "both",
  "mix": {"format": "mp4", "width": 640, "height": 360, "layout": "grid"},
  "metadata": {"demo": true},
  "inputs": [{"type": "whip", "listen": "127.0.0.1:0"}]
}
EOF
echo
echo "$me: a WebRTC room: roomrec run $room_dir/room.json (WHIP), 2 publishers," \
  "each recorded, and the two side by side in one composite"
"$roomrec" run "$room_dir/room.json" >"$room_dir/roomrec.log" 2>&1 &
room_pid=$!
i=0
until grep -q '^roomrec: WHIP endpoint' "$room_dir/roomrec.log" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -ge 100 ] || ! kill -0 "$room_pid" 2>/dev/null; then
    echo "$me: roomrec did not start:" >&2
    cat "$room_dir/roomrec.log" >&2
    exit 1
  fi
  sleep 0.1
done
url=$(sed -n 's/^roomrec: WHIP endpoint //p' "$room_dir/roomrec.log")
for who in alice bob; do
  pattern=ball
  [ $who = bob ] && pattern=smpte
  "$peer" whip-publish --url "$url?user_id=$who" --video vp8 --audio opus \
    --width 640 --height 360 --duration "$seconds" --pattern $pattern \
    >"$room_dir/$who.log" 2>&1 &
  echo $! >"$room_dir/$who.pid"
done
ok=1
for who in alice bob; do
  wait "$(cat "$room_dir/$who.pid")" || { ok=0; cat "$room_dir/$who.log" >&2; }
done
kill -INT "$room_pid"
wait "$room_pid" || ok=0
sed 's/^/  /' "$room_dir/roomrec.log"
[ $ok = 1 ] || { echo "$me: the WebRTC room failed" >&2; exit 1; }
echo
echo "Room $room_id recorded into $archive_dir/$room_rec:"
find "$archive_dir/$room_rec" -type f | LC_ALL=C sort | sed 's/^/  /'
echo "archive-mix.mp4 is the composite (alice and bob side by side, H.264/AAC);"
echo "report-$room_rec.json lists every file with its start/stop offsets."
