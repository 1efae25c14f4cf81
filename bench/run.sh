#!/bin/sh
# roomrec RTP recording benchmark: rtparchivesink vs a hand-written
# gst-launch pipeline vs ffmpeg -c copy, then N concurrent streams in one
# process.  See docs/benchmarks.md.
#
#   bench/run.sh            full run (~10 min): 60 s side by side, 20 s per N
#   bench/run.sh --quick    smoke run (~2 min): 8 s of media, N = 1, 10, 25
#   bench/run.sh --ns 1,100,200 --conc-media 30 ...   (see bench.py --help)
#
# Environment:
#   ROOMREC_PLUGIN_PATH  where libgstroomrec.so is (default: build/gst)
#
# Results: bench/work/results/results.md and results.json (bench/work/ is
# git-ignored).  Not part of make check: timings depend on the machine.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
plugin_path=${ROOMREC_PLUGIN_PATH:-$repo/build/gst}

for tool in gst-launch-1.0 gst-inspect-1.0 ffmpeg ffprobe /usr/bin/python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run.sh: $tool is missing" >&2
    exit 1
  fi
done

mkdir -p "$here/work"
GST_PLUGIN_PATH=$plugin_path
# a registry of our own: the plugin under test may be rebuilt between runs
GST_REGISTRY_1_0=$here/work/registry.bin
export GST_PLUGIN_PATH GST_REGISTRY_1_0
if ! gst-inspect-1.0 rtparchivesink >/dev/null 2>&1 ||
   ! gst-inspect-1.0 rtparchivesink 2>/dev/null | grep -q archive-dir; then
  echo "run.sh: no rtparchivesink (with archive-dir) in $plugin_path;" \
    "build it (meson compile -C build) or set ROOMREC_PLUGIN_PATH" >&2
  exit 1
fi

"$here/prepare.sh"
echo "run.sh: GST_PLUGIN_PATH=$GST_PLUGIN_PATH"
echo "run.sh: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)," \
  "$(gst-launch-1.0 --version | sed -n 2p)," \
  "net.core.rmem_max=$(cat /proc/sys/net/core/rmem_max)"
exec /usr/bin/python3 "$here/bench.py" --out "$here/work/results" "$@"
