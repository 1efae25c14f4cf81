#!/usr/bin/python3
"""TRTC Modify of a running task through `roomrec serve`: a mixed room's
layout changes while recording, then its subscribe list.

Two publishers (red and blue) are composited in the floating layout with
red as the main (full-canvas) participant.  A PATCH makes blue the main
participant: the composite shows red full-canvas before the change and
blue after it.  A second PATCH blocks red: red's participant ends, blue
records on.

Environment: ROOMREC, GST_PLUGIN_PATH_1_0, RR_WEBRTC_PEER.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servicelib import check, run_test  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENS = {"red": "red-token-0123456789ab", "blue": "blue-token-0123456789a"}


def publish(svc, user, color, seconds):
    return subprocess.Popen([os.environ["RR_WEBRTC_PEER"], "whip-publish",
                             "--url", svc.url + "/whip/m", "--token",
                             TOKENS[user], "--video", "vp8", "--audio",
                             "none", "--color", color, "--duration",
                             str(seconds)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def colour_at(path, at, point, expect):
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "mixcheck.py"),
                        "colours", path, "--at", "%.2f" % at, "--points",
                        point, "--expect", expect], capture_output=True,
                       text=True)
    return r.returncode == 0, r.stderr.strip()


def run(svc, work):
    body = {"room_id": "m", "mode": "mixed",
            "mix": {"format": "mp4", "width": 640, "height": 360,
                    "fps": 30, "layout": "floating",
                    "main_participant": "red"},
            "participants": [{"user_id": u, "token": t}
                             for u, t in TOKENS.items()],
            "media_timeout": 3}
    r = svc.request("POST", "/v1/tasks", body)
    check(r.status == 201, "mixed task: 201 (%d %s)" % (r.status, r.text[:300]))
    tid = r.json().get("task_id")
    svc.wait_status(tid, "recording")
    red = publish(svc, "red", "ff0000", 14)
    blue = publish(svc, "blue", "0000ff", 14)
    t = svc.wait(lambda t: len(t["participants"]) == 2, tid, 20)
    check(len(t.get("participants", [])) == 2, "both participants joined")
    time.sleep(4)
    changed_at = time.time()
    r = svc.request("PATCH", "/v1/tasks/" + tid,
                    {"mix": {"layout": "floating",
                             "main_participant": "blue"}})
    check(r.status == 200 and r.json()["config"]["mix"].get(
        "main_participant") == "blue" and r.json()["config"]["mix"].get(
        "width") == 640, "PATCH mix: 200, layout replaced, canvas kept "
        "(%d %s)" % (r.status, r.text[:200]))
    time.sleep(4)
    r = svc.request("PATCH", "/v1/tasks/" + tid,
                    {"subscribe": {"block": ["red"]}})
    check(r.status == 200, "PATCH subscribe: 200 (%d)" % r.status)
    t = svc.wait(lambda t: [p.get("user_id") for p in t["participants"]]
                 == ["blue"], tid, 10)
    check([p.get("user_id") for p in t.get("participants", [])] == ["blue"],
          "red is no longer recorded (%s)" % t.get("participants"))
    red.wait(60)
    blue.wait(60)
    svc.request("DELETE", "/v1/tasks/" + tid)
    t = svc.wait_status(tid, "stopped", 60)
    mix = [f for f in t.get("files", []) if f["name"].endswith(".mp4")]
    check(len(mix) == 1, "one composite MP4 (%s)" % t.get("files"))
    if not mix:
        return
    path, begin = mix[0]["path"], mix[0]["begin_timestamp"] / 1000.0
    change = changed_at - begin
    # (320, 100): on the main participant's picture, above the small tiles
    ok, why = colour_at(path, change - 1.5, "320,100", "ff0000")
    check(ok, "before the change red is the main participant (%.1f s) %s"
          % (change - 1.5, why))
    ok, why = colour_at(path, change + 1.5, "320,100", "0000ff")
    check(ok, "after it blue is (%.1f s) %s" % (change + 1.5, why))


if __name__ == "__main__":
    run_test("service-modify", run, {})
