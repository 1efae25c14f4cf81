#!/bin/sh
# A full disk is an error naming the file; the partial file stays in the
# temp dir and plays up to the failure.  Needs a private mount namespace
# and tmpfs (root); skipped (exit 77) where that is not possible.
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
if ! unshare -m sh -c "mount -t tmpfs -o size=4k tmpfs '$dir'" 2>/dev/null; then
  echo "SKIP: cannot mount a tmpfs here"; exit 77
fi
unshare -m sh -c "
  mount -t tmpfs -o size=400k tmpfs '$dir' &&
  gst-launch-1.0 -m splitmuxrec name=r archive-dir='$dir' recording-id=d \
    connection-id=c format=webm \
    videotestsrc num-buffers=600 pattern=snow ! \
    video/x-raw,width=320,height=240,framerate=30/1 ! \
    vp8enc deadline=1 target-bitrate=2000000 keyframe-max-dist=10 ! r. \
    >'$dir/../diskfull-$$.log' 2>&1
  rc=\$?
  ls -la '$dir/.roomrec-tmp/d' >> '$dir/../diskfull-$$.log' 2>&1
  frames=\$(ffprobe -v error -select_streams v:0 -count_frames \
    -show_entries stream=nb_read_frames -of csv=p=0 \
    '$dir/.roomrec-tmp/d/archive-c.webm' 2>/dev/null | head -1)
  echo \"frames=\$frames rc=\$rc\" >> '$dir/../diskfull-$$.log'
" || true
log="$dir/../diskfull-$$.log"
cat "$log"
fail=0
grep -q "No space left" "$log" || { echo "FAIL: no disk-full error"; fail=1; }
grep -q "roomrec-tmp/d/archive-c.webm" "$log" || { echo "FAIL: error does not name the file"; fail=1; }
grep -q "splitmuxrec-archive-failed" "$log" || { echo "FAIL: no splitmuxrec-archive-failed message"; fail=1; }
frames=$(sed -n 's/^frames=\([0-9]*\) .*/\1/p' "$log")
[ "${frames:-0}" -ge 10 ] || { echo "FAIL: partial file does not play"; fail=1; }
rm -f "$log"
exit $fail
