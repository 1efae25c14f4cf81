#!/bin/sh
# A recorder killed with SIGKILL leaves every file playable: the finished
# split files in the archive dir, the open ones in the temp dir, playable
# up to their last fragment (MP4: 1 s; Matroska/WebM: each cluster).
# usage: kill9.sh FORMAT   (mp4 | webm | mkv | hls)
set -eu
format=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

case $format in
  mp4|hls) venc="x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15"
           aenc="voaacenc"; [ "$format" = mp4 ] && aenc="opusenc" ;;
  *) venc="vp8enc deadline=1 keyframe-max-dist=15"; aenc="opusenc" ;;
esac
split="split-duration=1000000000"
[ "$format" = hls ] && split="hls-target-duration=1000000000"

# shellcheck disable=SC2086 # the encoder lines are meant to split
gst-launch-1.0 -q splitmuxrec name=r archive-dir="$dir" recording-id=k \
  connection-id=c format="$format" $split \
  videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! \
  $venc ! r. \
  audiotestsrc is-live=true ! $aenc ! r. >"$dir/log" 2>&1 &
pid=$!
sleep 4.5
kill -9 "$pid"
wait "$pid" 2>/dev/null || true

fail=0
files=$(find "$dir" -type f \( -name '*.mp4' -o -name '*.webm' -o -name '*.mkv' -o -name '*.ts' \))
[ -n "$files" ] || { echo "FAIL: no media files"; cat "$dir/log"; exit 1; }
n=0
for f in $files; do
  if [ ! -s "$f" ]; then
    # opened less than one fragment (1 s) before the kill: nothing to lose
    echo "$f: empty (opened just before the kill)"; continue
  fi
  # only the header written (files are written in 4 KiB steps): no media
  # was in it yet, nothing to lose either
  if [ "$(wc -c <"$f")" -lt 2048 ] && ! LC_ALL=C grep -qa -e moof -e "$(printf '\037\103\266\165')" "$f"; then
    echo "$f: header only (opened just before the kill)"; continue
  fi
  frames=$(ffprobe -v error -select_streams v:0 -count_frames \
    -show_entries stream=nb_read_frames -of csv=p=0 "$f" | head -1)
  first_key=$(ffprobe -v error -select_streams v:0 -show_entries \
    frame=key_frame -read_intervals '%+#1' -of csv=p=0 "$f" | head -1 | cut -d, -f1)
  echo "$f: $frames frames, first key_frame=$first_key"
  case $frames in ''|*[!0-9]*) frames=0 ;; esac
  if [ "$frames" -lt 1 ] || [ "$first_key" != 1 ]; then
    echo "FAIL: $f does not play from a key frame"; fail=1
  fi
  n=$((n + frames))
done
# the open file(s) in the temp dir count: ~4 s were recorded
tmp_files=$(find "$dir/.roomrec-tmp" -type f | wc -l)
[ "$tmp_files" -ge 1 ] || { echo "FAIL: the open file is not in the temp dir"; fail=1; }
[ "$n" -ge 45 ] || { echo "FAIL: only $n video frames survived"; fail=1; }
exit $fail
