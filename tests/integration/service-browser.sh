#!/bin/sh
# The dashboard of `roomrec serve` in a real browser: headless Chromium,
# driven by playwright-core (tests/browser/service-dashboard.mjs), enters
# the API token, creates a task with the dashboard's form, publishes its
# fake camera and microphone from publish.html over WHIP (through the
# service's proxy) for 6 s, sees the participant come and go, stops the
# task with its Stop button, waits for a finished file and plays it in the
# dashboard's player.  Then, without the browser: the file the service
# lists holds the browser's VP8 and Opus, starts with a key frame and
# decodes.
#
# Needs Debian's chromium, node and tests/browser/node_modules
# (playwright-core, pinned in tests/browser/package-lock.json; installed
# with npm ci when missing); skipped (77) without them.  Expects ROOMREC
# (the built roomrec) in the environment.  KEEP=1 keeps the temp dir
# (service log, task logs, screenshots on failure).
set -eu
src=${ROOMREC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
browser_dir=$src/tests/browser
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || chromium=$(command -v chromium 2>/dev/null || true)
if [ -z "$chromium" ]; then
  echo "SKIP: no chromium (tools/install-deps.sh installs Debian's)"
  exit 77
fi
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' \
    >/dev/null 2>&1; then
  echo "SKIP: no node 20 or newer (playwright-core needs it)"
  exit 77
fi

WORK=$(mktemp -d)
. "$(dirname "$0")/room-lib.sh"
serve_pid=
cleanup () {
  if [ -n "$serve_pid" ]; then
    kill -TERM "$serve_pid" 2>/dev/null || true
    i=0
    while kill -0 "$serve_pid" 2>/dev/null && [ $i -lt 200 ]; do
      sleep 0.1
      i=$((i + 1))
    done
    kill -KILL "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
  fi
  room_cleanup
  if [ -n "${KEEP:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# playwright-core as pinned in package.json, installed by npm ci if missing
# or stale (it drives the system's Chromium: npm downloads no browser).
want=$(json_get "$browser_dir/package.json" dependencies.playwright-core)
have=$(json_get "$browser_dir/node_modules/playwright-core/package.json" version 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  if command -v npm >/dev/null 2>&1 &&
      npm ci --prefix "$browser_dir" --no-audit --no-fund >"$WORK/npm.log" 2>&1 &&
      [ -f "$browser_dir/node_modules/playwright-core/package.json" ]; then
    echo "installed playwright-core $want in $browser_dir/node_modules (npm ci)"
  else
    echo "SKIP: no playwright-core $want in $browser_dir/node_modules and npm ci could not install it"
    [ ! -s "$WORK/npm.log" ] || tail -n 20 "$WORK/npm.log"
    exit 77
  fi
fi

api_token=dashboard-api-token-0123456789
room_token=browser-room-token-0123456789
room=dash-room-$$
mkdir "$WORK/state" "$WORK/archive"
cat >"$WORK/serve.json" <<EOF
{
  "listen": "127.0.0.1:0",
  "tokens": ["$api_token"],
  "state_dir": "$WORK/state",
  "archive_dir": "$WORK/archive",
  "task_defaults": {"format": "webm"}
}
EOF

# the log of the service and of its rooms on failure (fail, of room-lib.sh,
# shows ROOM_LOG)
# shellcheck disable=SC2034
ROOM_LOG=$WORK/serve.log
show_task_logs () {
  for f in "$WORK"/state/tasks/*/room.log; do
    [ -s "$f" ] || continue
    echo "--- $f (last 30 lines)"
    tail -n 30 "$f"
  done
}

exec timeout --foreground -s TERM -k 20 "${SERVE_TIMEOUT:-170}" \
  "$ROOMREC" serve "$WORK/serve.json" >"$WORK/serve.log" 2>&1 &
serve_pid=$!
i=0
until grep -q '^roomrec serve: listening on http://' "$WORK/serve.log" 2>/dev/null; do
  i=$((i + 1))
  kill -0 "$serve_pid" 2>/dev/null || fail "roomrec serve exited at start"
  [ $i -lt 100 ] || fail "roomrec serve did not say where it listens in 10 s"
  sleep 0.1
done
url=$(sed -n 's|^roomrec serve: listening on \(http://[^ ]*\).*|\1|p' "$WORK/serve.log" | head -1)
echo "service at $url"

rc=0
node "$browser_dir/service-dashboard.mjs" --url "$url" --token "$api_token" \
  --room "$room" --room-token "$room_token" --user browser-publisher \
  --seconds 6 --chromium "$chromium" --artifacts "$WORK/artifacts" \
  >"$WORK/browser.log" 2>&1 || rc=$?
cat "$WORK/browser.log"
if [ $rc != 0 ]; then
  show_task_logs
  fail "the dashboard test (service-dashboard.mjs) exited with $rc"
fi
sed -n 's/^RESULT //p' "$WORK/browser.log" >"$WORK/result.json"
[ -s "$WORK/result.json" ] || fail "service-dashboard.mjs printed no RESULT"

# the file the service lists, checked without the browser
file=$(json_get "$WORK/result.json" path)
case $file in
  "$WORK"/archive/*) ;;
  *) fail "the file $file is not under the service's archive_dir $WORK/archive" ;;
esac
check_media "$file" vp8 opus 4
[ "$(json_get "${file%.webm}.json" user_id)" = browser-publisher ] ||
  { show_task_logs; fail "the sidecar's user_id is not browser-publisher"; }

# the service shuts down cleanly (SIGTERM), the task stays stopped
kill -TERM "$serve_pid"
rc=0
wait "$serve_pid" || rc=$?
serve_pid=
[ $rc = 0 ] || fail "roomrec serve exited with $rc after SIGTERM"
echo "PASS: the dashboard in $("$chromium" --version 2>/dev/null | sed -n '1s/ built on.*//p') created, watched, stopped and played a task of roomrec serve"
