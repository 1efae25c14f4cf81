#!/usr/bin/python3
"""roomrec launcher benchmark (issue: room launcher with WebRTC ingest).

Measures, on this machine, with `roomrec run` and the test publisher
tests/tools/rr-webrtc-peer (real ICE, DTLS, SRTP over the host's address):

  1. WHIP POST -> 201 latency: sequential POSTs of a browser-like offer
     (ICE never connects; the answer needs gathering, the DTLS certificate
     exists already), DELETE after each.
  2. ICE connected -> first key frame in the archive: the publisher prints
     "ice-connected", the launcher "file started" when the muxer has the
     first key frame (the publisher's own key frames are 10 s apart, so it
     is the launcher's key-frame request that makes it).
  3. CPU per participant: N concurrent publishers of H.264 (640x360,
     ~1 Mbit/s) + Opus for a fixed time; CPU seconds of the launcher
     process only (utime+stime from /proc), per participant and media
     minute.  The publishers encode in this same 2-core machine, so N is
     bounded by their CPU, not the launcher's.

usage: bench/launcher.py [--build build] [--ns 1,4,8] [--seconds 20]
                        [--size 360p|720p]
Results: printed as a Markdown table (copy into docs/benchmarks.md).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


class Room:
    def __init__(self, build, workdir, fmt="mp4"):
        cfg = {"room_id": "bench", "recording_id": "BENCH",
               "archive_dir": os.path.join(workdir, "archive"),
               "format": fmt, "media_timeout": 5,
               "inputs": [{"type": "whip", "listen": "127.0.0.1:0",
                           "max_sessions": 1000}]}
        path = os.path.join(workdir, "room.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, GST_PLUGIN_PATH_1_0=os.path.join(build, "gst"),
                   GST_REGISTRY_1_0=os.path.join(workdir, "registry.bin"))
        self.proc = subprocess.Popen(
            [os.path.join(build, "tools", "roomrec"), "run", path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            text=True)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        found = self.wait_for(r"WHIP endpoint (http://\S+)", 15)
        if not found:
            sys.exit("roomrec did not start:\n" +
                     "".join(line for _, line in self.lines))
        self.url = found[1].group(1)
        self.port = int(re.search(r":(\d+)/", self.url).group(1))

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), line))
                self.cond.notify_all()

    def wait_for(self, pattern, timeout, after=0):
        end = time.monotonic() + timeout
        rx = re.compile(pattern)
        with self.cond:
            while True:
                for t, line in self.lines[after:]:
                    m = rx.search(line)
                    if m:
                        return t, m
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def stop(self):
        self.proc.send_signal(2)
        try:
            self.proc.wait(90)
        except subprocess.TimeoutExpired:
            print("roomrec did not stop in 90 s; its last lines:")
            print("".join(line for _, line in self.lines[-15:]))
            self.proc.kill()


def post_latency(room, n=20):
    sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        "wp", os.path.join(REPO, "tests", "integration", "whip-protocol.py"))
    wp = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wp)
    times = []
    for _ in range(n):
        conn = http.client.HTTPConnection("127.0.0.1", room.port, timeout=15)
        t0 = time.monotonic()
        conn.request("POST", "/whip", body=wp.offer(video_codec="H264"),
                     headers={"Content-Type": "application/sdp"})
        r = conn.getresponse()
        r.read()
        times.append((time.monotonic() - t0) * 1000)
        loc = r.headers.get("Location")
        conn.request("DELETE", loc)
        conn.getresponse().read()
        conn.close()
    return times


# videotestsrc snow: noise that costs the whole bitrate (a ball pattern
# comes out at ~0.2 Mbit/s whatever the setting)
SIZES = {"360p": ("640", "360", "1000"), "720p": ("1280", "720", "2500")}


def publish(build, url, seconds, name, size="360p"):
    w, h, kbits = SIZES[size]
    return subprocess.Popen(
        [os.path.join(build, "tests", "tools", "rr-webrtc-peer"),
         "whip-publish", "--url", url + "?user_id=" + name, "--video", "h264",
         "--audio", "opus", "--width", w, "--height", h, "--bitrate", kbits,
         "--pattern", "snow", "--gop", "300", "--duration", str(seconds)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=dict(os.environ,
                 GST_PLUGIN_PATH_1_0=os.path.join(build, "gst")))


def first_keyframe(build, room):
    """Seconds from the publisher's ICE connected to the launcher's first
    key frame in the file."""
    after = len(room.lines)
    pub = publish(build, room.url, 4, "kf")
    t_ice = None
    for line in pub.stdout:
        if "ice-connected" in line and t_ice is None:
            t_ice = time.monotonic()
    pub.wait()
    found = room.wait_for(r"file started", 10, after)
    if not found or t_ice is None:
        return None
    return found[0] - t_ice


def concurrent(build, room, n, seconds, size):
    pubs = [publish(build, room.url, seconds, "p%d" % i, size)
            for i in range(n)]
    time.sleep(3)          # connected, recording
    c0, t0 = cpu_seconds(room.proc.pid), time.monotonic()
    time.sleep(seconds - 5)
    c1, t1 = cpu_seconds(room.proc.pid), time.monotonic()
    ok = sum(1 for p in pubs if p.wait(60) == 0)
    per_min = (c1 - c0) / n / ((t1 - t0) / 60)
    return ok, (c1 - c0) / (t1 - t0), per_min


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--ns", default="1,4,8")
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--size", choices=sorted(SIZES), default="360p",
                    help="publishers' H.264: 360p ~1 Mbit/s, 720p ~2.5 Mbit/s")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="roomrec-bench-")
    room = Room(args.build, work)
    try:
        lat = post_latency(room)
        kf = [first_keyframe(args.build, room) for _ in range(3)]
        rows = []
        for n in [int(x) for x in args.ns.split(",")]:
            rows.append((n,) + concurrent(args.build, room, n, args.seconds,
                                          args.size))
            time.sleep(7)  # the sessions end (DELETE), files finish
    finally:
        room.stop()
    print("| measure | result |\n|---|---|")
    print("| WHIP POST → 201, 20 sequential sessions | median %.0f ms, max %.0f ms |"
          % (statistics.median(lat), max(lat)))
    kfs = [k for k in kf if k is not None]
    print("| ICE connected → first key frame in the file (3 runs) | %s |"
          % (", ".join("%.2f s" % k for k in kfs) or "not measured"))
    print()
    w, h, kbits = SIZES[args.size]
    print("| publishers (H.264 %sx%s %s kbit/s + Opus) | connected and recorded | launcher CPU (cores) | launcher CPU s per participant per media minute |" % (w, h, kbits))
    print("|---|---|---|---|")
    for n, ok, cores, per_min in rows:
        print("| %d | %d | %.2f | %.2f |" % (n, ok, cores, per_min))


if __name__ == "__main__":
    main()
