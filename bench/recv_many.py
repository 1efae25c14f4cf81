#!/usr/bin/python3
"""roomrec benchmark receiver: one process recording N RTP streams.

Stream i is H.264 on UDP port B+4i and (unless --no-audio) Opus on B+4i+2,
both from 127.0.0.1.  --kind archive (default): one rtparchivesink per stream
(one participant: video on sink_0, audio on sink_1, format=mp4).
--kind baseline: the hand-written chain per stream, udpsrc ! rtpjitterbuffer
! rtph264depay ! h264parse ! mp4mux fragment-duration=1000 ! filesink (audio:
rtpjitterbuffer ! rtpopusdepay ! opusparse into the same mp4mux).

--jb-mode none sets mode=none on every rtpjitterbuffer (also the ones
inside rtparchivesink): needed for the as-fast-as-possible replay.

Talks JSON lines on stdout:
  {"event": "ready", ...}        after PLAYING
  SIGUSR1 -> {"event": "snapshot", ...} packet counters, RSS, threads, CPU
  SIGINT  -> {"event": "snapshot", ...} then EOS, then {"event": "done", ...}
"""
import argparse
import json
import os
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

VCAPS = ("application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,"
         "payload=96")
ACAPS = ("application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,"
         "payload=111")


def proc_status():
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, val = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads", "VmSize"):
                out[key] = int(val.split()[0])
    t = os.times()
    out["cpu_s"] = round(t.user + t.system, 3)
    return out


def make(factory, **props):
    e = Gst.ElementFactory.make(factory, None)
    if e is None:
        raise SystemExit("element %s not found (GST_PLUGIN_PATH=%s)"
                         % (factory, os.environ.get("GST_PLUGIN_PATH")))
    for k, v in props.items():
        e.set_property(k.replace("_", "-"), v)
    return e


def udpsrc(port, caps, buffer_size):
    return make("udpsrc", address="127.0.0.1", port=port,
                caps=Gst.Caps.from_string(caps), buffer_size=buffer_size)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--streams", type=int, required=True)
    ap.add_argument("--base-port", type=int, default=20000)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--kind", choices=("archive", "baseline"),
                    default="archive")
    ap.add_argument("--no-audio", action="store_true")
    ap.add_argument("--buffer-size", type=int, default=2 * 1024 * 1024,
                    help="SO_RCVBUF of the video sockets")
    ap.add_argument("--audio-buffer-size", type=int, default=256 * 1024,
                    help="SO_RCVBUF of the audio sockets")
    ap.add_argument("--jitterbuffer", type=int, default=1)
    ap.add_argument("--jb-mode", choices=("none", "slave", "buffer",
                                          "synced"),
                    help="mode of every rtpjitterbuffer (none: timestamps "
                    "from RTP only, needed when the packets come faster "
                    "than real time)")
    args = ap.parse_args()

    Gst.init(None)
    os.makedirs(args.dir, exist_ok=True)
    pipe = Gst.Pipeline.new("recv")
    if args.jb_mode:
        def on_added(bin_, sub, element):
            f = element.get_factory()
            if f is not None and f.get_name() == "rtpjitterbuffer":
                Gst.util_set_object_arg(element, "mode", args.jb_mode)
        pipe.connect("deep-element-added", on_added)
    sinks = []
    for i in range(args.streams):
        vport = args.base_port + 4 * i
        media = [(udpsrc(vport, VCAPS, args.buffer_size), "video")]
        if not args.no_audio:
            media.append((udpsrc(vport + 2, ACAPS,
                                 args.audio_buffer_size), "audio"))
        for src, _ in media:
            pipe.add(src)
        if args.kind == "archive":
            sink = make("rtparchivesink", archive_dir=args.dir,
                        recording_id="bench", connection_id="s%04d" % i,
                        jitterbuffer=bool(args.jitterbuffer))
            sink.set_property("format", "mp4")
            pipe.add(sink)
            for src, _ in media:
                src.link(sink)
            sinks.append(sink)
        else:
            mux = make("mp4mux", fragment_duration=1000)
            fsink = make("filesink", location=os.path.join(
                args.dir, "baseline-s%04d.mp4" % i), **{"async": False})
            pipe.add(mux)
            pipe.add(fsink)
            mux.link(fsink)
            for src, kind in media:
                chain = [make("rtpjitterbuffer")]
                if kind == "video":
                    chain += [make("rtph264depay"), make("h264parse")]
                else:
                    chain += [make("rtpopusdepay"), make("opusparse")]
                prev = src
                for e in chain:
                    pipe.add(e)
                    prev.link(e)
                    prev = e
                prev.link(mux)
            sinks.append(None)

    built = proc_status()
    loop = GLib.MainLoop()
    state = {"eos": False, "errors": []}

    def snapshot():
        rec = {"event": "snapshot", "t": time.monotonic()}
        rec.update(proc_status())
        if args.kind == "archive":
            per = []
            for s in sinks:
                st = s.get_property("stats")
                pads = []
                for j in range(2 if not args.no_audio else 1):
                    ps = st.get_value("sink_%d" % j) \
                        if st.has_field("sink_%d" % j) else None
                    pads.append(ps.get_uint64("packets-received")[1]
                                if ps is not None else 0)
                per.append(pads)
            rec["video_received"] = sum(p[0] for p in per)
            rec["audio_received"] = sum(p[1] for p in per if len(p) > 1)
            rec["video_received_min"] = min(p[0] for p in per)
        print(json.dumps(rec), flush=True)

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.EOS:
            state["eos"] = True
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            state["errors"].append("%s: %s" % (msg.src.get_name(),
                                               err.message))
            if len(state["errors"]) == 1:
                print(json.dumps({"event": "error",
                                  "error": state["errors"][0],
                                  "debug": dbg}), flush=True)
            loop.quit()
        return True

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def on_usr1():
        snapshot()
        return GLib.SOURCE_CONTINUE

    def on_int():
        snapshot()
        state["eos_t0"] = time.monotonic()
        pipe.send_event(Gst.Event.new_eos())
        GLib.timeout_add_seconds(120, loop.quit)
        return GLib.SOURCE_REMOVE

    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGUSR1, on_usr1)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGINT, on_int)
    GLib.unix_signal_add(GLib.PRIORITY_HIGH, signal.SIGTERM, on_int)

    if pipe.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        print(json.dumps({"event": "error", "error": "PLAYING failed"}),
              flush=True)
        return 1
    pipe.get_state(10 * Gst.SECOND)
    ready = {"event": "ready", "streams": args.streams, "kind": args.kind,
             "built": built}
    ready.update(proc_status())
    print(json.dumps(ready), flush=True)
    loop.run()
    done = {"event": "done", "eos": state["eos"], "errors": state["errors"],
            "eos_s": round(time.monotonic() - state.get("eos_t0",
                                                        time.monotonic()), 3)}
    done.update(proc_status())
    pipe.set_state(Gst.State.NULL)
    print(json.dumps(done), flush=True)
    return 0 if state["eos"] and not state["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
