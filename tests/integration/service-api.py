#!/usr/bin/python3
"""`roomrec serve`, endpoint by endpoint and error code by error code
(docs/service.md, docs/openapi.yaml): a real service, real room processes,
real HTTP.  Limits are the defaults: the 101st task, the 26th stream of a
room and the 21st request within a second are refused.

Environment: ROOMREC (the binary), GST_PLUGIN_PATH_1_0, RR_WEBRTC_PEER
(the test publisher), ROOMREC_SOURCE_DIR.
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servicelib import TOKEN, check, offer, run_test  # noqa: E402

ROOM_TOKEN = "room-token-0123456789abcdef"


def expect_error(resp, status, code, what):
    body = resp.json()
    got = body.get("error", {}).get("code") if isinstance(body, dict) else None
    check(resp.status == status and got == code,
          "%s: %d %s (got %d %s: %s)" % (what, status, code, resp.status, got,
                                         body.get("error", {}).get("message")
                                         if isinstance(body, dict) else body))
    check(isinstance(body, dict) and body.get("request_id"),
          what + ": the error has a request_id")


def run(svc, work):
    # ---- health, auth, routing
    r = svc.request("GET", "/healthz", token=None)
    check(r.status == 200 and r.json().get("status") == "ok",
          "healthz without a token: 200 ok")
    r = svc.request("GET", "/v1/tasks", token=None)
    expect_error(r, 401, "AuthFailure.MissingToken", "no token")
    check("Bearer" in (r.headers.get("WWW-Authenticate") or ""),
          "401 has WWW-Authenticate: Bearer")
    r = svc.request("GET", "/v1/tasks", token="wrong-token-0123456789")
    expect_error(r, 403, "AuthFailure.InvalidToken", "wrong token")
    r = svc.request("GET", "/metrics", token=None)
    expect_error(r, 401, "AuthFailure.MissingToken", "metrics need a token")
    r = svc.request("GET", "/v2/nothing")
    expect_error(r, 404, "InvalidParameter.Path", "unknown path")
    r = svc.request("PUT", "/v1/tasks")
    expect_error(r, 405, "InvalidParameter.Method", "PUT /v1/tasks")
    check("POST" in (r.headers.get("Allow") or ""), "405 lists Allow")

    # ---- bodies
    r = svc.request("POST", "/v1/tasks", raw=b"{not json",
                    content_type="application/json")
    expect_error(r, 400, "InvalidParameter.Body", "malformed JSON")
    r = svc.request("POST", "/v1/tasks", raw=b"[1,2]",
                    content_type="application/json")
    expect_error(r, 400, "InvalidParameter.Body", "a JSON array")
    r = svc.request("POST", "/v1/tasks", raw=b'{"room_id": "x"}',
                    content_type="text/plain")
    expect_error(r, 415, "InvalidParameter.ContentType", "text/plain body")
    r = svc.request("POST", "/v1/tasks", raw=b"{" + b" " * 70000 + b"}",
                    content_type="application/json")
    expect_error(r, 413, "InvalidParameter.BodyTooLarge", "70 kB body")
    for body, code in [
            ({}, "InvalidParameter.RoomId"),
            ({"room_id": "../../etc"}, "InvalidParameter.RoomId"),
            ({"room_id": "ok", "mode": "sideways"}, "InvalidParameter.Mode"),
            ({"room_id": "ok", "format": "mp3"}, "InvalidParameter.Format"),
            ({"room_id": "ok", "colour": "red"}, "InvalidParameter.Body"),
            ({"room_id": "ok", "archive_dir": "/"},
             "InvalidParameter.ArchiveDir"),
            ({"room_id": "ok", "inputs": [{"type": "whip"}]},
             "InvalidParameter.Inputs"),
            ({"room_id": "ok", "subscribe": {"allow": [str(i) for i in
                                                      range(26)]}},
             "InvalidParameter.SubscribeStreamUserIds"),
            ({"room_id": "ok", "split_only": True},
             "InvalidParameter.SplitOnly")]:
        r = svc.request("POST", "/v1/tasks", body)
        expect_error(r, 400, code, "task body %s" % json.dumps(body)[:60])

    # ---- create, describe, list
    r = svc.request("POST", "/v1/tasks", {
        "room_id": "r1", "token": ROOM_TOKEN, "app": "lessons",
        "metadata": {"course": "maths"}})
    check(r.status == 201, "create: 201 (%d %s)" % (r.status, r.text[:200]))
    task = r.json()
    tid = task.get("task_id", "")
    check(len(tid) == 26, "task id is a base32 id")
    check(task.get("whip_url") == svc.url + "/whip/r1", "whip_url")
    check(task.get("status") in ("starting", "recording"), "status starting")
    task = svc.wait_status(tid, "recording")
    check(task.get("status") == "recording", "the room records")
    r = svc.request("POST", "/v1/tasks", {"room_id": "r1"})
    expect_error(r, 409, "FailedOperation.TaskExists", "second task, r1")
    r = svc.request("GET", "/v1/tasks/NOSUCHTASK")
    expect_error(r, 404, "FailedOperation.TaskNotExist", "unknown task")
    r = svc.request("GET", "/v1/tasks?app=lessons")
    check(r.status == 200 and [t["task_id"] for t in r.json()["tasks"]]
          == [tid], "list ?app=lessons")
    r = svc.request("GET", "/v1/tasks?status=stopped")
    check(r.status == 200 and r.json()["total"] == 0, "list ?status=stopped")
    r = svc.request("GET", "/v1/tasks?room_id=r1&status=recording")
    check(r.json()["total"] == 1, "list ?room_id=r1&status=recording")

    # ---- WHIP through the service's one port
    r = svc.request("POST", "/whip/r1", raw=offer(), token=None,
                    content_type="application/sdp")
    check(r.status == 401, "WHIP without the room's token: 401 (%d)"
          % r.status)
    r = svc.request("OPTIONS", "/whip/r1", token=None,
                    headers={"Origin": "http://example.org",
                             "Access-Control-Request-Method": "POST"})
    check(r.status in (200, 204) and r.headers.get(
        "Access-Control-Allow-Origin"), "WHIP preflight (%d)" % r.status)
    r = svc.request("POST", "/whip/r1", raw=offer(), token=ROOM_TOKEN,
                    content_type="application/sdp")
    check(r.status == 201 and r.text.startswith("v=0"),
          "WHIP offer: 201 + answer (%d %s)" % (r.status, r.text[:80]))
    loc = r.headers.get("Location") or ""
    check(loc.startswith("/whip/r1/"), "Location under /whip/r1 (%s)" % loc)
    check(bool(r.headers.get("ETag")), "ETag")
    r = svc.request("DELETE", loc, token=ROOM_TOKEN)
    check(r.status == 200, "WHIP DELETE of the session (%d)" % r.status)
    r = svc.request("POST", "/whip/nobody", raw=offer(),
                    content_type="application/sdp", token=None)
    expect_error(r, 503, "FailedOperation.RoomNotRecording",
                 "WHIP to a room without a task")

    # ---- a real publisher, then its file
    peer = os.environ["RR_WEBRTC_PEER"]
    pub = subprocess.run([peer, "whip-publish", "--url", svc.url + "/whip/r1",
                          "--token", ROOM_TOKEN, "--duration", "3"],
                         capture_output=True, text=True, timeout=60)
    check(pub.returncode == 0, "publisher through the service (%s)"
          % pub.stdout[-200:])
    task = svc.wait(lambda t: any(f["status"] == "TRANSFER_FINISH"
                                  for f in t["files"]), tid)
    files = [f for f in task["files"] if f["status"] == "TRANSFER_FINISH"]
    check(len(files) == 1 and files[0]["name"].endswith(".webm")
          and files[0]["begin_timestamp"] > 1.7e12 and files[0]["size"] > 1000,
          "describe: the finished file with its begin timestamp (%s)"
          % task["files"])
    if files:
        name = files[0]["name"]
        r = svc.request("GET", "/v1/tasks/%s/files/%s" % (tid, name))
        check(r.status == 200 and r.body[:4] == b"\x1a\x45\xdf\xa3"
              and len(r.body) == files[0]["size"], "download the file")
        r = svc.request("GET", "/v1/tasks/%s/files/%s" % (tid, name),
                        headers={"Range": "bytes=0-99"})
        check(r.status == 206 and len(r.body) == 100, "Range: 206, 100 bytes")
        r = svc.request("GET", "/v1/tasks/%s/files/%s?access_token=%s"
                        % (tid, name, TOKEN), token=None)
        check(r.status == 200, "?access_token= for <video src>")
        r = svc.request("GET", "/v1/tasks/%s/files/%s" % (tid, "..%2Ftask.json"))
        check(r.status in (400, 404), "no path out of the task (%d)"
              % r.status)

    # ---- modify
    r = svc.request("PATCH", "/v1/tasks/" + tid,
                    {"subscribe": {"block": ["mallory"]}})
    check(r.status == 200 and r.json()["config"].get("subscribe")
          == {"block": ["mallory"]}, "modify subscribe (%d %s)"
          % (r.status, r.text[:200]))
    r = svc.request("PATCH", "/v1/tasks/" + tid, {"format": "mp4"})
    expect_error(r, 400, "InvalidParameter.Body", "modify a fixed key")
    r = svc.request("PATCH", "/v1/tasks/" + tid, {"mix": {"layout": "grid"}})
    check(r.status == 400, "layout of a single-mode task (%d %s)"
          % (r.status, r.text[:120]))

    # ---- client recordings, streamed through the one port
    r = svc.request("POST", "/v1/tasks", {"room_id": "up", "client_uploads":
                                          True, "token": ROOM_TOKEN})
    utid = r.json().get("task_id")
    svc.wait_status(utid, "recording")
    webm = os.path.join(work, "client.webm")
    subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=300",
                    "pattern=snow", "!", "video/x-raw,width=640,height=480",
                    "!", "vp8enc", "deadline=1", "target-bitrate=4000000",
                    "!", "webmmux", "!", "filesink", "location=" + webm],
                   check=True)
    with open(webm, "rb") as f:
        data = f.read()
    peak = svc.peak_rss_kb()
    r = svc.request("PUT", "/whip/up/recordings/lesson.webm", raw=data,
                    token=ROOM_TOKEN, content_type="video/webm")
    check(r.status == 201 and r.json().get("size") == len(data),
          "client recording of %d bytes: 201 (%d %s)"
          % (len(data), r.status, r.text[:200]))
    grew = svc.peak_rss_kb() - peak
    check(grew < len(data) / 1024 / 2, "streamed, not buffered: the "
          "service's peak memory grew by %d KiB" % grew)
    r = svc.request("PUT", "/whip/up/recordings/other.webm", raw=data[:4096],
                    token="wrong-token-0123456789", content_type="video/webm")
    check(r.status == 401, "client recording with a wrong token: 401 (%d)"
          % r.status)
    t = svc.wait(lambda t: any(f["name"].startswith("client-")
                               for f in t["files"]), utid, 10)
    up = [f for f in t.get("files", []) if f["name"].startswith("client-")]
    check(len(up) == 1 and up[0]["size"] == len(data)
          and up[0]["status"] == "TRANSFER_FINISH",
          "the task lists the client recording (%s)" % t.get("files"))
    svc.request("DELETE", "/v1/tasks/" + utid)

    # ---- channels (Sora StartRecording/StopRecording)
    r = svc.request("POST", "/v1/channels/chan1/start", {"format": "mp4"})
    check(r.status == 201 and r.json().get("room_id") == "chan1",
          "channel start: 201 (%d %s)" % (r.status, r.text[:200]))
    ctid = r.json().get("task_id")
    r = svc.request("POST", "/v1/channels/chan1/start")
    expect_error(r, 409, "FailedOperation.TaskExists", "channel started twice")
    svc.wait_status(ctid, "recording")
    r = svc.request("POST", "/v1/channels/chan1/stop")
    check(r.status == 202, "channel stop: 202")
    task = svc.wait_status(ctid, "stopped")
    check(task.get("stop_reason") == "api", "stopped by the API")
    r = svc.request("POST", "/v1/channels/chan1/stop")
    expect_error(r, 404, "FailedOperation.TaskNotExist", "channel not recording")
    r = svc.request("PATCH", "/v1/tasks/" + ctid, {"subscribe": {}})
    expect_error(r, 409, "FailedOperation.TaskNotRunning", "modify stopped task")

    # ---- rules: rooms created after the rule only
    r = svc.request("POST", "/v1/rules", {"app": "class", "enabled": False,
                                          "task": {"format": "webm"}})
    check(r.status == 201 and r.json().get("match") == "class-*",
          "rule: 201, default match class-*")
    rid = r.json().get("rule_id")
    r = svc.request("POST", "/whip/class-old", raw=offer(),
                    content_type="application/sdp", token=None)
    expect_error(r, 503, "FailedOperation.RoomNotRecording", "rule disabled")
    r = svc.request("PATCH", "/v1/rules/" + rid, {"enabled": True})
    check(r.status == 200 and r.json().get("enabled") is True, "enable rule")
    r = svc.request("POST", "/whip/class-old", raw=offer(),
                    content_type="application/sdp", token=None)
    expect_error(r, 503, "FailedOperation.RoomNotRecording",
                 "room created before the rule")
    r = svc.request("POST", "/whip/class-new", raw=offer(),
                    content_type="application/sdp", token=None)
    check(r.status == 201, "rule starts the room of its first publisher "
          "(%d %s)" % (r.status, r.text[:200]))
    r = svc.request("GET", "/v1/tasks?room_id=class-new")
    tasks = r.json()["tasks"]
    check(len(tasks) == 1 and tasks[0]["app"] == "class"
          and tasks[0]["config"].get("stop_when_empty") is True,
          "the rule's task: app class, ends with the room")
    for body, code in [({"match": "x-*"}, "InvalidParameter.App"),
                       ({"app": "a", "task": {"format": "mp3"}},
                        "InvalidParameter.TaskFormat"),
                       ({"app": "a", "enabled": "yes"},
                        "InvalidParameter.Enabled")]:
        r = svc.request("POST", "/v1/rules", body)
        expect_error(r, 400, code, "rule %s" % json.dumps(body))
    r = svc.request("GET", "/v1/rules")
    check(r.status == 200 and len(r.json()["rules"]) == 1, "list rules")
    r = svc.request("DELETE", "/v1/rules/" + rid)
    check(r.status == 204, "delete rule: 204")
    r = svc.request("DELETE", "/v1/rules/" + rid)
    expect_error(r, 404, "FailedOperation.RuleNotExist", "rule deleted twice")

    # ---- the 26th stream of a room
    r = svc.request("POST", "/v1/tasks", {"room_id": "big"})
    big = r.json().get("task_id")
    svc.wait_status(big, "recording")
    statuses = []
    for i in range(26):
        r = svc.request("POST", "/whip/big", raw=offer(ufrag="u%03d" % i),
                        content_type="application/sdp", token=None)
        statuses.append(r.status)
    check(statuses[:25] == [201] * 25, "25 streams per task (%s)" % statuses)
    expect_error(r, 503, "FailedOperation.RestrictedStreams", "the 26th stream")

    # ---- a room that does not answer: the request times out (6 s)
    pid = subprocess.run(["pgrep", "-f", "tasks/%s/room-0.json" % big],
                         capture_output=True, text=True).stdout.split()
    check(len(pid) == 1, "room big runs in its own process")
    if pid:
        os.kill(int(pid[0]), signal.SIGSTOP)
        t0 = time.time()
        r = svc.request("POST", "/whip/big", raw=offer(ufrag="late"),
                        content_type="application/sdp", token=None)
        took = time.time() - t0
        os.kill(int(pid[0]), signal.SIGCONT)
        expect_error(r, 504, "InternalError.Timeout", "a frozen room")
        check(5.5 < took < 9, "after the 6 s request timeout (%.1f s)" % took)

    # ---- stop rules: expire_time, max_idle_time
    r = svc.request("POST", "/v1/tasks", {"room_id": "expires",
                                          "expire_time": 2})
    check(r.status == 201, "expire_time 2 s: 201 (%d)" % r.status)
    etid = r.json().get("task_id", "none")
    r = svc.request("POST", "/v1/tasks", {"room_id": "idles",
                                          "max_idle_time": 5})
    check(r.status == 201, "max_idle_time 5 s: 201 (%d %s)"
          % (r.status, r.text[:200]))
    itid = r.json().get("task_id", "none")
    t = svc.wait_status(etid, "stopped", 20)
    check(t.get("stop_reason") == "expired", "expire_time: stopped, expired "
          "(%s %s)" % (t.get("status"), t.get("stop_reason")))
    t = svc.wait_status(itid, "stopped", 20)
    check(t.get("stop_reason") == "idle", "max_idle_time: stopped, idle "
          "(%s %s)" % (t.get("status"), t.get("stop_reason")))

    # ---- metrics
    r = svc.request("GET", "/metrics")
    text = r.text
    check(r.status == 200 and 'roomrec_tasks{status="recording"}' in text
          and "roomrec_participants " in text
          and "roomrec_keyframe_requests_total" in text
          and "roomrec_webhook_queue_depth" in text
          and "roomrec_upload_failures_total" in text
          and 'roomrec_http_requests_total{code="201"}' in text,
          "metrics in Prometheus text")
    rtp = [ln for ln in text.splitlines()
           if ln.startswith("roomrec_rtp_bytes_received_total ")]
    check(rtp and int(rtp[0].split()[1]) > 10000,
          "metrics count the publisher's RTP bytes (%s)" % rtp)

    # ---- 21 requests within one second
    time.sleep(1.1)             # nothing within the last second
    codes = [svc.request("GET", "/v1/rules", burst=True).status
             for _ in range(21)]
    check(codes[:20] == [200] * 20 and codes[20] == 429,
          "20 requests/s per client, the 21st: 429 (%s)" % codes)
    time.sleep(1.1)
    r = svc.request("GET", "/v1/rules")
    check(r.status == 200, "the next second is fine again")

    # ---- the 101st task (rooms of earlier steps may end meanwhile:
    # create until refused, then count what is active)
    refused = None
    created = []
    for i in range(110):
        r = svc.request("POST", "/v1/tasks", {"room_id": "load-%03d" % i})
        if r.status != 201:
            refused = r
            break
        created.append(r.json()["task_id"])
    active = sum(t["status"] in ("starting", "recording", "stopping")
                 for t in svc.request("GET", "/v1/tasks").json()["tasks"])
    check(refused is not None and active == 100,
          "refused when 100 tasks are active (%d active, %d created)"
          % (active, len(created)))
    if refused is not None:
        expect_error(refused, 409, "FailedOperation.RestrictedConcurrency",
                     "the 101st task")
    deadline = time.time() + 120
    while time.time() < deadline:
        n = svc.request("GET", "/v1/tasks?status=recording").json()["total"]
        if n >= 100:
            break
        time.sleep(1.0)
    check(n >= 100, "100 rooms record at once, each its own process (%d)" % n)

    # ---- graceful shutdown: every room finalises
    code = svc.stop()
    check(code == 0, "SIGTERM: the service exits 0 (%s)" % code)
    with open(os.path.join(work, "state", "tasks", tid, "task.json")) as f:
        saved = json.load(f)
    check(saved["status"] == "stopped" and saved["stop_reason"] == "shutdown",
          "task.json: stopped by the shutdown (%s %s)"
          % (saved["status"], saved.get("stop_reason")))
    left = subprocess.run(["pgrep", "-f", "run --control-fd 3 " + work],
                          capture_output=True, text=True).stdout.split()
    check(not left, "no room process left (%s)" % left)


if __name__ == "__main__":
    run_test("service-api", run, {"task_defaults": {"format": "webm"}})
