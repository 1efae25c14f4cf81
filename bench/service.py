#!/usr/bin/python3
"""roomrec serve benchmark (issue: control service).

Measures, on this machine, side by side in one run:

  1. API latency under load: C concurrent keep-alive clients GET a task
     and the task list for D seconds (20 tasks exist; the service's rate
     limit raised for the run); requests/s, p50, p99.  Also POST /v1/tasks
     (a room process is spawned) and DELETE, one at a time.
  2. Overhead per room: N rooms, each with one publisher (rr-webrtc-peer,
     VP8 320x240 + Opus) for S seconds, recorded through `roomrec serve`
     and, beside it, by N bare `roomrec run` processes; CPU seconds of the
     recorder side (service + its rooms vs the bare launchers) and the
     service process's own memory.
  3. Stop -> archive.available: (a) through the service, a room with a
     publisher for 60 s (WebM, MP4): DELETE sent -> the archive.available
     webhook received; (b) one hour of media (bench/work/source.mkv, 720p
     H.264 at 2.5 Mbit/s + Opus, looped 60 times by FFmpeg into
     bench/work/hour-3600.mkv, once) into splitmuxrec, non-live: EOS
     at its sink pads -> its splitmuxrec-archive-available message (MP4:
     the fragmented file rewritten as a normal MP4; WebM: cues written).

usage: bench/service.py [--build build] [--quick]
   --quick: 10 s per room, 20 s instead of 60 s, no one-hour file
Results: printed as Markdown (copy into docs/benchmarks.md).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import http.client

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))
from servicelib import Service, TOKEN  # noqa: E402

CLK = os.sysconf("SC_CLK_TCK")


def cpu_of(pid, children=True):
    """utime+stime (+ reaped children's) of @pid, seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    t = int(fields[11]) + int(fields[12])
    if children:
        t += int(fields[13]) + int(fields[14])
    return t / CLK


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


# ------------------------------------------------------------------ 1

def api_latency(work, seconds, clients):
    os.makedirs(work)
    svc = Service(work, {"requests_per_second": 100000,
                         "task_defaults": {"format": "webm"}})
    try:
        ids = []
        create = []
        for i in range(20):
            t0 = time.perf_counter()
            r = svc.request("POST", "/v1/tasks", {"room_id": "lat-%d" % i},
                            burst=True)
            create.append((time.perf_counter() - t0) * 1000)
            ids.append(r.json()["task_id"])
        for tid in ids:
            svc.wait_status(tid, "recording")
        lat = []
        lock = threading.Lock()
        stop = time.time() + seconds

        def client(n):
            conn = http.client.HTTPConnection(svc.host, svc.port, timeout=10)
            mine = []
            i = 0
            while time.time() < stop:
                path = "/v1/tasks" if i % 2 else "/v1/tasks/" + ids[
                    (n + i) % len(ids)]
                t0 = time.perf_counter()
                conn.request("GET", path, headers={
                    "Authorization": "Bearer " + TOKEN})
                resp = conn.getresponse()
                resp.read()
                mine.append((time.perf_counter() - t0) * 1000)
                i += 1
            with lock:
                lat.extend(mine)

        cpu0 = cpu_of(svc.proc.pid, children=False)
        threads = [threading.Thread(target=client, args=(n,))
                   for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu = cpu_of(svc.proc.pid, children=False) - cpu0
        delete = []
        for tid in ids:
            t0 = time.perf_counter()
            svc.request("DELETE", "/v1/tasks/" + tid, burst=True)
            delete.append((time.perf_counter() - t0) * 1000)
        return {"requests": len(lat), "rps": len(lat) / seconds,
                "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99),
                "service_cpu_s": cpu, "clients": clients,
                "create_p50_ms": pct(create, 50),
                "create_p99_ms": pct(create, 99),
                "delete_p50_ms": pct(delete, 50)}
    finally:
        svc.stop()


# ------------------------------------------------------------------ 2

def publishers(url_of, n, seconds):
    peer = os.environ["RR_WEBRTC_PEER"]
    return [subprocess.Popen([peer, "whip-publish", "--url", url_of(i),
                              "--duration", str(seconds)],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for i in range(n)]


def overhead(work, rooms, seconds):
    out = {}
    # through the service
    os.makedirs(os.path.join(work, "svc"))
    svc = Service(os.path.join(work, "svc"), {
        "task_defaults": {"format": "webm"}})
    try:
        ids = [svc.request("POST", "/v1/tasks", {"room_id": "o%d" % i})
               .json()["task_id"] for i in range(rooms)]
        for tid in ids:
            svc.wait_status(tid, "recording")
        cpu0 = cpu_of(svc.proc.pid)
        pubs = publishers(lambda i: "%s/whip/o%d" % (svc.url, i), rooms,
                          seconds)
        time.sleep(seconds / 2)
        own_rss = rss_kb(svc.proc.pid)
        kids = subprocess.run(["pgrep", "-P", str(svc.proc.pid)],
                              capture_output=True, text=True).stdout.split()
        rooms_rss = sum(rss_kb(int(p)) for p in kids)
        live = sum(cpu_of(int(p), children=False) for p in kids)
        for p in pubs:
            p.wait()
        for tid in ids:
            svc.request("DELETE", "/v1/tasks/" + tid)
        for tid in ids:
            svc.wait_status(tid, "stopped", 60)
        total = cpu_of(svc.proc.pid) - cpu0
        service_only = cpu_of(svc.proc.pid, children=False)
        out["service"] = {"cpu_s": total, "service_rss_kb": own_rss,
                          "rooms_rss_kb": rooms_rss,
                          "service_process_cpu_s": service_only,
                          "rooms_cpu_at_half_s": live}
    finally:
        svc.stop()

    # bare launchers
    procs = []
    bare = os.path.join(work, "bare")
    os.makedirs(bare)
    ports = []
    for i in range(rooms):
        port = 20000 + os.getpid() % 10000 + i
        ports.append(port)
        cfg = os.path.join(bare, "room%d.json" % i)
        with open(cfg, "w") as f:
            json.dump({"room_id": "b%d" % i, "archive_dir": bare,
                       "format": "webm", "inputs": [
                           {"type": "whip", "listen": "127.0.0.1:%d" % port,
                            "path": "/whip/b%d" % i}]}, f)
        procs.append(subprocess.Popen([os.environ["ROOMREC"], "run", cfg],
                                      stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
    time.sleep(2)
    pubs = publishers(lambda i: "http://127.0.0.1:%d/whip/b%d"
                      % (ports[i], i), rooms, seconds)
    time.sleep(seconds / 2)
    bare_rss = sum(rss_kb(p.pid) for p in procs)
    for p in pubs:
        p.wait()
    total = 0.0
    for p in procs:
        p.send_signal(signal.SIGINT)
    for p in procs:
        _, status, usage = os.wait4(p.pid, 0)
        total += usage.ru_utime + usage.ru_stime
    out["bare"] = {"cpu_s": total, "rss_kb": bare_rss}
    out["rooms"] = rooms
    out["seconds"] = seconds
    return out


# ------------------------------------------------------------------ 3

def stop_to_available_service(work, seconds, fmt):
    os.makedirs(work, exist_ok=True)
    events = os.path.join(work, "events-%s.jsonl" % fmt)
    recv = subprocess.Popen(["/usr/bin/python3", "-u", "-c", r"""
import http.server, sys, time, json, threading
out = open(sys.argv[1], "a")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        out.write(json.dumps({"t": time.time(), "type":
            json.loads(body).get("type")}) + "\n"); out.flush()
        self.send_response(200); self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
threading.Thread(target=s.serve_forever, daemon=True).start()
sys.stdin.read()
""", events], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = int(recv.stdout.readline())
    d = os.path.join(work, "stop-" + fmt)
    os.makedirs(d, exist_ok=True)
    svc = Service(d, {"task_defaults": {"format": fmt, "webhooks": {
        "urls": ["http://127.0.0.1:%d/" % port]}}})
    try:
        tid = svc.request("POST", "/v1/tasks", {"room_id": "s"}).json()[
            "task_id"]
        svc.wait_status(tid, "recording")
        video = "vp8" if fmt == "webm" else "h264"
        pub = subprocess.Popen([os.environ["RR_WEBRTC_PEER"], "whip-publish",
                                "--url", svc.url + "/whip/s", "--duration",
                                "0", "--video", video],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        time.sleep(seconds)
        t0 = time.time()
        svc.request("DELETE", "/v1/tasks/" + tid)
        svc.wait_status(tid, "stopped", 120)
        pub.send_signal(signal.SIGINT)
        pub.wait()
        deadline = time.time() + 10
        got = None
        while time.time() < deadline and got is None:
            with open(events) as f:
                for line in f:
                    e = json.loads(line)
                    if e["type"] == "archive.available":
                        got = e["t"]
            time.sleep(0.1)
        return (got - t0) * 1000 if got else None
    finally:
        svc.stop()
        recv.stdin.close()
        recv.wait()


def one_hour_source(work, seconds):
    """bench/work/source.mkv (bench/prepare.sh: 60 s 720p30 H.264 at
    2.5 Mbit/s + Opus) looped by FFmpeg without re-encoding."""
    src = os.path.join(HERE, "work", "source.mkv")
    path = os.path.join(HERE, "work", "hour-%d.mkv" % seconds)
    if os.path.exists(path):
        return path
    if not os.path.exists(src):
        subprocess.run([os.path.join(HERE, "prepare.sh")], check=True)
    subprocess.run(["ffmpeg", "-v", "error", "-stream_loop",
                    str(seconds // 60 - 1), "-i", src, "-c", "copy",
                    "-y", path + ".part.mkv"], check=True)
    os.rename(path + ".part.mkv", path)
    return path


def stop_to_available_file(work, source, fmt, flushed=False):
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    out = os.path.join(work, "hour-%s-%s" % (fmt, "flushed" if flushed
                                             else "dirty"))
    os.makedirs(out)
    p = Gst.parse_launch(
        "filesrc location=%s ! matroskademux name=d "
        "d.video_0 ! queue ! h264parse ! r. "
        "d.audio_0 ! queue ! opusparse ! r. "
        "splitmuxrec name=r archive-dir=%s recording-id=h connection-id=c "
        "format=%s" % (source, out, fmt))
    r = p.get_by_name("r")
    marks = {}

    def on_eos(pad, info):
        ev = info.get_event()
        if ev and ev.type == Gst.EventType.EOS:
            if flushed and "synced" not in marks:
                # as in a live recording, where the kernel has written the
                # data long before the stop (dirty pages expire in 30 s)
                os.sync()
                marks["synced"] = True
            marks.setdefault("eos", []).append(time.perf_counter())
        return Gst.PadProbeReturn.OK

    for pad in r.sinkpads:
        pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_eos)

    def pad_added(el, pad):
        if pad.direction == Gst.PadDirection.SINK:
            pad.add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_eos)
    r.connect("pad-added", pad_added)
    bus = p.get_bus()
    p.set_state(Gst.State.PLAYING)
    t_start = time.perf_counter()
    available = None
    while True:
        msg = bus.timed_pop(Gst.SECOND * 600)
        if msg is None:
            break
        if msg.type == Gst.MessageType.ELEMENT and \
                msg.get_structure().get_name() == \
                "splitmuxrec-archive-available":
            available = time.perf_counter()
        if msg.type in (Gst.MessageType.EOS, Gst.MessageType.ERROR):
            break
    p.set_state(Gst.State.NULL)
    size = sum(os.path.getsize(os.path.join(dp, f))
               for dp, _, fs in os.walk(out) for f in fs
               if f.endswith("." + fmt))
    eos = max(marks.get("eos", [t_start]))
    return {"ms": (available - eos) * 1000 if available else None,
            "size_mb": size / 1e6,
            "mux_s": eos - t_start}


def one_hour(work):
    src = one_hour_source(work, 3600)
    for fmt in ("mkv", "mp4"):
        for flushed in (True, False):
            r = stop_to_available_file(work, src, fmt, flushed)
            print("| 1 h, splitmuxrec, non-live (EOS -> archive-available, "
                  "%.0f MB muxed in %.0f s; page cache %s) | %s | %s | "
                  "< 300 ms |" % (r["size_mb"], r["mux_s"], "written out "
                                  "first, as live" if flushed else
                                  "still dirty", fmt, "%.0f ms" % r["ms"]
                                  if r["ms"] is not None else "none"))
            shutil.rmtree(os.path.join(work, "hour-%s-%s" % (
                fmt, "flushed" if flushed else "dirty")), ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only-hour", action="store_true",
                    help="only the one-hour stop -> archive-available")
    args = ap.parse_args()
    build = os.path.join(REPO, args.build)
    os.environ.setdefault("ROOMREC", os.path.join(build, "tools", "roomrec"))
    os.environ.setdefault("RR_WEBRTC_PEER", os.path.join(
        build, "tests", "tools", "rr-webrtc-peer"))
    os.environ["GST_PLUGIN_PATH_1_0"] = os.path.join(build, "gst")
    os.environ["GST_REGISTRY_1_0"] = os.path.join(HERE, "work",
                                                  "registry-service.bin")
    os.makedirs(os.path.join(HERE, "work"), exist_ok=True)
    work = tempfile.mkdtemp(prefix="service-", dir=os.path.join(HERE, "work"))
    room_s = 10 if args.quick else 30
    stop_s = 20 if args.quick else 60
    try:
        if args.only_hour:
            one_hour(work)
            return
        print("## roomrec serve (issue 6)\n")
        a = api_latency(os.path.join(work, "api"), 5 if args.quick else 15,
                        4)
        print("### API latency (%d keep-alive clients, GET task / task list, "
              "20 tasks)\n" % a["clients"])
        print("| requests/s | p50 | p99 | service CPU | POST /v1/tasks p50 "
              "/ p99 | DELETE p50 |\n|---|---|---|---|---|---|")
        print("| %.0f | %.2f ms | %.2f ms | %.2f s for %d requests | "
              "%.1f / %.1f ms | %.1f ms |\n" % (
                  a["rps"], a["p50_ms"], a["p99_ms"], a["service_cpu_s"],
                  a["requests"], a["create_p50_ms"], a["create_p99_ms"],
                  a["delete_p50_ms"]))
        o = overhead(os.path.join(work, "overhead"), 4, room_s)
        s, b = o["service"], o["bare"]
        print("### Overhead per room (%d rooms, 1 publisher each, %d s)\n"
              % (o["rooms"], o["seconds"]))
        print("| | CPU s (all processes) | memory |\n|---|---|---|")
        print("| bare `roomrec run` x %d | %.2f | %.0f MiB (%d launchers) |"
              % (o["rooms"], b["cpu_s"], b["rss_kb"] / 1024, o["rooms"]))
        print("| `roomrec serve` + %d rooms | %.2f | %.0f MiB rooms + %.0f MiB "
              "service |" % (o["rooms"], s["cpu_s"], s["rooms_rss_kb"] / 1024,
                             s["service_rss_kb"] / 1024))
        print("| ratio service / bare | **%.2fx** | **%.2fx** |\n"
              % (s["cpu_s"] / b["cpu_s"], (s["rooms_rss_kb"] +
                                           s["service_rss_kb"]) / b["rss_kb"]))
        print("Service process alone: %.2f CPU s for the whole run "
              "(%.3f s per room-minute).\n" % (
                  s["service_process_cpu_s"], s["service_process_cpu_s"]
                  / (o["rooms"] * o["seconds"] / 60)))
        print("### Stop -> archive.available\n")
        print("| recording | format | time | target |\n|---|---|---|---|")
        for fmt in ("webm", "mp4"):
            ms = stop_to_available_service(os.path.join(work, "stop"),
                                           stop_s, fmt)
            print("| %d s through the service (DELETE -> webhook) | %s | "
                  "%s | < 300 ms |" % (stop_s, fmt, "%.0f ms" % ms if ms
                                       else "not received"))
        if not args.quick:
            one_hour(work)
        print()
    finally:
        if not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
