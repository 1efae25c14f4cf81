#!/bin/sh
# Webhooks survive a dead receiver and a killed recorder: `roomrec run`
# records while nothing listens at the webhook URL and is killed with
# SIGKILL; its events are in the spool.  A second run of another
# recording, with the receiver up and the same spool_dir, delivers the
# first run's events first, in order, then its own: nothing lost, nothing
# reordered.
# usage: launcher-webhooks-spool.sh
set -eu
WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
trap 'room_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

hook_port=$(free_tcp_port)

# room.json for recording $1
write_config () {
  port=$(free_tcp_port)
  cat >"$WORK/$1.json" <<EOF2
{
  "room_id": "room1",
  "recording_id": "$1",
  "archive_dir": "$WORK/archive",
  "format": "webm",
  "webhooks": {"urls": ["http://127.0.0.1:$hook_port/hooks"],
               "secret": "whsec-test-0123", "spool_dir": "$WORK/spool"},
  "inputs": [{"type": "whip", "listen": "127.0.0.1:$port"}]
}
EOF2
}

# 1: nobody listens; the recorder is killed mid-room
write_config REC1
room_start "$WORK/REC1.json"
"$RR_WEBRTC_PEER" whip-publish --url "$WHIP_URL?user_id=ann" --video vp8 \
  --audio opus --duration 2 --no-delete >"$WORK/pub1.log" 2>&1 ||
  { cat "$WORK/pub1.log"; fail "publisher 1"; }
sleep 1
# ROOM_PID is the timeout(1) that runs roomrec: kill roomrec itself
pkill -KILL -P "$ROOM_PID" roomrec || fail "no roomrec to kill"
wait "$ROOM_PID" 2>/dev/null || true
ROOM_PID=
ls "$WORK/spool"/*/* >/dev/null 2>&1 || fail "no spool after the kill"

# 2: the receiver is up; a new recording with the same spool
start_server hook 9 webhook-receiver.py "$WORK/events.jsonl" "$hook_port"
write_config REC2
room_start "$WORK/REC2.json"
"$RR_WEBRTC_PEER" whip-publish --url "$WHIP_URL?user_id=bob" --video vp8 \
  --audio opus --duration 2 >"$WORK/pub2.log" 2>&1 ||
  { cat "$WORK/pub2.log"; fail "publisher 2"; }
room_stop

/usr/bin/python3 - "$WORK/events.jsonl" <<'PY' || fail "webhook events"
import json, sys
events = [json.loads(json.loads(l)["body"]) for l in open(sys.argv[1])]
seen = [(e["recording_id"], e["type"], e["seq"]) for e in events]
print(" ".join("%s:%s:%d" % s for s in seen))
rec1 = [s for s in seen if s[0] == "REC1"]
rec2 = [s for s in seen if s[0] == "REC2"]
# the killed run's events, each once, in order, before the new run's
assert [t for _, t, _ in rec1][:2] == ["recording.started",
                                       "archive.started"], rec1
assert [q for _, _, q in rec1] == list(range(1, len(rec1) + 1)), rec1
assert seen.index(rec1[-1]) < seen.index(rec2[0]), seen
assert "recording.report" in [t for _, t, _ in rec2], rec2
assert len(set(e["id"] for e in events)) == len(events), "duplicates"
PY
echo "PASS launcher-webhooks-spool"
