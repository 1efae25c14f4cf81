#!/usr/bin/python3
"""Checks of a composite (mixed) recording, decoded with FFmpeg.

  mixcheck.py colours FILE --at SECONDS --points X,Y [X,Y ...]
              --expect RRGGBB [RRGGBB ...] [--tolerance N]
      the colours at the points of the frame shown at SECONDS are the
      expected colours, in any order (which participant gets which tile
      depends on who joined first)

  mixcheck.py avsync FILE --region X,Y,W,H [--max-ms 40] [--min-flashes 3]
              [--relative-to MS] [--print-offset]
      a participant sending rr-webrtc-peer --flash (a white flash and a
      1 kHz beep at the start of every second) is in the region: every
      flash's start is within --max-ms of its beep's start (or, with
      --relative-to, of MS + its beep's start: compare with the offset
      measured in another recording); --print-offset prints the median
      offset in ms on stdout, the details go to stderr

Exit status 0 when the check holds, 1 when it does not (the reason on
stderr), 2 on usage errors.
"""
import argparse
import json
import subprocess
import sys


def probe(path, *args):
    out = subprocess.run(["ffprobe", "-v", "error", "-of", "json", *args, path],
                         check=True, capture_output=True).stdout
    return json.loads(out)


def video_size(path):
    s = probe(path, "-select_streams", "v:0", "-show_entries",
              "stream=width,height")["streams"][0]
    return s["width"], s["height"]


def frame_rgb(path, at):
    w, h = video_size(path)
    raw = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(at), "-i", path,
                          "-frames:v", "1", "-f", "rawvideo", "-pix_fmt",
                          "rgb24", "-"], check=True, capture_output=True).stdout
    if len(raw) != w * h * 3:
        raise SystemExit(f"no frame at {at} s in {path}")
    return w, h, raw


def parse_colour(text):
    v = int(text, 16)
    return (v >> 16) & 255, (v >> 8) & 255, v & 255


def near(a, b, tolerance):
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def check_colours(args):
    w, h, raw = frame_rgb(args.file, args.at)
    got = []
    for p in args.points:
        x, y = (int(v) for v in p.split(","))
        i = (y * w + x) * 3
        got.append(tuple(raw[i:i + 3]))
    left = [parse_colour(c) for c in args.expect]
    unmatched = []
    for g in got:
        for e in left:
            if near(g, e, args.tolerance):
                left.remove(e)
                break
        else:
            unmatched.append(g)
    shown = " ".join("%02x%02x%02x" % g for g in got)
    if unmatched or left:
        print(f"colours at {args.at} s: {shown}; expected "
              f"{' '.join(args.expect)} (±{args.tolerance})", file=sys.stderr)
        return 1
    print(f"colours at {args.at} s: {shown}")
    return 0


def onsets(times, values, threshold):
    """Times where values rise through threshold."""
    out, above = [], True
    for t, v in zip(times, values):
        if v >= threshold and not above:
            out.append(t)
        above = v >= threshold
    return out


def check_avsync(args):
    x, y, w, h = (int(v) for v in args.region.split(","))
    frames = probe(args.file, "-select_streams", "v:0", "-show_entries",
                   "frame=pts_time")["frames"]
    times = [float(f["pts_time"]) for f in frames]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", args.file, "-an",
                          "-vf", f"crop={w}:{h}:{x}:{y},scale=8:8,format=gray",
                          "-fps_mode", "passthrough", "-f", "rawvideo", "-"],
                         check=True, capture_output=True).stdout
    means = [sum(raw[i * 64:(i + 1) * 64]) / 64 for i in range(len(raw) // 64)]
    if len(means) != len(times):
        print(f"{len(means)} decoded frames, {len(times)} timestamps",
              file=sys.stderr)
        return 1
    # white (a layout change can make the region brighter, not white)
    flashes = onsets(times, means, 200)

    first = probe(args.file, "-select_streams", "a:0", "-show_entries",
                  "frame=pts_time", "-read_intervals", "%+#1")["frames"]
    audio_start = float(first[0]["pts_time"])
    pcm = subprocess.run(["ffmpeg", "-v", "error", "-i", args.file, "-vn",
                          "-ac", "1", "-ar", "48000", "-f", "s16le", "-"],
                         check=True, capture_output=True).stdout
    samples = memoryview(pcm).cast("h")
    window = 48  # 1 ms
    levels, ltimes = [], []
    for i in range(0, len(samples) - window, window):
        levels.append(max(abs(s) for s in samples[i:i + window]))
        ltimes.append(audio_start + i / 48000)
    peak = max(levels) if levels else 0
    if peak < 1000:
        print("no beep in the audio (peak %d)" % peak, file=sys.stderr)
        return 1
    beeps = onsets(ltimes, levels, peak * 0.3)

    offsets = []
    for f in flashes:
        b = min(beeps, key=lambda t: abs(t - f), default=None)
        if b is not None and abs(b - f) < 0.5:
            offsets.append((f, (b - f) * 1000))
    text = ", ".join(f"{f:.2f}s:{o:+.0f}ms" for f, o in offsets)
    out = sys.stderr if args.print_offset else sys.stdout
    print(f"{args.file}: {len(flashes)} flashes, {len(beeps)} beeps; "
          f"beep - flash: {text}", file=out)
    if len(offsets) < args.min_flashes:
        print(f"fewer than {args.min_flashes} flash/beep pairs",
              file=sys.stderr)
        return 1
    if args.print_offset:
        print("%.1f" % sorted(o for _, o in offsets)[len(offsets) // 2])
    worst = max(abs(o - args.relative_to) for _, o in offsets)
    if worst > args.max_ms:
        what = (f" beyond the reference {args.relative_to:+.0f} ms"
                if args.relative_to else "")
        print(f"A/V offset {worst:.0f} ms{what} is more than "
              f"{args.max_ms} ms", file=sys.stderr)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("colours")
    c.add_argument("file")
    c.add_argument("--at", type=float, required=True)
    c.add_argument("--points", nargs="+", required=True)
    c.add_argument("--expect", nargs="+", required=True)
    c.add_argument("--tolerance", type=int, default=40)
    a = sub.add_parser("avsync")
    a.add_argument("file")
    a.add_argument("--region", required=True)
    a.add_argument("--max-ms", type=float, default=40)
    a.add_argument("--min-flashes", type=int, default=3)
    a.add_argument("--relative-to", type=float, default=0)
    a.add_argument("--print-offset", action="store_true")
    args = ap.parse_args()
    return check_colours(args) if args.cmd == "colours" else check_avsync(args)


if __name__ == "__main__":
    sys.exit(main())
