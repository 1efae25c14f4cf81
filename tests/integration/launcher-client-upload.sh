#!/bin/sh
# `roomrec run` with "client_uploads": WebM recordings made by clients
# (RemoteMonster's recordUrl) PUT/POSTed to <whip path>/recordings/….webm,
# streamed to the tmp dir, filed in the archive with a sidecar, listed in
# the report, uploaded to storage (fake-s3.py) and announced as upload.*
# webhooks ("client_recording": true).
# Refusals: 401, 415, 413 (Content-Length, and a chunked body over the
# limit), 400 (not WebM), 405, 404; a client killed mid-upload leaves
# nothing in the archive and the room goes on.
# usage: launcher-client-upload.sh
set -eu
WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
trap 'room_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

TOKEN=room-token-0123456789
DIR=$WORK/archive/REC1

start_server s3 8 fake-s3.py --root "$WORK/s3"
s3_port=$SERVER_PORT
start_server hook 9 webhook-receiver.py "$WORK/events.jsonl"
hook_port=$SERVER_PORT
port=$(free_tcp_port)

# a 2–5 MB WebM, with system plugins only (the build's plugin may be
# sanitized, which an uninstrumented gst-launch cannot load)
env -u GST_PLUGIN_PATH_1_0 GST_REGISTRY_1_0="$WORK/registry.bin" \
  gst-launch-1.0 -q videotestsrc num-buffers=60 pattern=snow ! \
  video/x-raw,width=640,height=480,framerate=30/1 ! \
  vp8enc target-bitrate=20000000 deadline=1 ! webmmux ! \
  filesink location="$WORK/rec.webm" >"$WORK/enc.log" 2>&1 ||
  fail "encoder: $(cat "$WORK/enc.log")"
size=$(stat -c %s "$WORK/rec.webm")
[ "$size" -gt 1000000 ] || fail "test WebM too small: $size bytes"
head -c 100000 /dev/urandom >"$WORK/noise.bin"

cat >"$WORK/room.json" <<EOF2
{
  "room_id": "room1",
  "recording_id": "REC1",
  "archive_dir": "$WORK/archive",
  "format": "webm",
  "client_uploads": true,
  "max_client_upload_bytes": $((size + 1000)),
  "participants": [{"user_id": "bob", "token": "bob-token-0123456789"}],
  "webhooks": {"urls": ["http://127.0.0.1:$hook_port/hooks"]},
  "storage": {"endpoint": "http://127.0.0.1:$s3_port", "bucket": "rec-test",
              "addressing": "path", "access_key": "AKIDROOMRECTEST",
              "secret_key": "roomrec/test+secret",
              "delete_after_upload": false},
  "inputs": [{"type": "whip", "listen": "127.0.0.1:$port",
              "token": "$TOKEN"}]
}
EOF2

room_start "$WORK/room.json"
URL=$WHIP_URL/recordings

up () {   # NAME EXPECTED_STATUS CURL_ARGS...
  name=$1 want=$2
  shift 2
  got=$(curl -sS -o "$WORK/$name.body" -D "$WORK/$name.headers" \
    -w '%{http_code}' "$@") || true
  [ "$got" = "$want" ] ||
    fail "$name: HTTP $got, expected $want: $(cat "$WORK/$name.body" 2>/dev/null)"
}

client_files () {
  find "$DIR" -maxdepth 1 -name 'client-*' 2>/dev/null | sort
}

tmp_files () {
  find "$WORK/archive/.roomrec-tmp" -name 'client-*' 2>/dev/null | sort
}

# refusals first: nothing may be filed
up no-token 401 -X PUT -H 'Content-Type: video/webm' \
  --data-binary @"$WORK/rec.webm" "$URL/a.webm"
up bad-token 401 -X PUT -H 'Content-Type: video/webm' \
  -H 'Authorization: Bearer wrong-token-0123456789' \
  --data-binary @"$WORK/rec.webm" "$URL/a.webm"
up bad-type 415 -X PUT -H 'Content-Type: video/mp4' \
  -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/rec.webm" \
  "$URL/a.webm"
head -c $((size + 2000)) /dev/zero >"$WORK/big.bin"
up too-large 413 -X PUT -H 'Content-Type: video/webm' \
  -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/big.bin" \
  "$URL/a.webm"
up not-webm 400 -X PUT -H 'Content-Type: video/webm' \
  -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/noise.bin" \
  "$URL/a.webm"
grep -q 'EBML' "$WORK/not-webm.body" || fail "400 body: $(cat "$WORK/not-webm.body")"
up get 405 -X GET -H "Authorization: Bearer $TOKEN" "$URL/a.webm"
up hostile 404 -X PUT -H 'Content-Type: video/webm' \
  -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/rec.webm" \
  --path-as-is "$URL/../../../x.webm"
# an encoded "/": libsoup refuses it (400) before our handler, or 404
code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT \
  -H 'Content-Type: video/webm' -H "Authorization: Bearer $TOKEN" \
  --data-binary @"$WORK/rec.webm" "$URL/a%2F..%2F..%2Fb.webm") || true
case $code in 400 | 404) ;; *) fail "an encoded / got HTTP $code" ;; esac
# chunked over the limit: the connection is cut, nothing kept
code=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT \
  -H 'Content-Type: video/webm' -H 'Transfer-Encoding: chunked' \
  -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/big.bin" \
  "$URL/a.webm" 2>/dev/null) || true
[ "$code" != 201 ] || fail "a chunked body over the limit was accepted"
[ -z "$(client_files)" ] || fail "refused uploads left files: $(client_files)"

# killed mid-upload: a slow body, curl killed
curl -sS -o /dev/null -X PUT -H 'Content-Type: video/webm' \
  -H "Authorization: Bearer $TOKEN" --limit-rate 200k \
  --data-binary @"$WORK/rec.webm" "$URL/slow.webm" 2>/dev/null &
cpid=$!
sleep 1.5
[ -n "$(tmp_files)" ] || fail "the slow upload is not streamed to the tmp dir"
kill "$cpid"
wait "$cpid" 2>/dev/null || true
i=0
until [ -z "$(tmp_files)" ]; do
  i=$((i + 1))
  [ $i -lt 50 ] || fail "a killed upload left $(tmp_files)"
  sleep 0.1
done
[ -z "$(client_files)" ] || fail "a killed upload left $(client_files)"
kill -0 "$ROOM_PID" || fail "roomrec died"

# accepted: Content-Length (room token), chunked POST (bob's token)
up put 201 -X PUT -H 'Content-Type: video/webm' \
  -H "Authorization: Bearer $TOKEN" --data-binary @"$WORK/rec.webm" \
  "$URL/my-rec.webm"
up chunked 201 -X POST -H 'Content-Type: video/webm; codecs="vp8"' \
  -H 'Transfer-Encoding: chunked' -H 'Authorization: Bearer bob-token-0123456789' \
  --data-binary @"$WORK/rec.webm" "$URL/b.webm"
grep -qi '^Location: /whip/recordings/client-' "$WORK/put.headers" ||
  fail "no Location: $(cat "$WORK/put.headers")"
set -- $(find "$DIR" -maxdepth 1 -name 'client-*.webm' | sort)
[ $# = 2 ] || fail "expected 2 client recordings, got $#: $*"
for f in "$@"; do
  cmp "$f" "$WORK/rec.webm" || fail "$f differs from what was sent"
  sc=${f%.webm}.json
  [ -f "$sc" ] || fail "no sidecar $sc"
  [ "$(json_get "$sc" client_recording)" = True ] || fail "$sc: client_recording"
  [ "$(json_get "$sc" size)" = "$size" ] || fail "$sc: size"
  [ "$(json_get "$sc" file_path)" = "$f" ] || fail "$sc: file_path"
  [ "$(json_get "$sc" video_codec_type)" = VP8 ] || fail "$sc: video codec"
done
id=$(sed -n 's/.*"upload_id": "\([^"]*\)".*/\1/p' "$WORK/chunked.body")
[ "$(json_get "$DIR/client-$id.json" user_id)" = bob ] ||
  fail "the chunked upload's sidecar has no user_id bob"
[ -z "$(tmp_files)" ] || fail "tmp files left: $(tmp_files)"
room_stop

for f in "$@"; do
  b=$WORK/s3/rec-test/REC1/$(basename "$f")
  cmp "$b" "$WORK/rec.webm" || fail "not in the bucket as sent: $b"
  [ -f "${b%.webm}.json" ] || fail "no sidecar in the bucket: ${b%.webm}.json"
done

report=$(find "$WORK/archive" -name 'report-*.json' | head -1)
[ -n "$report" ] || fail "no report"
/usr/bin/python3 - "$report" "$WORK/events.jsonl" "$@" <<'PY' || fail "report/events"
import json, sys
report = json.load(open(sys.argv[1]))
files = sorted(a.get("file_path") for a in report["archives"])
assert files == sorted(sys.argv[3:]), (files, sys.argv[3:])
assert all(a.get("client_recording") is True for a in report["archives"]), \
    report["archives"]
events = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[2])]
ups = [e for e in events if e.get("type", "").startswith("upload.")]
types = [e["type"] for e in ups]
stored = [e["data"]["key"] for e in ups if e["type"] == "upload.completed"
          and not e["data"].get("client_recording")]
assert len([k for k in stored if "/client-" in k]) == 4, stored
ups = [e for e in ups if e["data"].get("client_recording")]
types = [e["type"] for e in ups]
for t in ("upload.started", "upload.progress", "upload.completed",
          "upload.failed"):
    assert t in types, (t, types)
done = [e for e in ups if e["type"] == "upload.completed"]
assert len(done) == 2, done
assert sorted(e["data"]["file_path"] for e in done) == sorted(sys.argv[3:])
print(" ".join(types))
PY
echo "PASS"
