#!/bin/sh
# Smoke test of rr-webrtc-peer whep-serve (HTTP only, no media):
# an early POST gets 409 + Retry-After, a POST without the token gets 401,
# SIGINT stops the server with exit status 0.
# usage: smoke-whep.sh PATH-TO-rr-webrtc-peer
set -eu
peer=${1:-${RR_WEBRTC_PEER:?usage: smoke-whep.sh rr-webrtc-peer}}
if ! command -v curl >/dev/null 2>&1; then
  echo "curl not installed: skipped"
  exit 77
fi
dir=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
fail () {
  echo "FAIL: $*"
  echo "--- server output:"
  cat "$dir/out" "$dir/err" 2>/dev/null || true
  exit 1
}

# not-before 3 s (not 1): enough margin for a loaded machine to send the
# early POST in time.
"$peer" whep-serve --port 0 --not-before 3 --token secret \
  >"$dir/out" 2>"$dir/err" &
pid=$!
i=0
until grep -q '^listening on ' "$dir/out" 2>/dev/null; do
  i=$((i + 1))
  [ $i -lt 100 ] || fail "server did not start"
  kill -0 "$pid" 2>/dev/null || fail "server exited"
  sleep 0.05
done
port=$(sed -n 's/^listening on \([0-9]*\)$/\1/p' "$dir/out")
[ -n "$port" ] && [ "$port" -gt 0 ] || fail "bad port '$port'"
url=http://127.0.0.1:$port/whep
offer='v=0
o=- 0 0 IN IP4 127.0.0.1
s=-
t=0 0
m=video 9 UDP/TLS/RTP/SAVPF 96
c=IN IP4 0.0.0.0
a=rtpmap:96 VP8/90000
a=recvonly
'

# Early POST with the right token: 409 Conflict + Retry-After: 1.
code=$(curl -sS -o /dev/null -D "$dir/h1" -w '%{http_code}' -X POST \
  -H 'Content-Type: application/sdp' -H 'Authorization: Bearer secret' \
  --data-binary "$offer" "$url")
[ "$code" = 409 ] || fail "early POST: got $code, want 409"
grep -qi '^Retry-After: *1' "$dir/h1" || fail "409 without Retry-After: 1"

# No token, and a wrong one: 401.
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
  -H 'Content-Type: application/sdp' --data-binary "$offer" "$url")
[ "$code" = 401 ] || fail "POST without token: got $code, want 401"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X POST \
  -H 'Content-Type: application/sdp' -H 'Authorization: Bearer wrong' \
  --data-binary "$offer" "$url")
[ "$code" = 401 ] || fail "POST with a wrong token: got $code, want 401"

# Unknown session: 404.
code=$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE \
  -H 'Authorization: Bearer secret' "$url/nosuch")
[ "$code" = 404 ] || fail "DELETE of an unknown session: got $code, want 404"

kill -INT "$pid"
status=0
wait "$pid" || status=$?
pid=
[ "$status" = 0 ] || fail "exit status $status after SIGINT, want 0"
echo "PASS"
