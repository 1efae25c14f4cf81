#!/usr/bin/python3
"""roomrec benchmark sender: replays the RTP packets that prepare.sh wrote
(work/video.rtp.pcap, work/audio.rtp.pcap) over UDP to 127.0.0.1.

The packets are payloaded once (prepare.sh); here they are only read back
with their timestamps (pcapparse) and fanned out by one multiudpsink per
medium to every destination port, so sending N streams costs one read and
N sendmsg()s per packet, nothing more.

  send.py --ports 5000:5001,5002:5003 [--duration S] [--fast] [--no-audio]
  send.py --base-port 5000 --streams N ...   (video B+4i, audio B+4i+2)
  send.py --count WORKDIR                     (packet counts only)
  send.py --payload WORKDIR                   (prepare.sh: payload once)

Real time (default): multiudpsink sync=true plays the packets out at their
timestamps.  --fast: sync=false, as fast as the sockets take them.

Prints one JSON line: packets sent per destination, wall time and the
sender's own CPU seconds.
"""
import argparse
import json
import os
import resource
import signal
import struct
import sys
import time

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


PAYLOAD = {
    # one pipeline per medium: matroskademux feeding two payloaders in one
    # gst-launch pipeline cut the audio short here
    "video": "filesrc location={src} ! matroskademux ! h264parse "
             "! video/x-h264,stream-format=avc "
             "! rtph264pay pt=96 mtu=1200 config-interval=-1 ssrc=305419896 "
             "seqnum-offset=1000 timestamp-offset=0 "
             "! appsink name=s sync=false max-buffers=0",
    "audio": "filesrc location={src} ! matroskademux ! opusparse "
             "! rtpopuspay pt=111 mtu=1200 ssrc=591751049 seqnum-offset=2000 "
             "timestamp-offset=0 ! appsink name=s sync=false max-buffers=0",
}
CAPS = {
    "video": "application/x-rtp,media=video,clock-rate=90000,"
             "encoding-name=H264,payload=96",
    "audio": "application/x-rtp,media=audio,clock-rate=48000,"
             "encoding-name=OPUS,payload=111",
}
# pcap record time of the first packet; pcapparse makes it running time 0
PCAP_EPOCH_S = 1700000000


def pcap_record(pts_ns, payload, sport, dport):
    """One Ethernet/IPv4/UDP record of a classic pcap file."""
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0x4000, 64,
                     17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    csum = sum(struct.unpack("!10H", ip))
    while csum >> 16:
        csum = (csum & 0xffff) + (csum >> 16)
    ip = ip[:10] + struct.pack("!H", ~csum & 0xffff) + ip[12:]
    frame = (b"\0" * 12 + b"\x08\x00" + ip
             + struct.pack("!HHHH", sport, dport, udp_len, 0) + payload)
    sec, nsec = divmod(pts_ns, 1000000000)
    return struct.pack("<IIII", PCAP_EPOCH_S + sec, nsec // 1000,
                       len(frame), len(frame)) + frame


def payload(work):
    """Payload source.mkv once into work/{video,audio}.rtp.pcap: the RTP
    packets with their send times (the media timestamps)."""
    for media, desc in PAYLOAD.items():
        dst = os.path.join(work, media + ".rtp.pcap")
        pipe = Gst.parse_launch(desc.format(
            src=os.path.join(work, "source.mkv")))
        sink = pipe.get_by_name("s")
        pipe.set_state(Gst.State.PLAYING)
        port = 5000 if media == "video" else 5001
        with open(dst + ".tmp", "wb") as f:
            # classic pcap, microseconds, Ethernet
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            while True:
                sample = sink.emit("pull-sample")
                if sample is None:
                    break
                buf = sample.get_buffer()
                f.write(pcap_record(buf.pts, buf.extract_dup(0, buf.get_size()),
                                    40000, port))
        msg = pipe.get_bus().pop_filtered(Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        if msg is not None:
            raise SystemExit("payloading %s failed: %s"
                             % (media, msg.parse_error()[0].message))
        os.rename(dst + ".tmp", dst)


def source_desc(work, media):
    return ("filesrc location={loc} ! pcapparse caps=\"{caps}\" "
            "name={n}depay".format(loc=os.path.join(work, media + ".rtp.pcap"),
                                   caps=CAPS[media], n=media))


def packets(info):
    """(media time of the first packet in ns, number of packets) of a probe
    on pcapparse's output: buffer lists of packets stamped (DTS) with their
    pcap record time."""
    if info.type & Gst.PadProbeType.BUFFER_LIST:
        blist = info.get_buffer_list()
        first, count = blist.get(0), blist.length()
    else:
        first, count = info.get_buffer(), 1
    return first.dts - PCAP_EPOCH_S * Gst.SECOND, count


def count_packets(work):
    out = {}
    for media in ("video", "audio"):
        pipe = Gst.parse_launch(source_desc(work, media)
                                + " ! fakesink name=s sync=false")
        n = [0, 0]

        def probe(pad, info, n=n):
            first, count = packets(info)
            n[0] += count
            n[1] = max(n[1], first)
            return Gst.PadProbeReturn.OK

        pipe.get_by_name("s").get_static_pad("sink").add_probe(
            Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST, probe)
        pipe.set_state(Gst.State.PLAYING)
        msg = pipe.get_bus().timed_pop_filtered(
            Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        if msg.type == Gst.MessageType.ERROR:
            raise SystemExit("reading %s.rtp.pcap failed: %s"
                             % (media, msg.parse_error()[0].message))
        out[media] = {"packets": n[0], "last_pts_s": n[1] / Gst.SECOND}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--ports", help="video:audio,video:audio,... "
                    "(audio may be empty)")
    ap.add_argument("--base-port", type=int)
    ap.add_argument("--streams", type=int, default=1)
    ap.add_argument("--duration", type=float, default=0,
                    help="seconds of media to send (0 = all)")
    ap.add_argument("--fast", action="store_true",
                    help="as fast as possible (sync=false)")
    ap.add_argument("--no-audio", action="store_true")
    ap.add_argument("--count", metavar="WORKDIR")
    ap.add_argument("--payload", metavar="WORKDIR")
    args = ap.parse_args()

    Gst.init(None)
    if args.payload:
        payload(args.payload)
        return 0
    if args.count:
        print(json.dumps(count_packets(args.count)))
        return 0

    if args.ports:
        pairs = [p.split(":") for p in args.ports.split(",")]
    elif args.base_port:
        pairs = [[str(args.base_port + 4 * i), str(args.base_port + 4 * i + 2)]
                 for i in range(args.streams)]
    else:
        ap.error("--ports or --base-port")
    vclients = ",".join("127.0.0.1:" + p[0] for p in pairs)
    aclients = ",".join("127.0.0.1:" + p[1] for p in pairs
                        if len(p) > 1 and p[1])
    media = [("video", vclients)]
    if aclients and not args.no_audio:
        media.append(("audio", aclients))

    desc = []
    for name, clients in media:
        desc.append(
            source_desc(args.work, name)
            + " ! multiudpsink name={n}sink clients={cl} sync={sync} "
            "async=false buffer-size=4194304 qos=false".format(
                n=name, cl=clients, sync="false" if args.fast else "true"))
    pipe = Gst.parse_launch(" ".join(desc))

    limit = int(args.duration * Gst.SECOND) if args.duration > 0 else None
    sent = {name: 0 for name, _ in media}
    cut = {}

    def make_probe(name):
        def probe(pad, info):
            first, count = packets(info)
            if limit is not None and first >= limit:
                if name not in cut:
                    cut[name] = True
                    src = pipe.get_by_name(name + "depay")
                    GLib.idle_add(lambda: src.send_event(Gst.Event.new_eos())
                                  and False)
                return Gst.PadProbeReturn.DROP
            sent[name] += count
            return Gst.PadProbeReturn.OK
        return probe

    for name, _ in media:
        pipe.get_by_name(name + "depay").get_static_pad("src").add_probe(
            Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
            make_probe(name))

    loop = GLib.MainLoop()
    result = {"ok": True}

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            result["ok"] = False
            result["error"] = "%s (%s)" % (err.message, dbg)
            loop.quit()
        return True

    bus = pipe.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)

    def on_sigint():
        result["interrupted"] = True
        pipe.send_event(Gst.Event.new_eos())
        return GLib.SOURCE_CONTINUE

    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, on_sigint)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, on_sigint)

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    pipe.set_state(Gst.State.PLAYING)
    loop.run()
    wall = time.monotonic() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    pipe.set_state(Gst.State.NULL)

    result.update({
        "streams": len(pairs),
        "fast": args.fast,
        "video_packets": sent.get("video", 0),
        "audio_packets": sent.get("audio", 0),
        "wall_s": round(wall, 3),
        "cpu_user_s": round(r1.ru_utime - r0.ru_utime, 3),
        "cpu_sys_s": round(r1.ru_stime - r0.ru_stime, 3),
    })
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
