#!/bin/sh
# `roomrec run` with "storage": every finished file goes to an
# S3-compatible bucket (tests/integration/fake-s3.py, which checks every
# request's SigV4 signature with botocore).
# usage: launcher-s3.sh CASE
#   webm        a WebRTC publisher's archive, its split files (2 s), their
#               sidecars, split-archive-end and the report are in the
#               bucket and gone from the disk
#   hls         an HLS archive: the playlist and every segment it names
#   bad-secret  S3 refuses the signature: roomrec exits 1 naming S3's
#               error, the files are moved to the evacuation dir
#   deliver     S3 answers 503 to every upload and the room is stopped with
#               a second signal: its uploads stay pending; once S3 is back,
#               `roomrec deliver room.json` uploads them (and records
#               nothing)
set -eu
case=$1
WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
trap 'room_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

start_server s3 9 fake-s3.py --root "$WORK/s3"
s3_port=$SERVER_PORT

port=$(free_tcp_port)
format=webm video=vp8 secret='roomrec/test+secret' split=
case $case in
  webm) split='"split_duration": 2,' ;;
  hls) format=hls video=h264 ;;
  bad-secret) secret='not-the-secret' ;;
esac
if [ $case = deliver ]; then
  curl -fsS -X POST "http://127.0.0.1:$s3_port/_fake/fail?count=100000&mode=503" \
    >/dev/null || fail "cannot make the fake S3 fail"
fi

cat >"$WORK/room.json" <<EOF
{
  "room_id": "room1",
  "recording_id": "REC1",
  "archive_dir": "$WORK/archive",
  "format": "$format",
  "hls_target_duration": 1,
  $split
  "storage": {
    "endpoint": "http://127.0.0.1:$s3_port",
    "bucket": "rec-test",
    "prefix": "rooms",
    "addressing": "path",
    "access_key": "AKIDROOMRECTEST",
    "secret_key": "$secret"
  },
  "inputs": [{"type": "whip", "listen": "127.0.0.1:$port"}]
}
EOF

room_start "$WORK/room.json"
"$RR_WEBRTC_PEER" whip-publish --url "$WHIP_URL" --video $video \
  --audio "$( [ $format = hls ] && echo none || echo opus )" --duration 4 \
  --gop 30 >"$WORK/pub.log" 2>&1 || { cat "$WORK/pub.log"; fail "publisher"; }

bucket=$WORK/s3/rec-test/rooms/REC1
case $case in
  webm | hls)
    room_stop
    grep -q '^roomrec: uploaded ' "$ROOM_LOG" || fail "no upload in the log"
    [ -f "$bucket/report-REC1.json" ] || fail "no report in the bucket"
    n=0
    for f in "$bucket"/archive-*; do
      n=$((n + 1))
    done
    [ $n -ge 2 ] || fail "expected an archive and its sidecar in the bucket, got $n files"
    # uploaded means gone from the disk (delete_after_upload)
    left=$(find "$WORK/archive/REC1" -type f ! -name '*.tmp' | wc -l)
    [ "$left" = 0 ] || fail "$left file(s) left on disk after the upload"
    if [ $format = webm ]; then
      set -- "$bucket"/archive-*.webm
      check_media "$1" vp8 opus 2.5
      n=$(find "$bucket" -name 'split-archive-*.webm' | wc -l)
      [ "$n" -ge 2 ] || fail "expected 2+ split files in the bucket, got $n"
      n=$(find "$bucket" -name 'split-archive-*.json' | wc -l)
      [ "$n" -ge 3 ] || fail "expected the split sidecars and split-archive-end in the bucket, got $n JSON files"
      ls "$bucket"/split-archive-end-*.json >/dev/null 2>&1 ||
        fail "no split-archive-end JSON in the bucket"
    else
      set -- "$bucket"/archive-*.m3u8
      segs=$(grep -v '^#' "$1" | grep -c . || true)
      [ "$segs" -ge 2 ] || fail "the playlist names $segs segment(s)"
      for s in $(grep -v '^#' "$1"); do
        [ -s "$bucket/$s" ] || fail "segment $s of the playlist is not in the bucket"
      done
      check_media "$1" h264 none 2.5
    fi
    /usr/bin/python3 -c 'import json, sys
st = json.load(open(sys.argv[1]))
print(json.dumps(st)[:0], end="")' "$WORK/archive/.roomrec-uploads/uploads-REC1.json" ||
      fail "no upload state file"
    grep -q '"DELETED"' "$WORK/archive/.roomrec-uploads/uploads-REC1.json" ||
      fail "the state file has no DELETED file"
    ;;
  deliver)
    kill -INT "$ROOM_PID"
    wait_for_line "$ROOM_LOG" 'waiting for .* upload' \
      "the room does not wait for its uploads" 30
    sleep 1
    kill -INT "$ROOM_PID"
    rc=0
    wait "$ROOM_PID" || rc=$?
    ROOM_PID=
    [ $rc = 1 ] || fail "roomrec exited with $rc after a second signal, expected 1"
    [ ! -f "$bucket/report-REC1.json" ] || fail "an upload got through the 503s"
    state=$WORK/archive/.roomrec-uploads/uploads-REC1.json
    grep -q '"TRANSFER' "$state" || fail "no pending upload in $state"
    curl -fsS -X POST "http://127.0.0.1:$s3_port/_fake/reset" >/dev/null
    touch "$WORK/before-deliver"
    sleep 0.01
    rc=0
    timeout 90 "$ROOMREC" deliver "$WORK/room.json" >"$WORK/deliver.log" 2>&1 ||
      rc=$?
    cat "$WORK/deliver.log"
    [ $rc = 0 ] || fail "roomrec deliver exited with $rc"
    grep -q 'everything delivered' "$WORK/deliver.log" || fail "deliver says nothing"
    [ -f "$bucket/report-REC1.json" ] || fail "no report in the bucket"
    set -- "$bucket"/archive-*.webm
    check_media "$1" vp8 opus 2.5
    if grep -q '"TRANSFER_READY"\|"TRANSFER"' "$state"; then
      fail "uploads still pending in $state"
    fi
    n=$(find "$WORK/archive" "$WORK/s3" -name '*.webm' -newer "$WORK/before-deliver" | wc -l)
    [ "$n" = 1 ] || fail "expected the one upload of the archive, found $n new .webm files"
    ;;
  bad-secret)
    kill -INT "$ROOM_PID"
    rc=0
    wait "$ROOM_PID" || rc=$?
    ROOM_PID=
    [ $rc = 1 ] || fail "roomrec exited with $rc, expected 1"
    grep -q 'SignatureDoesNotMatch' "$ROOM_LOG" || fail "S3's error is not named"
    n=$(find "$WORK/archive/.roomrec-evacuated" -type f -name '*.webm' | wc -l)
    [ "$n" = 1 ] || fail "expected the archive in the evacuation dir, found $n"
    [ ! -d "$bucket" ] || fail "something reached the bucket"
    ;;
esac
echo "PASS launcher-s3-$case"
