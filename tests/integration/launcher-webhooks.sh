#!/bin/sh
# `roomrec run` with "webhooks" (and "storage"): the room's events reach a
# real HTTP receiver, signed, in order: recording.started, archive.started,
# archive.available, the uploads' upload.started/upload.completed, and
# recording.report with the report.
# usage: launcher-webhooks.sh
set -eu
WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
trap 'room_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT


start_server s3 8 fake-s3.py --root "$WORK/s3"
s3_port=$SERVER_PORT
start_server hook 9 webhook-receiver.py "$WORK/events.jsonl"
hook_port=$SERVER_PORT
port=$(free_tcp_port)

cat >"$WORK/room.json" <<EOF2
{
  "room_id": "room1",
  "recording_id": "REC1",
  "archive_dir": "$WORK/archive",
  "format": "webm",
  "webhooks": {"urls": ["http://127.0.0.1:$hook_port/hooks"],
               "secret": "whsec-test-0123"},
  "storage": {"endpoint": "http://127.0.0.1:$s3_port", "bucket": "rec-test",
              "addressing": "path", "access_key": "AKIDROOMRECTEST",
              "secret_key": "roomrec/test+secret"},
  "inputs": [{"type": "whip", "listen": "127.0.0.1:$port"}]
}
EOF2

room_start "$WORK/room.json"
"$RR_WEBRTC_PEER" whip-publish --url "$WHIP_URL?user_id=ann" --video vp8 \
  --audio opus --duration 3 >"$WORK/pub.log" 2>&1 ||
  { cat "$WORK/pub.log"; fail "publisher"; }
room_stop

/usr/bin/python3 - "$WORK/events.jsonl" <<'PY' || fail "webhook events"
import hashlib, hmac, json, sys
events = [json.loads(l) for l in open(sys.argv[1])]
types = []
for e in events:
    h = {k.lower(): v for k, v in e["headers"].items()}
    sig = dict(p.split("=", 1) for p in h["roomrec-signature"].split(","))
    want = hmac.new(b"whsec-test-0123", (sig["t"] + "." + e["body"]).encode(),
                    hashlib.sha256).hexdigest()
    assert hmac.compare_digest(sig["v1"], want), "bad signature"
    body = json.loads(e["body"])
    assert body["recording_id"] == "REC1", body
    assert h["roomrec-event-type"] == body["type"]
    types.append(body["type"])
print(" ".join(types))
def first(t):
    assert t in types, "no %s in %s" % (t, types)
    return types.index(t)
assert first("recording.started") < first("archive.started") \
    < first("archive.available") < first("recording.report"), types
assert first("upload.started") < first("upload.completed"), types
seqs = [json.loads(e["body"])["seq"] for e in events]
assert seqs == sorted(seqs), "out of order: %s" % seqs
report = [json.loads(e["body"]) for e in events
          if json.loads(e["body"])["type"] == "recording.report"][0]
assert report["data"]["report"]["recording_id"] == "REC1", report
PY
echo "PASS launcher-webhooks"
