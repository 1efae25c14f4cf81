#!/bin/sh
# `roomrec run` uploading to s3rver (npm, tests/browser/package.json), an
# S3 server of its own that checks SigV4 signatures with its default
# credentials: a client recording of ~10 MB goes up in three 5 MiB parts
# (multipart), while s3rver is down at first (the uploader retries until it
# is back), and the object in the bucket is the file, byte for byte; the
# upload state file says DELETED (deleted locally after the upload).
#
# Needs node and tests/browser/node_modules/s3rver (tools/install-deps.sh
# installs it with npm ci); skipped (77) without them.  KEEP=1 keeps WORK.
set -eu
src=${ROOMREC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
s3rver=$src/tests/browser/node_modules/s3rver/bin/s3rver.js
if ! command -v node >/dev/null 2>&1 || [ ! -f "$s3rver" ]; then
  echo "SKIP: no node or no s3rver (npm ci --prefix tests/browser)"
  exit 77
fi

WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
s3_pid=
stop_s3 () {
  [ -n "$s3_pid" ] || return 0
  kill "$s3_pid" 2>/dev/null || true
  wait "$s3_pid" 2>/dev/null || true
  s3_pid=
}
start_s3 () {
  node "$s3rver" -d "$WORK/s3" -a 127.0.0.1 -p "$s3_port" \
    --configure-bucket rec-test >>"$WORK/s3rver.log" 2>&1 &
  s3_pid=$!
  i=0
  until curl -s -o /dev/null "http://127.0.0.1:$s3_port/"; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "s3rver did not start: $(cat "$WORK/s3rver.log")"
    sleep 0.1
  done
}
trap 'stop_s3; room_cleanup; [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"' EXIT

TOKEN=room-token-0123456789
s3_port=$(free_tcp_port)
port=$(free_tcp_port)

# ~10 MB of WebM, system plugins only (the build's may be sanitized)
env -u GST_PLUGIN_PATH_1_0 GST_REGISTRY_1_0="$WORK/registry.bin" \
  gst-launch-1.0 -q videotestsrc num-buffers=300 pattern=snow ! \
  video/x-raw,width=640,height=480,framerate=30/1 ! \
  vp8enc target-bitrate=4000000 deadline=1 ! webmmux ! \
  filesink location="$WORK/rec.webm" >"$WORK/enc.log" 2>&1 ||
  fail "encoder: $(cat "$WORK/enc.log")"
size=$(stat -c %s "$WORK/rec.webm")
[ "$size" -gt $((2 * 5242880)) ] || fail "test WebM too small: $size bytes"

cat >"$WORK/room.json" <<EOF
{
  "room_id": "room1",
  "recording_id": "REC1",
  "archive_dir": "$WORK/archive",
  "format": "webm",
  "client_uploads": true,
  "storage": {"endpoint": "http://127.0.0.1:$s3_port", "bucket": "rec-test",
              "addressing": "path", "access_key": "S3RVER",
              "secret_key": "S3RVER", "part_size": 5242880},
  "inputs": [{"type": "whip", "listen": "127.0.0.1:$port",
              "token": "$TOKEN"}]
}
EOF

room_start "$WORK/room.json"
# s3rver is not there yet: the upload fails and is retried
code=$(curl -sS -o "$WORK/put.body" -w '%{http_code}' -X PUT \
  -H "Authorization: Bearer $TOKEN" -H 'Content-Type: video/webm' \
  --data-binary @"$WORK/rec.webm" "$WHIP_URL/recordings/lesson.webm")
[ "$code" = 201 ] || fail "client recording: HTTP $code $(cat "$WORK/put.body")"
sleep 2
grep -q '"TRANSFER_FINISH"\|"DELETED"' \
  "$WORK/archive/.roomrec-uploads/uploads-REC1.json" 2>/dev/null &&
  fail "uploaded while s3rver was down?"
start_s3

i=0
until grep -q '"DELETED"' "$WORK/archive/.roomrec-uploads/uploads-REC1.json" \
    2>/dev/null && grep -q '^roomrec: uploaded .*client-.*\.webm' "$ROOM_LOG"; do
  i=$((i + 1))
  [ $i -lt 300 ] || fail "the upload did not finish after s3rver came back"
  sleep 0.1
done
room_stop

obj=$(find "$WORK/s3/rec-test" -name 'client-*.webm._S3rver_object' | head -1)
[ -n "$obj" ] || fail "no client recording in the bucket: $(find "$WORK/s3")"
want=$(sha256sum <"$WORK/rec.webm" | cut -d' ' -f1)
got=$(sha256sum <"$obj" | cut -d' ' -f1)
[ "$want" = "$got" ] || fail "the object differs from the recording"
# three parts of one multipart upload (s3rver logs each request)
parts=$(grep -o 'client-[0-9A-Z]*\.webm?partNumber=[0-9]*&uploadId' \
  "$WORK/s3rver.log" | sort -u | wc -l)
[ "$parts" = 3 ] || fail "expected 3 parts of a multipart upload, s3rver saw $parts"
# nothing left on disk: deleted once S3 had it
left=$(find "$WORK/archive/REC1" -name 'client-*.webm' | wc -l)
[ "$left" = 0 ] || fail "the local copy was not deleted"
grep -q 'SignatureDoesNotMatch' "$WORK/s3rver.log" && fail "s3rver refused a signature"
echo "PASS launcher-s3rver"
