#!/usr/bin/python3
"""`roomrec serve` when things die (docs/service.md, "Isolation and
recovery").

usage: service-recovery.py isolation | kill9

isolation: two rooms record; one room's process is killed with SIGSEGV.
  The other room records on without a gap; the service restarts the
  crashed room within seconds, its new files start with ha1_ (nothing
  overwritten) and a new publisher is recorded.
kill9: the service and every room are killed with SIGKILL mid-recording
  while the webhook receiver is down (events spooled).  The next start of
  the service restarts the interrupted task; the killed run's unfinished
  file is made playable, moved into the archive dir, reported
  (archive.failed with recovered: true and the path) and uploaded to the
  task's S3 bucket; the spooled webhooks of the killed run are delivered,
  in order, and the recording goes on.

Environment: ROOMREC, GST_PLUGIN_PATH_1_0, RR_WEBRTC_PEER.
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servicelib import Service, check, run_test  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def publisher(svc, room, seconds, color="ff0000", video="vp8", gop=60):
    return subprocess.Popen([os.environ["RR_WEBRTC_PEER"], "whip-publish",
                             "--url", svc.url + "/whip/" + room,
                             "--duration", str(seconds), "--color", color,
                             "--video", video, "--gop", str(gop)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def room_pid(work, task_id, attempt=0):
    out = subprocess.run(["pgrep", "-f", "tasks/%s/room-%d.json"
                          % (task_id, attempt)], capture_output=True,
                         text=True).stdout.split()
    return int(out[0]) if out else None


def probe(path):
    """(video frames, duration s) of a file, by FFmpeg."""
    r = subprocess.run(["ffprobe", "-v", "error", "-count_frames",
                        "-select_streams", "v:0", "-show_entries",
                        "stream=nb_read_frames:format=duration", "-of",
                        "json", path], capture_output=True, text=True)
    try:
        d = json.loads(r.stdout)
        frames = int(d["streams"][0]["nb_read_frames"])
        return frames, float(d["format"].get("duration", 0))
    except (ValueError, KeyError, IndexError):
        return 0, 0.0


def temp_mp4s(tmp):
    return [os.path.join(d, f) for d, _, fs in os.walk(tmp) for f in fs
            if f.endswith(".mp4")]


def finished_files(task):
    return [f for f in task.get("files", [])
            if f["status"] == "TRANSFER_FINISH" and not
            f["name"].endswith(".json")]


def isolation(work):
    svc = Service(work, {"task_defaults": {"format": "webm"}})
    try:
        a = svc.request("POST", "/v1/tasks", {"room_id": "a"}).json()
        b = svc.request("POST", "/v1/tasks", {"room_id": "b"}).json()
        svc.wait_status(a["task_id"], "recording")
        svc.wait_status(b["task_id"], "recording")
        pub_b = publisher(svc, "b", 12, "00ff00")
        pub_a = publisher(svc, "a", 12, "ff0000")
        time.sleep(4)
        pid = room_pid(work, a["task_id"])
        check(pid is not None, "room a runs in its own process")
        os.kill(pid, signal.SIGSEGV)
        t0 = time.time()
        ta = svc.wait(lambda t: t["status"] == "recording"
                      and t["restarts"] == 1, a["task_id"], 20)
        check(ta.get("status") == "recording" and ta.get("restarts") == 1,
              "the crashed room was restarted (%s, restarts %s)"
              % (ta.get("status"), ta.get("restarts")))
        check(time.time() - t0 < 8, "within seconds (%.1f s)"
              % (time.time() - t0))
        tb = svc.task(b["task_id"])
        check(tb["status"] == "recording" and tb["restarts"] == 0
              and len(tb["participants"]) == 1,
              "room b records on, its publisher still there")
        pub_a.wait(60)
        # a new publisher in the restarted room
        pub_a2 = publisher(svc, "a", 3, "0000ff")
        out_a2, _ = pub_a2.communicate(timeout=60)
        check(pub_a2.returncode == 0, "a new publisher in the restarted "
              "room (%s)" % out_a2[-200:])
        out_b, _ = pub_b.communicate(timeout=60)
        check(pub_b.returncode == 0, "room b's publisher was never cut off")
        for tid in (a["task_id"], b["task_id"]):
            svc.request("DELETE", "/v1/tasks/" + tid)
        ta = svc.wait_status(a["task_id"], "stopped")
        tb = svc.wait_status(b["task_id"], "stopped")

        files_b = finished_files(tb)
        check(len(files_b) == 1, "room b: one file (%s)" % tb["files"])
        if files_b:
            frames, duration = probe(files_b[0]["path"])
            check(duration > 10.5 and frames > 250,
                  "room b's file covers the whole 12 s without a gap "
                  "(%d frames, %.1f s)" % (frames, duration))
        new = [f for f in finished_files(ta) if f["name"].startswith("ha1_")]
        check(len(new) == 1, "room a after the restart: an ha1_ file (%s)"
              % [f["name"] for f in ta["files"]])
        if new:
            frames, _ = probe(new[0]["path"])
            check(frames > 50, "it decodes (%d frames)" % frames)
        rec = os.path.join(work, "archive", a["task_id"])
        names = sorted(os.listdir(rec)) if os.path.isdir(rec) else []
        check("ha1_report-%s.json" % a["task_id"] in names,
              "the restarted run's report is ha1_report-… (%s)" % names)
        crashed = [f for f in ta["files"] if not f["name"].startswith("ha1_")
                   and not f["name"].endswith(".json")]
        check(crashed and all(os.path.exists(f["path"]) for f in crashed),
              "the crashed run's file is still there (%s)"
              % [(f["name"], f["status"]) for f in crashed])
        check(svc.stop() == 0, "the service stops cleanly")
    finally:
        svc.stop()


def read_events(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(json.loads(line)["body"]) for line in f if line]


def kill9(work):
    events = os.path.join(work, "events.jsonl")
    # a port nobody listens on yet: the events are spooled
    receiver = subprocess.Popen(["/usr/bin/python3", os.path.join(
        HERE, "webhook-receiver.py"), events], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    port = int(receiver.stdout.readline().split()[1])
    receiver.stdin.close()
    receiver.wait(10)
    hook = "http://127.0.0.1:%d/hook" % port
    # an S3 bucket (tests/integration/fake-s3.py, SigV4 checked by botocore)
    s3 = subprocess.Popen(["/usr/bin/python3", os.path.join(
        HERE, "fake-s3.py"), "--root", os.path.join(work, "s3"),
        "--access-key", "AKIDROOMRECTEST", "--secret-key",
        "roomrec/test+secret"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True)
    s3_port = int(s3.stdout.readline().split()[1])
    svc = Service(work, {"task_defaults": {
        "format": "mp4", "webhooks": {"urls": [hook]},
        "storage": {"endpoint": "http://127.0.0.1:%d" % s3_port,
                    "bucket": "rec", "addressing": "path",
                    "access_key": "AKIDROOMRECTEST",
                    "secret_key": "roomrec/test+secret"}}})
    receiver = None
    try:
        t = svc.request("POST", "/v1/tasks", {"room_id": "k"}).json()
        tid = t["task_id"]
        svc.wait_status(tid, "recording")
        # one key frame in 10 s, as from a browser asked every 20 s: the
        # frames must reach the file without waiting for the next one
        pub = publisher(svc, "k", 20, "ff0000", "h264", gop=300)
        t = svc.wait(lambda t: any(f["status"] == "RECORDING"
                                   for f in t["files"]), tid, 20)
        check(any(f["status"] == "RECORDING" for f in t.get("files", [])),
              "the room records a file")
        # kill once ≥ 2 s of video are in the temp file, however slowly a
        # loaded machine (ASan, CI) records: a fixed sleep saw 0.5 s
        tmp = os.path.join(work, "archive", ".roomrec-tmp", tid)
        written = 0
        deadline = time.time() + 30
        while time.time() < deadline and written < 60:
            time.sleep(0.5)
            written = max([probe(p)[0] for p in temp_mp4s(tmp)] + [0])
        # the next key frame is frame 300: with a GOP held back before the
        # muxer, nothing would reach the file before it
        check(60 <= written < 240, "2 s of video reach the temp file long "
              "before the second key frame (%d frames)" % written)
        svc.kill_all()
        pub.terminate()
        pub.wait(60)
        left = temp_mp4s(tmp)
        check(len(left) == 1 and os.path.getsize(left[0]) > 5000,
              "the killed room left its MP4 in the temp dir (%s)"
              % [(p, os.path.getsize(p)) for p in left])
        check(read_events(events) == [], "nothing was delivered yet")

        receiver = subprocess.Popen(["/usr/bin/python3", os.path.join(
            HERE, "webhook-receiver.py"), events, str(port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        receiver.stdout.readline()
        svc.start()
        t = svc.wait(lambda t: t["status"] == "recording", tid, 30)
        check(t.get("restarts") == 1, "the interrupted task runs again "
              "(failover 1: %s, %s)" % (t.get("status"), t.get("restarts")))
        deadline = time.time() + 30
        recovered = []
        while time.time() < deadline and not recovered:
            recovered = [e for e in read_events(events)
                         if e.get("type") == "archive.failed"
                         and (e.get("data") or e).get("recovered")]
            time.sleep(0.3)
        check(len(recovered) == 1, "archive.failed with recovered: true "
              "(%s)" % [e.get("type") for e in read_events(events)])
        if recovered:
            data = recovered[0].get("data") or recovered[0]
            path = data.get("file_path") or data.get("path")
            check(path and path.startswith(os.path.join(work, "archive") +
                                           os.sep) and
                  not path.startswith(os.path.join(work, "archive",
                                                   ".roomrec-tmp")),
                  "…with the path of the recovered file in the archive dir "
                  "(%s)" % path)
            # uploaded by the restarted room (then deleted locally)
            key = os.path.relpath(path, os.path.join(work, "archive")) \
                if path else ""
            obj = os.path.join(work, "s3", "rec", key)
            deadline = time.time() + 30
            while time.time() < deadline and not os.path.exists(obj):
                time.sleep(0.2)
            check(os.path.exists(obj), "the recovered file was uploaded "
                  "(%s)" % key)
            if os.path.exists(obj):
                path = obj
            if path and os.path.exists(path):
                frames, duration = probe(path)
                # ≥ 2 s recorded in ≤ 1 s fragments: at least the
                # first 1.5 s survive the kill
                check(frames >= 45, "the recovered file plays (%d frames, "
                      "%.1f s)" % (frames, duration))
        types = [e.get("type") for e in read_events(events)]
        first = types.index("recording.started") if \
            "recording.started" in types else -1
        check(first == 0 and "archive.started" in types,
              "the killed run's spooled events came first, in order (%s)"
              % types)
        fo = [e for e in read_events(events) if e.get("type") == "failover"]
        check(len(fo) == 1 and (fo[0].get("data") or fo[0]).get("failover")
              == 1, "a failover event (TRTC 306) for the restart (%s)" % fo)
        ids = [e.get("id") or e.get("event_id") for e in read_events(events)]
        check(len(ids) == len(set(ids)), "each event once")
        svc.request("DELETE", "/v1/tasks/" + tid)
        t = svc.wait_status(tid, "stopped", 60)
        check(t.get("status") == "stopped", "the task stops")
        check(svc.stop() == 0, "the service stops cleanly")
    finally:
        svc.stop()
        if receiver:
            receiver.stdin.close()
            receiver.wait(10)
        s3.stdin.close()
        s3.wait(10)


if __name__ == "__main__":
    mode = sys.argv[1]
    run_test("service-" + mode, {"isolation": isolation,
                                 "kill9": kill9}[mode])
