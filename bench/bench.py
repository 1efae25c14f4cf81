#!/usr/bin/python3
"""roomrec RTP recording benchmark (driven by bench/run.sh).

Part 1, side by side: the same RTP packets (bench/prepare.sh) replayed over
127.0.0.1 to three receivers, each one stream:
  rtparchivesink  gst-launch-1.0 -e udpsrc ! rtparchivesink format=mp4
  baseline        gst-launch-1.0 -e udpsrc ! rtpjitterbuffer ! rtph264depay
                  ! h264parse ! mp4mux fragment-duration=1000 ! filesink
  ffmpeg          ffmpeg -protocol_whitelist file,udp,rtp -i x.sdp -c copy
for video only and for video + audio (Opus: + rtpjitterbuffer !
rtpopusdepay ! opusparse into the same mp4mux), at real time (all three
receivers at once, fed by one sender) and as fast as possible (one receiver
at a time; the gst receivers then run in recv_many.py with every
rtpjitterbuffer in mode=none, see receiver_cmd()).  Receiver CPU is read from /proc/PID/stat just before the first
packet and after the last one was processed; peak RSS and whole-process CPU
come from wait4().  Every output file is counted with ffprobe.

Part 2, concurrency: one process (recv_many.py) recording N streams (video +
audio, one rtparchivesink each) at real time for N = 1, 25, 50, ... until
packets are lost (>= 0.1 %) or the two cores are busy.
"""
import argparse
import concurrent.futures
import datetime
import glob
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
TICK = os.sysconf("SC_CLK_TCK")
VCAPS = ("application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,"
         "payload=96")
ACAPS = ("application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,"
         "payload=111")
VIDEO_BUF = 2 * 1024 * 1024     # SO_RCVBUF of every video socket
AUDIO_BUF = 256 * 1024
# as fast as possible: 60 s of media arrive in ~0.2 s; a receiver thread
# that blocks for a few ms (rtparchivesink's audio waits for the video GOP
# in splitmuxsink) must not lose its backlog in the socket
FAST_BUF = 4 * 1024 * 1024      # = the default net.core.rmem_max
LOSS_LIMIT = 0.1                # percent
BUSY_CORES = 1.9                # receiver + sender CPU of the 2 cores
# the sender must keep real time: a starved sender slows the stream down,
# and the receiver then has less to do per second than the test claims
LATE_SENDER = 1.03


def log(*a):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr,
          flush=True)


def proc_cpu(pid):
    """user+sys CPU seconds of a live process (all threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_status(pid):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                key, _, val = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    out[key] = int(val.split()[0])
    except OSError:
        pass
    return out


def system_busy_s():
    """CPU seconds all cores spent outside idle/iowait since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / TICK


def udp_rcvbuf_errors():
    with open("/proc/net/snmp") as f:
        lines = [ln.split() for ln in f if ln.startswith("Udp:")]
    return int(dict(zip(lines[0][1:], lines[1][1:]))["RcvbufErrors"])


def wait_idle(pid, quiet=0.5, limit=120.0):
    """Waits until the process used no CPU for @quiet seconds."""
    t_end = time.monotonic() + limit
    last = proc_cpu(pid)
    still = time.monotonic()
    while time.monotonic() < t_end:
        time.sleep(0.1)
        now = proc_cpu(pid)
        if now - last > 0.005:
            last, still = now, time.monotonic()
        elif time.monotonic() - still >= quiet:
            return
    log("warning: pid %d still busy after %.0f s" % (pid, limit))


def reap(proc, timeout=120.0):
    """wait4() with a deadline: (returncode, user+sys s, max RSS KiB)."""
    t_end = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, ru.ru_utime + ru.ru_stime, ru.ru_maxrss
        if time.monotonic() > t_end:
            log("warning: pid %d did not stop, killing it" % proc.pid)
            proc.kill()
            t_end = time.monotonic() + 10
        time.sleep(0.05)


def ffprobe_counts(path):
    """(video frames, audio packets) in @path, or (None, None)."""
    res = {}
    for sel in ("v:0", "a:0"):
        r = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", sel,
             "-count_packets", "-show_entries", "stream=nb_read_packets",
             "-of", "csv=p=0", path], capture_output=True, text=True)
        out = r.stdout.strip().split("\n")[0].strip(",") if r.stdout else ""
        res[sel] = int(out) if out.isdigit() else None
    return res["v:0"], res["a:0"]


def error_line(outdir):
    try:
        with open(os.path.join(outdir, "stderr.txt")) as f:
            for line in f:
                if "ERROR" in line or "rror" in line:
                    return line.strip()[:200]
    except OSError:
        pass
    return None


def send(ports, duration, fast=False, no_audio=False, base=None, streams=1):
    cmd = [PY, os.path.join(HERE, "send.py"), "--duration", str(duration)]
    if base is not None:
        cmd += ["--base-port", str(base), "--streams", str(streams)]
    else:
        cmd += ["--ports", ports]
    if fast:
        cmd.append("--fast")
    if no_audio:
        cmd.append("--no-audio")
    r = subprocess.run(cmd, capture_output=True, text=True)
    try:
        res = json.loads(r.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise SystemExit("sender failed: %s %s" % (r.stdout, r.stderr))
    if not res.get("ok"):
        raise SystemExit("sender failed: %s" % res)
    return res


# ---------------------------------------------------------------- part 1

def receiver_cmd(kind, vport, aport, outdir, fast=False):
    if fast and kind != "ffmpeg":
        # rtpjitterbuffer's default mode=slave stamps the packets with their
        # arrival time; 60 s of media arriving in 0.2 s then fails the
        # baseline (mp4mux: "Buffer has no PTS").  rtparchivesink retimes by
        # RTP time itself (docs/recording.md), but both get mode=none, which
        # takes the RTP timestamps, so that they do the same work; the
        # python receiver reaches rtparchivesink's inner jitter buffers.
        cmd = [PY, os.path.join(HERE, "recv_many.py"), "--streams", "1",
               "--base-port", str(vport), "--dir", outdir, "--jb-mode",
               "none", "--buffer-size", str(FAST_BUF),
               "--audio-buffer-size", str(FAST_BUF), "--kind",
               "archive" if kind == "rtparchivesink" else "baseline"]
        if not aport:
            cmd.append("--no-audio")
        return cmd
    if kind == "rtparchivesink":
        cmd = ["gst-launch-1.0", "-q", "-e",
               "udpsrc", "address=127.0.0.1", "port=%d" % vport,
               "buffer-size=%d" % VIDEO_BUF, "caps=" + VCAPS,
               "!", "rtparchivesink", "name=r", "archive-dir=" + outdir,
               "recording-id=sxs", "connection-id=archive", "format=mp4"]
        if aport:
            cmd += ["udpsrc", "address=127.0.0.1", "port=%d" % aport,
                    "buffer-size=%d" % AUDIO_BUF, "caps=" + ACAPS, "!", "r."]
        return cmd
    if kind == "baseline":
        cmd = ["gst-launch-1.0", "-q", "-e",
               "udpsrc", "address=127.0.0.1", "port=%d" % vport,
               "buffer-size=%d" % VIDEO_BUF, "caps=" + VCAPS,
               "!", "rtpjitterbuffer", "!", "rtph264depay", "!", "h264parse",
               "!", "mp4mux", "name=mux", "fragment-duration=1000",
               "!", "filesink",
               "location=" + os.path.join(outdir, "baseline.mp4")]
        if aport:
            cmd += ["udpsrc", "address=127.0.0.1", "port=%d" % aport,
                    "buffer-size=%d" % AUDIO_BUF, "caps=" + ACAPS,
                    "!", "rtpjitterbuffer", "!", "rtpopusdepay",
                    "!", "opusparse", "!", "mux."]
        return cmd
    # ffmpeg: an SDP file; RTCP would be on port+1, hence the 4-port layout
    sdp = ["v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=roomrec bench",
           "c=IN IP4 127.0.0.1", "t=0 0",
           "m=video %d RTP/AVP 96" % vport, "a=rtpmap:96 H264/90000",
           "a=fmtp:96 packetization-mode=1"]
    if aport:
        sdp += ["m=audio %d RTP/AVP 111" % aport, "a=rtpmap:111 opus/48000/2"]
    sdp_path = os.path.join(outdir, "x.sdp")
    with open(sdp_path, "w") as f:
        f.write("\r\n".join(sdp) + "\r\n")
    return ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
            "-protocol_whitelist", "file,udp,rtp",
            "-buffer_size", str(FAST_BUF if fast else VIDEO_BUF),
            "-i", sdp_path,
            "-c", "copy", os.path.join(outdir, "ffmpeg.mp4")]


KINDS = ("rtparchivesink", "baseline", "ffmpeg")


def side_by_side(work, media_s, audio, fast, env):
    """One replay to the three receivers (real time: at once; fast: one after
    the other).  Returns one row per receiver."""
    label = "%s, %s" % ("video+audio" if audio else "video",
                        "fast" if fast else "real time")
    rows = []
    groups = [[k] for k in KINDS] if fast else [list(KINDS)]
    for group in groups:
        procs = {}
        for i, kind in enumerate(KINDS):
            if kind not in group:
                continue
            outdir = os.path.join(work, "sxs", kind)
            shutil.rmtree(outdir, ignore_errors=True)
            os.makedirs(outdir)
            vport = 30000 + 100 * i
            aport = vport + 2 if audio else 0
            cmd = receiver_cmd(kind, vport, aport, outdir, fast)
            errf = open(os.path.join(outdir, "stderr.txt"), "w")
            procs[kind] = (subprocess.Popen(cmd, env=env, stdout=errf,
                                            stderr=errf,
                                            stdin=subprocess.DEVNULL),
                           vport, aport, outdir, cmd)
        time.sleep(2.0)         # sockets bound, pipelines PLAYING
        for kind, (p, *_rest) in procs.items():
            if p.poll() is not None:
                raise SystemExit("%s receiver exited at start, see %s"
                                 % (kind, _rest[2]))
        cpu0 = {k: proc_cpu(v[0].pid) for k, v in procs.items()}
        ports = ",".join("%d:%s" % (v[1], v[2] or "") for v in procs.values())
        log("%s: replaying %g s to %s" % (label, media_s, ", ".join(procs)))
        snd = send(ports, media_s, fast=fast, no_audio=not audio)
        time.sleep(0.6)          # jitter buffer latency 200 ms + margin
        for kind, v in procs.items():
            wait_idle(v[0].pid)
        cpu1, st = {}, {}
        for kind, (p, *_rest) in procs.items():
            cpu1[kind] = proc_cpu(p.pid)
            st[kind] = proc_status(p.pid)
            # not p.send_signal(): its poll() would reap an exited receiver
            # and lose its rusage
            os.kill(p.pid, signal.SIGINT)
        for kind, (p, vport, aport, outdir, cmd) in procs.items():
            # ffmpeg takes ~10 s to notice (its RTP read timeout)
            rc, cpu_total, maxrss = reap(p)
            files = sorted(glob.glob(os.path.join(outdir, "**", "*.mp4"),
                                     recursive=True))
            vf, af = ffprobe_counts(files[0]) if files else (None, None)
            media_min = media_s / 60.0
            rows.append({
                "config": label, "receiver": kind, "rc": rc,
                "cpu_stream_s": round(cpu1[kind] - cpu0[kind], 3),
                "cpu_per_media_min": round((cpu1[kind] - cpu0[kind])
                                           / media_min, 3),
                "cpu_total_s": round(cpu_total, 3),
                "cpu_total_per_media_min": round(cpu_total / media_min, 3),
                "rss_end_mb": round(st[kind].get("VmRSS", 0) / 1024, 1),
                "maxrss_mb": round(maxrss / 1024, 1),
                "threads": st[kind].get("Threads"),
                "error": error_line(outdir) if rc not in (0, 255) else None,
                "video_frames": vf, "audio_packets": af,
                "video_frames_expected": round(media_s * 30),
                "audio_packets_sent": snd["audio_packets"] if audio else 0,
                "file": os.path.relpath(files[0], work) if files else None,
                "sender": snd, "cmd": cmd,
            })
            log("  %-15s cpu %.3f s (%.3f s/media min), total %.3f s, "
                "max RSS %.1f MB, frames %s/%d, audio %s, rc %d"
                % (kind, rows[-1]["cpu_stream_s"],
                   rows[-1]["cpu_per_media_min"], cpu_total, maxrss / 1024,
                   vf, round(media_s * 30), af, rc))
    return rows


# ---------------------------------------------------------------- part 2

def concurrency_run(work, n, media_s, env, kind="archive", jitterbuffer=True):
    outdir = os.path.join(work, "conc", "n%d" % n)
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    cmd = [PY, os.path.join(HERE, "recv_many.py"), "--streams", str(n),
           "--base-port", "20000", "--dir", outdir, "--kind", kind,
           "--buffer-size", str(VIDEO_BUF),
           "--jitterbuffer", "1" if jitterbuffer else "0"]
    errf = open(os.path.join(outdir, "stderr.txt"), "w")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=errf,
                         stdin=subprocess.DEVNULL, text=True)
    ready = json.loads(p.stdout.readline() or "{}")
    if ready.get("event") != "ready":
        raise SystemExit("recv_many failed at N=%d: %s (see %s)"
                         % (n, ready, outdir))
    setup_s = time.monotonic() - t0
    time.sleep(1.0)
    drops0 = udp_rcvbuf_errors()
    cpu0 = proc_cpu(p.pid)
    busy0 = system_busy_s()
    snd = send(None, media_s, base=20000, streams=n)
    time.sleep(1.5)             # what is still in the sockets is lost
    cpu1 = proc_cpu(p.pid)
    busy1 = system_busy_s()
    drops1 = udp_rcvbuf_errors()
    os.kill(p.pid, signal.SIGINT)
    snap, done, errors = {}, {}, []
    for line in p.stdout:
        ev = json.loads(line)
        if ev.get("event") == "snapshot":
            snap = ev
        elif ev.get("event") == "done":
            done = ev
        elif ev.get("event") == "error":
            errors.append(ev)
    rc, cpu_total, maxrss = reap(p)
    sent_v = snd["video_packets"] * n
    sent_a = snd["audio_packets"] * n
    recv = snap.get("video_received", 0) + snap.get("audio_received", 0)
    loss = 100.0 * (1 - recv / float(sent_v + sent_a)) if kind == "archive" \
        else None
    files = sorted(glob.glob(os.path.join(outdir, "**", "*.mp4"),
                             recursive=True))
    # every file: packets received are not frames written (under overload
    # the pipeline drops what it did receive)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(ffprobe_counts, files))
    frames = [c[0] or 0 for c in counts]
    frames_expected = round(media_s * 30)
    frame_loss = 100.0 * (1 - sum(frames) / float(frames_expected * n))
    # audio too: a jitter buffer starved of CPU drops what it thinks lost
    audio = sum(c[1] or 0 for c in counts)
    audio_loss = 100.0 * (1 - audio / float(snd["audio_packets"] * n)) \
        if snd["audio_packets"] else 0.0
    wall = snd["wall_s"] + 1.5
    sender_cpu = snd["cpu_user_s"] + snd["cpu_sys_s"]
    other = (busy1 - busy0 - (cpu1 - cpu0) - sender_cpu) / wall
    row = {
        "n": n, "kind": kind, "jitterbuffer": jitterbuffer, "rc": rc,
        "media_s": media_s, "setup_s": round(setup_s, 2),
        "sent_packets": sent_v + sent_a, "received_packets": recv,
        "loss_pct": None if loss is None else round(loss, 4),
        "kernel_rcvbuf_drops": drops1 - drops0,
        "recv_cpu_s": round(cpu1 - cpu0, 3),
        "recv_cores": round((cpu1 - cpu0) / wall, 3),
        "cpu_per_stream_media_min": round((cpu1 - cpu0) / n
                                          / (media_s / 60.0), 3),
        "sender_cores": round(sender_cpu / snd["wall_s"], 3),
        "sender_wall_s": snd["wall_s"],
        "rss_ready_mb": round(ready.get("VmRSS", 0) / 1024, 1),
        "rss_mb": round(snap.get("VmRSS", 0) / 1024, 1),
        "maxrss_mb": round(maxrss / 1024, 1),
        "threads_ready": ready.get("Threads"),
        "threads": snap.get("Threads"),
        "eos_s": done.get("eos_s"), "eos_ok": done.get("eos"),
        "errors": done.get("errors"), "error_events": errors,
        "files": len(files), "frames_min": min(frames) if frames else 0,
        "frames_expected": frames_expected,
        "frame_loss_pct": round(frame_loss, 4),
        "audio_loss_pct": round(audio_loss, 4),
        "other_cores": round(other, 2),
    }
    log("N=%d: packet loss %s %%, frame loss %s %% (fewest %d/%d in %d "
        "files), audio loss %s %%, kernel drops %d, receiver %.2f cores (%.3f s per "
        "stream-minute), sender %.2f cores, other processes %.2f cores, RSS "
        "%.1f MB, %s threads, EOS in %s s, setup %.1f s"
        % (n, row["loss_pct"], row["frame_loss_pct"], row["frames_min"],
           frames_expected, len(files), row["audio_loss_pct"],
           row["kernel_rcvbuf_drops"],
           row["recv_cores"], row["cpu_per_stream_media_min"],
           row["sender_cores"], row["other_cores"], row["rss_mb"],
           row["threads"], row["eos_s"], setup_s))
    # the recordings are up to GBs; keep stderr.txt
    for sub in os.listdir(outdir):
        path = os.path.join(outdir, sub)
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
    return row


def passed(row):
    return (row["loss_pct"] < LOSS_LIMIT and row["frame_loss_pct"] < LOSS_LIMIT
            and row.get("audio_loss_pct", 0) < LOSS_LIMIT
            and row["recv_cores"] + row["sender_cores"] < BUSY_CORES
            and row.get("sender_wall_s", 0) <= row["media_s"] * LATE_SENDER)


def concurrency(work, ns, media_s, env):
    rows = []
    for n in ns:
        row = concurrency_run(work, n, media_s, env)
        rows.append(row)
        if row["n"] > 1 and not passed(row):
            log("N=%d fails (loss, CPU or a late sender): stopping" % n)
            break
    return rows


# ---------------------------------------------------------------- report

def machine_facts():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    gst = subprocess.run(["gst-launch-1.0", "--version"], capture_output=True,
                         text=True).stdout.split("\n")[1].strip()
    ff = subprocess.run(["ffmpeg", "-version"], capture_output=True,
                        text=True).stdout.split("\n")[0]
    sysctl = {}
    for k in ("rmem_max", "rmem_default"):
        with open("/proc/sys/net/core/" + k) as f:
            sysctl["net.core." + k] = int(f.read())
    mem_kb = 0
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    with open("/proc/loadavg") as f:
        load = " ".join(f.read().split()[:3])
    return {"loadavg_at_start": load, "nproc": os.cpu_count(), "cpu": cpu, "mem_gb":
            round(mem_kb / 1024 / 1024, 1), "kernel": platform.release(),
            "gstreamer": gst, "ffmpeg": ff, "sysctl": sysctl,
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "plugin_path": os.environ.get("GST_PLUGIN_PATH")}


def fmt(v, nd=3):
    if v is None:
        return "-"
    if isinstance(v, float):
        return ("%." + str(nd) + "f") % v
    return str(v)


def report(res):
    m = res["machine"]
    out = ["# roomrec RTP recording benchmark: results",
           "",
           "%s; %d cores (%s), %.0f GB, Linux %s; %s; %s; %s" % (
               m["date"], m["nproc"], m["cpu"], m["mem_gb"], m["kernel"],
               m["gstreamer"], m["ffmpeg"].split(" Copyright")[0],
               ", ".join("%s=%d" % kv for kv in m["sysctl"].items())),
           "",
           "Load average at start: %s (anything but ~0 means other work "
           "shares the cores)." % m.get("loadavg_at_start"),
           "",
           "Stream: 720p30 H.264 %s, Opus 64 kbit/s; side by side %g s of "
           "media, concurrency %g s per N." % (
               res.get("video_kbps", "~2500 kbit/s"), res["sxs_media_s"],
               res["conc_media_s"]),
           ""]
    if res.get("sxs"):
        out += ["## One stream, side by side",
                "",
                "CPU = receiver user+sys seconds per minute of media, from "
                "the first packet to the last one processed (whole process "
                "incl. start-up and EOS in brackets). RSS = peak (wait4). "
                "Frames/audio = what ffprobe counts in the written file.",
                "",
                "| config | receiver | CPU s/media min | (whole process) | "
                "vs baseline | vs ffmpeg | peak RSS MB | threads | "
                "video frames | audio pkts |",
                "|---|---|---|---|---|---|---|---|---|---|"]
        by = {}
        for r in res["sxs"]:
            by[(r["config"], r["receiver"])] = r
        for r in res["sxs"]:
            base = by.get((r["config"], "baseline"))
            ffm = by.get((r["config"], "ffmpeg"))
            rb = r["cpu_per_media_min"] / base["cpu_per_media_min"] \
                if base and base["cpu_per_media_min"] else None
            rf = r["cpu_per_media_min"] / ffm["cpu_per_media_min"] \
                if ffm and ffm["cpu_per_media_min"] else None
            out.append("| %s | %s | %s | (%s) | %s | %s | %s | %s | %s/%s | "
                       "%s/%s |" % (
                           r["config"], r["receiver"],
                           fmt(r["cpu_per_media_min"]),
                           fmt(r["cpu_total_per_media_min"]),
                           fmt(rb, 2) + "x" if rb else "-",
                           fmt(rf, 2) + "x" if rf else "-",
                           fmt(r["maxrss_mb"], 1), fmt(r["threads"]),
                           fmt(r["video_frames"]),
                           r["video_frames_expected"],
                           fmt(r["audio_packets"]) if r["audio_packets_sent"]
                           else "-",
                           r["audio_packets_sent"] or "-"))
        senders = {}
        for r in res["sxs"]:
            s = r["sender"]
            senders.setdefault(r["config"], (s["streams"], s["cpu_user_s"]
                                             + s["cpu_sys_s"], s["wall_s"]))
        out += ["", "Sender (one process, payloaded once, fanned out): " +
                "; ".join("%s: %d dest., %.2f CPU s in %.1f s" % (k, *v)
                          for k, v in senders.items()), ""]
    if res.get("conc"):
        rows = res["conc"]
        one = next((r for r in rows if r["n"] == 1), None)
        out += ["## Concurrency: one process, N x (H.264 + Opus) "
                "rtparchivesink, real time",
                "",
                "Packet loss: RTP packets sent vs counted by rtparchivesink "
                "(`stats`) 1.5 s after the last one was sent. Frame loss: "
                "video frames ffprobe counts in all N files vs N x %d; audio "
                "loss: Opus packets in the files vs sent. Other "
                "= CPU of processes other than receiver and sender (a busy "
                "machine makes the run worthless)." % rows[0]["frames_expected"],
                "",
                "| N | packet loss % | frame loss % (fewest) | audio loss % "
                "| receiver cores "
                "| CPU s per stream-min | sender cores | other cores | RSS MB "
                "| RSS per extra stream MB | threads (per stream) | EOS s | "
                + "sender s for %d s | pass |" % rows[0]["media_s"],
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in rows:
            per = (r["rss_mb"] - one["rss_mb"]) / (r["n"] - 1) \
                if one and r["n"] > 1 else None
            tper = (r["threads"] - one["threads"]) / float(r["n"] - 1) \
                if one and r["n"] > 1 and r["threads"] else None
            out.append("| %d | %s | %s (%d) | %s | %s | %s | %s | %s | %s "
                       "| %s | %s (%s) | %s | %s | %s |" % (
                           r["n"], fmt(r["loss_pct"], 3),
                           fmt(r["frame_loss_pct"], 3), r["frames_min"],
                           fmt(r.get("audio_loss_pct"), 3),
                           fmt(r["recv_cores"], 2),
                           fmt(r["cpu_per_stream_media_min"]),
                           fmt(r["sender_cores"], 2),
                           fmt(r["other_cores"], 2), fmt(r["rss_mb"], 1),
                           fmt(per, 2), fmt(r["threads"]), fmt(tper, 1),
                           fmt(r["eos_s"], 2),
                           fmt(r.get("sender_wall_s"), 1),
                           "yes" if passed(r) else "**no**"))
        ok = [r["n"] for r in rows if r["n"] > 1 and passed(r)]
        out += ["", "Most concurrent streams with < %.1f %% packet, frame and "
                "audio loss, the cores not saturated (receiver + sender < %.1f "
                "cores) and the sender on time: **%s**" % (LOSS_LIMIT, BUSY_CORES,
                                    max(ok) if ok else "none"),
                ""]
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 8 s of media, N = 1, 10, 25")
    ap.add_argument("--out", default=os.path.join(HERE, "work", "results"))
    ap.add_argument("--sxs-media", type=float)
    ap.add_argument("--conc-media", type=float)
    ap.add_argument("--ns", help="comma separated N list")
    ap.add_argument("--no-fast", action="store_true",
                    help="skip the as-fast-as-possible side-by-side runs")
    ap.add_argument("--skip-sxs", action="store_true")
    ap.add_argument("--skip-conc", action="store_true")
    args = ap.parse_args()

    sxs_media = args.sxs_media or (8.0 if args.quick else 60.0)
    conc_media = args.conc_media or (8.0 if args.quick else 20.0)
    ns = [int(x) for x in args.ns.split(",")] if args.ns else (
        [1, 10, 25] if args.quick else
        [1, 25, 50, 100, 150, 200, 250, 300, 400, 500])
    work = os.path.join(HERE, "work", "run")
    os.makedirs(work, exist_ok=True)
    env = dict(os.environ)

    res = {"machine": machine_facts(), "sxs_media_s": sxs_media,
           "conc_media_s": conc_media, "sxs": [], "conc": []}
    try:
        with open(os.path.join(HERE, "work", "source.txt")) as f:
            for line in f:
                if line.startswith("format|"):
                    kbps = int(line.rsplit("bit_rate=", 1)[1]) // 1000
                    res["video_kbps"] = "%d kbit/s (whole file)" % kbps
    except (OSError, ValueError, IndexError):
        pass
    t0 = time.monotonic()
    if not args.skip_sxs:
        for audio in (False, True):
            res["sxs"] += side_by_side(work, sxs_media, audio, False, env)
        if not args.no_fast:
            for audio in (False, True):
                res["sxs"] += side_by_side(work, sxs_media, audio, True, env)
    if not args.skip_conc:
        res["conc"] = concurrency(work, ns, conc_media, env)
    res["elapsed_s"] = round(time.monotonic() - t0, 1)

    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    text = report(res)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(text)
    print(text)
    log("done in %.0f s; %s" % (res["elapsed_s"],
                                os.path.join(args.out, "results.md")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
