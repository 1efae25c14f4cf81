#!/usr/bin/python3
"""compositorlayout into a real file: N participants in distinct solid
colours → compositorlayout → x264enc → splitmuxrec (MP4); the file is
decoded with FFmpeg and the colour at the centre of every tile the element
announced (compositorlayout-layout-changed) is checked, for 1, 2, 4, 9, 17
and 25 participants and across a layout change in the middle of the
recording (grid → floating → screen-share).

usage: mix-file.py [COUNT ...]     (default: 1 2 4 9 17 25 change)
Needs GST_PLUGIN_PATH_1_0 to point at the roomrec plugin (meson test sets
it).  Exit status 0 when every check holds.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

W, H, FPS = 640, 360, 30
MIXCHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "mixcheck.py")


def colour(i):
    """25 colours far apart from each other and from black."""
    levels = (0x20, 0x80, 0xe0)
    r, g, b = levels[i % 3], levels[(i // 3) % 3], levels[(i // 9) % 3]
    if (r, g, b) == (0x20, 0x20, 0x20):
        r, g, b = 0xff, 0xff, 0xff
    return (r << 16) | (g << 8) | b


def run(n, frames, changes, workdir):
    """Records n participants for `frames` frames; changes maps a frame
    number to properties set on the element from then on.  Returns the
    file and the layouts announced, as (first frame, tiles)."""
    parts = [f"compositorlayout name=mix width={W} height={H} "
             f"framerate={FPS}/1 mix.video_src ! queue ! "
             "x264enc speed-preset=ultrafast key-int-max=30 ! "
             f"splitmuxrec name=rec format=mp4 archive-dir={workdir} "
             "recording-id=R connection-id=mix"]
    for i in range(n):
        parts.append(f"videotestsrc num-buffers={frames} pattern=solid-color "
                     f"foreground-color=0xff{colour(i):06x} ! "
                     f"video/x-raw,width=160,height=90,framerate={FPS}/1 ! "
                     f"identity name=id{i} ! mix.video_{i}")
    pipeline = Gst.parse_launch(" ".join(parts))
    mix = pipeline.get_by_name("mix")
    layouts = []
    seen = {"frame": 0}

    def count(pad, info):
        f = seen["frame"]
        seen["frame"] += 1
        if f in changes:
            for k, v in changes[f].items():
                mix.set_property(k, v)
        return Gst.PadProbeReturn.OK

    # participant 0's frames drive the changes, from its streaming thread
    pipeline.get_by_name("id0").get_static_pad("src").add_probe(
        Gst.PadProbeType.BUFFER, count)
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)
    while True:
        msg = bus.timed_pop_filtered(120 * Gst.SECOND, Gst.MessageType.EOS |
                                     Gst.MessageType.ERROR |
                                     Gst.MessageType.ELEMENT)
        if msg is None:
            raise SystemExit("no EOS within 120 s")
        if msg.type == Gst.MessageType.ERROR:
            raise SystemExit("error: %s" % msg.parse_error()[0].message)
        if msg.type == Gst.MessageType.EOS:
            break
        s = msg.get_structure()
        if s.get_name() == "compositorlayout-layout-changed":
            layouts.append((seen["frame"], s.get_value("mode"),
                            parse_tiles(s.to_string())))
    pipeline.set_state(Gst.State.NULL)
    return os.path.join(workdir, "R", "archive-mix.mp4"), layouts


def parse_tiles(text):
    """The tiles of a serialised compositorlayout-layout-changed message
    (PyGObject cannot read its array of structures)."""
    text = text.replace("\\", "")
    tiles = []
    for m in re.finditer(r"tile, ([^>\"]*)", text):
        fields = dict(re.findall(r"(\w+)=\((?:string|int)\)([^,;\"]+)",
                                 m.group(1)))
        if "participant" in fields:
            tiles.append((fields["participant"], int(fields["x"]),
                          int(fields["y"]), int(fields["w"]),
                          int(fields["h"]), int(fields.get("z", 0))))
    return tiles


def visible_centres(tiles):
    """Centre of each tile, unless a tile drawn above covers it."""
    out = []
    for p, x, y, w, h, z in tiles:
        cx, cy = x + w // 2, y + h // 2
        covered = any(z2 > z and x2 <= cx < x2 + w2 and y2 <= cy < y2 + h2
                      for p2, x2, y2, w2, h2, z2 in tiles if p2 != p)
        if not covered and w > 0 and h > 0:
            out.append((p, cx, cy))
    return out


def check(path, at, tiles, quiet=False):
    centres = visible_centres(tiles)
    points = [f"{cx},{cy}" for _, cx, cy in centres]
    expect = ["%06x" % colour(int(p.split("_")[1])) for p, _, _ in centres]
    r = subprocess.run(["/usr/bin/python3", MIXCHECK, "colours", path,
                        "--at", "%.3f" % at, "--points", *points,
                        "--expect", *expect, "--tolerance", "48"],
                       capture_output=True, text=True)
    if not quiet:
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
    return r.returncode == 0 and len(centres) > 0


def check_transition(path, frame, old, new, between):
    """Around a layout change at `frame` (several properties set one after
    the other): every frame shows the whole old layout or the whole new
    one, but for one frame at most of a layout in between (the new mode
    before its main participant: the issue's "no glitch longer than one
    frame"); never a frame with some tiles moved and others not; the old
    one before, the new one after."""
    states = []
    for k in range(frame - 4, frame + 7):
        at = (k + 0.5) / FPS
        if check(path, at, old, quiet=True):
            states.append("o")
        elif check(path, at, new, quiet=True):
            states.append("n")
        elif any(check(path, at, t, quiet=True) for t in between):
            states.append("i")
        else:
            states.append("?")
    text = "".join(states)
    print(f"frames {frame - 4}..{frame + 6} around the change: {text}")
    return re.fullmatch(r"o+i?n+", text) is not None


def main():
    Gst.init(None)
    cases = sys.argv[1:] or ["1", "2", "4", "9", "17", "25", "change"]
    failed = []
    for case in cases:
        workdir = tempfile.mkdtemp(prefix="mix-file-")
        try:
            if case == "change":
                n, frames = 5, 135
                changes = {45: {"mode": "floating"},
                           90: {"mode": "screen-share",
                                "main-participant": "video_2"}}
                checks = [(30, "grid"), (75, "floating"),
                          (120, "screen-share")]
            else:
                n, frames, changes = int(case), 45, {}
                checks = [(30, "grid")]
            path, layouts = run(n, frames, changes, workdir)
            ok = os.path.exists(path)
            for frame, mode in checks:
                # the layouts of the last pads requested are final once
                # every participant is in; later ones follow the changes
                chosen = [t for t in layouts if t[1] == mode and
                          len(t[2]) == n]
                if not chosen:
                    print(f"{case}: no {mode} layout with {n} tiles announced",
                          file=sys.stderr)
                    ok = False
                    continue
                tiles = chosen[-1][2]
                ok = check(path, frame / FPS, tiles) and ok
            # no glitch where the layout changes
            bounds = sorted(changes) + [frames + 1]
            for c, following in zip(bounds, bounds[1:]):
                before = [t for t in layouts if t[0] <= c and len(t[2]) == n]
                after = [t for t in layouts
                         if c < t[0] <= following and len(t[2]) == n]
                if before and after:
                    ok = check_transition(path, c, before[-1][2],
                                          after[-1][2],
                                          [t[2] for t in after[:-1]]) and ok
                else:
                    print(f"{case}: no layouts around frame {c}",
                          file=sys.stderr)
                    ok = False
            print(f"{'ok' if ok else 'FAIL'}: {case} participant(s)")
            if not ok:
                failed.append(case)
        finally:
            if os.environ.get("KEEP"):
                print("kept", workdir)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        print("FAIL:", " ".join(failed))
        return 1
    print("PASS mix-file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
