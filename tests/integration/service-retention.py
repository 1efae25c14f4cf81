#!/usr/bin/env python3
"""`roomrec serve` forgets ended tasks after task_retention_s: they leave
the API and the state dir, their recordings stay; a task whose webhooks
are still spooled is kept; the counters of /metrics never go back.
Webhooks a stopped room could not deliver (its receiver was down) are
delivered later by `roomrec deliver`, started by the service."""
import http.server
import json
import os
import re
import socket
import threading
import time

from servicelib import check, run_test

RETENTION_S = 3


def metric(svc, name):
    text = svc.request("GET", "/metrics").text
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    return int(m.group(1)) if m else None


def stopped_task(svc, room, extra=None):
    body = {"room_id": room}
    body.update(extra or {})
    r = svc.request("POST", "/v1/tasks", body)
    check(r.status == 201, "task for %s created (%d %s)" % (room, r.status,
                                                           r.text))
    task_id = r.json().get("task_id", "")
    check(svc.wait_status(task_id, "recording").get("status") == "recording",
          "%s recording" % room)
    r = svc.request("DELETE", "/v1/tasks/" + task_id)
    check(r.status in (200, 202), "task of %s deleted (%d)" % (room, r.status))
    t = svc.wait_status(task_id, "stopped", timeout=40)
    check(t.get("status") == "stopped", "%s stopped: %s" % (room, t))
    return task_id


class FlakyReceiver(http.server.BaseHTTPRequestHandler):
    """500 to the first webhook, 200 to the others: a failure counted,
    then everything delivered."""
    calls = 0

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        FlakyReceiver.calls += 1
        self.send_response(500 if FlakyReceiver.calls == 1 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class Collector(http.server.BaseHTTPRequestHandler):
    events = []

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Collector.events.append(self.headers.get("Roomrec-Event-Type"))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def delivered_later(svc, work):
    """The receiver is down when the room stops, up again afterwards."""
    port = free_port()
    late = stopped_task(svc, "late", {
        "webhooks": {"urls": ["http://127.0.0.1:%d/hooks" % port]}})
    stopped_at = time.time()
    check(Collector.events == [], "nothing delivered while the receiver "
          "is down")
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                               Collector)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    deadline = time.time() + 60
    while time.time() < deadline and \
            "recording.report" not in Collector.events:
        time.sleep(0.2)
    receiver.shutdown()
    receiver.server_close()
    check("recording.report" in Collector.events,
          "the spooled events are delivered by the service after the stop "
          "(%s, %.1f s after the stop)" % (Collector.events,
                                          time.time() - stopped_at))
    check(len(Collector.events) == len(set(Collector.events)),
          "each once: %s" % Collector.events)
    log = os.path.join(work, "state", "tasks", late, "deliver.log")
    deadline = time.time() + 10
    text = ""
    while time.time() < deadline:
        with open(log) as f:
            text = f.read()
        if "everything delivered" in text:
            break
        time.sleep(0.2)
    check("everything delivered" in text, "roomrec deliver says so: %r"
          % text[-300:])
    return late


def body(svc, work):
    tasks_dir = os.path.join(work, "state", "tasks")
    late = delivered_later(svc, work)
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                               FlakyReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook = "http://127.0.0.1:%d/hooks" % receiver.server_address[1]
    plain = stopped_task(svc, "plain", {"webhooks": {"urls": [hook]}})
    stopped_at = time.time()
    check(os.path.isdir(os.path.join(tasks_dir, plain)),
          "the state dir of an ended task is there at first")
    check(svc.request("GET", "/v1/tasks/" + plain).status == 200,
          "an ended task is described at first")
    # nobody listens there: its events stay in the spool after the stop
    spooled = stopped_task(svc, "spooled", {
        "webhooks": {"urls": ["http://127.0.0.1:9/hooks"]}})
    spooled_stopped_at = time.time()
    failures_before = metric(svc, "roomrec_webhook_failures_total")
    check(FlakyReceiver.calls >= 2 and failures_before >= 1,
          "the first task's webhooks failed once (%s), then were delivered "
          "(%d requests)" % (failures_before, FlakyReceiver.calls))

    # the sweep runs every min(60, task_retention_s) seconds
    deadline = stopped_at + RETENTION_S * 3 + 5
    while time.time() < deadline:
        if svc.request("GET", "/v1/tasks/" + plain).status == 404:
            break
        time.sleep(0.5)
    gone_after = time.time() - stopped_at
    r = svc.request("GET", "/v1/tasks/" + plain)
    check(r.status == 404, "the ended task is forgotten after the retention "
          "(%d after %.1f s)" % (r.status, gone_after))
    check(gone_after >= RETENTION_S - 0.5,
          "not before task_retention_s (%.1f s)" % gone_after)
    check(not os.path.exists(os.path.join(tasks_dir, plain)),
          "its state dir is removed")
    # past its retention and two sweeps
    time.sleep(max(0, spooled_stopped_at + 3 * RETENTION_S + 0.5 -
                   time.time()))
    ids = [t.get("task_id") for t in
           svc.request("GET", "/v1/tasks").json().get("tasks", [])]
    check(plain not in ids, "nor listed: %s" % ids)
    check(late not in ids, "a task whose leftovers were delivered later is "
          "forgotten too")
    check(spooled in ids, "the task with spooled webhooks is kept past "
          "its retention")
    check(os.path.isdir(os.path.join(tasks_dir, spooled, "webhooks")),
          "with its spool")
    failures_after = metric(svc, "roomrec_webhook_failures_total")
    check(failures_after is not None and failures_after >= failures_before,
          "counters of /metrics do not go back when their task is "
          "forgotten (%s, then %s)" % (failures_before, failures_after))
    with open(svc.log) as f:
        check(re.search(r"forgotten \(ended more than", f.read()),
              "the service logs what it forgot")

    receiver.shutdown()

    # a restarted service forgets what expired while it was down, once
    # nothing is left to deliver
    svc.stop()
    with open(os.path.join(tasks_dir, spooled, "task.json")) as f:
        check(json.load(f).get("status") == "stopped",
              "task.json says stopped")
    spool_dir = os.path.join(tasks_dir, spooled, "webhooks")
    for name in os.listdir(spool_dir):
        for f in os.listdir(os.path.join(spool_dir, name)):
            os.unlink(os.path.join(spool_dir, name, f))
    uploads = os.path.join(tasks_dir, spooled, "uploads")
    os.makedirs(uploads, exist_ok=True)
    state = os.path.join(uploads, "uploads-%s.json" % spooled)

    def upload_state(status):
        with open(state, "w") as f:
            json.dump({"files": [{"path": "/nowhere/a.mp4", "key": "a.mp4",
                                  "status": status, "size": 1}]}, f)

    upload_state("TRANSFER_READY")
    svc.start()
    check(svc.request("GET", "/v1/tasks/" + spooled).status == 200,
          "a task with an upload not yet transferred is kept")
    svc.stop()
    upload_state("TRANSFER_FINISH")
    svc.start()
    r = svc.request("GET", "/v1/tasks/" + spooled)
    check(r.status == 404, "once delivered (spool emptied, upload "
          "finished), a restarted service forgets it at once (%d)" % r.status)
    check(not os.path.exists(os.path.join(tasks_dir, spooled)),
          "and removes its state dir")
    check(os.path.exists(os.path.join(work, "archive", spooled)),
          "but not its archive dir")

if __name__ == "__main__":
    run_test("service-retention", body,
             {"task_retention_s": RETENTION_S})
