#!/bin/sh
# roomrec benchmark, step 1: encode the test stream once and payload it as
# RTP once.  Everything lands in bench/work/ (git-ignored) and is reused.
#
#   bench/prepare.sh            # 60 s (the full benchmark)
#   FORCE=1 bench/prepare.sh    # re-encode
#
# Outputs:
#   work/source.mkv     60 s 1280x720@30 H.264 (x264, ~2.5 Mbit/s, one
#                       slice per frame, no B-frames, key frame every 2 s)
#                       + 48 kHz stereo Opus 64 kbit/s, 20 ms frames
#   work/video.rtp.pcap the H.264 stream as RTP packets (rtph264pay, PT 96,
#                       mtu 1200) stamped with their send times (pcap)
#   work/audio.rtp.pcap the Opus stream as RTP packets (rtpopuspay, PT 111)
#   work/source.txt     what was encoded and the packet counts
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work="$here/work"
seconds=60
frames=$((seconds * 30))
audio_buffers=$((seconds * 48000 / 1024))
mkdir -p "$work"

if [ "${FORCE:-0}" = 1 ]; then
  rm -f "$work/source.mkv" "$work/video.rtp.pcap" "$work/audio.rtp.pcap" \
    "$work/source.txt"
fi

if [ ! -s "$work/source.mkv" ]; then
  echo "prepare: encoding ${seconds} s 720p30 H.264 + Opus (once) ..."
  # scrolling SMPTE bars so that P-frames are not empty; fixed settings, so
  # the stream is the same on every machine with this x264 (one slice per
  # frame: ffmpeg -c copy writes each slice of a frame as its own sample).
  # scenecut=0: the scrolling bars make x264 see a scene cut in half of the
  # frames (5 IDR + 9 I frames a second), nothing like a camera; mp4mux cuts
  # a fragment at each of them
  gst-launch-1.0 -q -e \
    videotestsrc num-buffers="$frames" pattern=smpte horizontal-speed=4 \
      ! video/x-raw,width=1280,height=720,framerate=30/1,format=I420 \
      ! x264enc bitrate=2500 key-int-max=60 bframes=0 tune=zerolatency \
          speed-preset=veryfast threads=2 sliced-threads=false \
          option-string=scenecut=0 \
      ! video/x-h264,profile=constrained-baseline \
      ! h264parse ! queue ! mux.video_0 \
    audiotestsrc num-buffers="$audio_buffers" samplesperbuffer=1024 \
      wave=ticks freq=440 \
      ! audio/x-raw,rate=48000,channels=2 \
      ! opusenc bitrate=64000 frame-size=20 \
      ! opusparse ! queue ! mux.audio_0 \
    matroskamux name=mux ! filesink location="$work/source.mkv.tmp"
  mv "$work/source.mkv.tmp" "$work/source.mkv"
  rm -f "$work/video.rtp.pcap" "$work/audio.rtp.pcap"
fi

if [ ! -s "$work/video.rtp.pcap" ] || [ ! -s "$work/audio.rtp.pcap" ]; then
  echo "prepare: payloading as RTP (once) ..."
  /usr/bin/python3 "$here/send.py" --payload "$work"
  rm -f "$work/source.txt"
fi

if [ ! -s "$work/source.txt" ]; then
  {
    echo "source.mkv:"
    ffprobe -v error -show_entries stream=codec_name,width,height,avg_frame_rate,nb_frames,bit_rate:format=duration,bit_rate \
      -of compact "$work/source.mkv"
    echo "rtp packets (video, audio):"
    /usr/bin/python3 "$here/send.py" --count "$work"
  } > "$work/source.txt.tmp"
  mv "$work/source.txt.tmp" "$work/source.txt"
fi
cat "$work/source.txt"
