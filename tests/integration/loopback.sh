#!/bin/sh
# Real encoders → RTP payloaders → UDP over 127.0.0.1 → udpsrc →
# rtparchivesink, for one codec/container pair.  The file is checked by
# two independent readers: FFmpeg (frame count, codec, key frame first,
# full decode) and GStreamer (demux).
# usage: loopback.sh VIDEO AUDIO FORMAT     (VIDEO/AUDIO may be "none")
#   VIDEO: vp8 vp9 h264 h265 av1   AUDIO: opus pcmu pcma aac
set -eu
video=$1 audio=$2 format=$3
dir=$(mktemp -d)
rpid=
trap 'kill $rpid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT
frames=60
free_udp_port () {
  /usr/bin/python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=$(free_udp_port)
aport=$(free_udp_port)

case $video in
  vp8)  venc="vp8enc deadline=1 keyframe-max-dist=30" pay=rtpvp8pay enc=VP8 ;;
  vp9)  venc="vp9enc deadline=1 keyframe-max-dist=30" pay=rtpvp9pay enc=VP9 ;;
  h264) venc="x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30" pay="rtph264pay config-interval=-1" enc=H264 ;;
  h265) venc="x265enc tune=zerolatency speed-preset=ultrafast key-int-max=30" pay="rtph265pay config-interval=-1" enc=H265 ;;
  av1)  venc="av1enc cpu-used=8 keyframe-max-dist=30 ! av1parse" pay=rtpaomav1pay enc=AV1 ;;
  none) ;;
  *) echo "unknown video $video"; exit 2 ;;
esac
case $audio in
  opus) aenc=opusenc apay=rtpopuspay aname=OPUS arate=48000 ;;
  pcmu) aenc=mulawenc apay=rtppcmupay aname=PCMU arate=8000 ;;
  pcma) aenc=alawenc apay=rtppcmapay aname=PCMA arate=8000 ;;
  aac)  aenc=voaacenc apay=rtpmp4gpay aname=MPEG4-GENERIC arate=48000 ;;
  none) ;;
  *) echo "unknown audio $audio"; exit 2 ;;
esac

recv="rtparchivesink name=rec archive-dir=$dir recording-id=r connection-id=c format=$format"
send=
if [ "$video" != none ]; then
  recv="$recv udpsrc port=$port buffer-size=2097152 caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=$enc,payload=96 ! rec."
  send="videotestsrc is-live=true num-buffers=$frames pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! $venc ! $pay pt=96 ! udpsink host=127.0.0.1 port=$port"
fi
if [ "$audio" != none ]; then
  acaps="application/x-rtp,media=audio,clock-rate=$arate,encoding-name=$aname,payload=97"
  [ "$audio" = aac ] && acaps="$acaps,mode=AAC-hbr,sizelength=13,indexlength=3,indexdeltalength=3,config=(string)1190"
  recv="$recv udpsrc port=$aport caps=\"$acaps\" ! rec."
  send="$send audiotestsrc is-live=true num-buffers=100 samplesperbuffer=$((arate / 50)) ! audio/x-raw,rate=$arate,channels=1 ! $aenc ! $apay pt=97 ! udpsink host=127.0.0.1 port=$aport"
fi

# The receiver gets SIGINT when the sender is done, which gst-launch -e
# turns into EOS: files are finished as on a clean stop.  timeout (exec'd,
# so that $rpid is its pid) passes our SIGINT on, once (--foreground: not
# to its whole process group, which would be a second SIGINT that makes
# gst-launch quit without EOS), and stops a stuck run.
eval "exec timeout --foreground -s INT -k 20 60 gst-launch-1.0 -e $recv" >"$dir/recv.log" 2>&1 &
rpid=$!
i=0
until grep -q 'Setting pipeline to PLAYING' "$dir/recv.log" 2>/dev/null; do
  i=$((i + 1))
  [ $i -lt 100 ] || { echo "FAIL: receiver did not start"; cat "$dir/recv.log"; exit 1; }
  sleep 0.1
done
sleep 0.5
eval "gst-launch-1.0 -q $send" >"$dir/send.log" 2>&1 ||
  { echo "FAIL: the sender failed"; cat "$dir/send.log"; exit 1; }
sleep 1
kill -INT "$rpid"
rc=0
wait "$rpid" || rc=$?
rpid=
[ $rc = 0 ] || { echo "FAIL: receiver exited with $rc"; cat "$dir/recv.log"; exit 1; }

if [ "$format" = hls ]; then
  file="$dir/r/archive-c.m3u8"
else
  file=$(find "$dir/r" -name 'archive-c.*' ! -name '*.json' | head -1)
fi
if [ -z "$file" ] || [ ! -s "$file" ]; then
  echo "FAIL: no archive file"; ls -R "$dir"; cat "$dir/recv.log"; exit 1
fi
fail=0
echo "$file"
if [ "$video" != none ]; then
  n=$(ffprobe -v error -select_streams v:0 -count_frames -show_entries stream=nb_read_frames -of csv=p=0 "$file" | head -1)
  codec=$(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 "$file" | head -1)
  key=$(ffprobe -v error -select_streams v:0 -show_entries frame=key_frame -read_intervals '%+#1' -of csv=p=0 "$file" | head -1 | cut -d, -f1)
  echo "video: $codec, $n frames, first key_frame=$key"
  case $n in ''|*[!0-9]*) n=0 ;; esac
  # the receiver may miss the first GOP while it starts
  [ "$n" -ge $((frames - 31)) ] || { echo "FAIL: $n of $frames video frames"; fail=1; }
  [ "$key" = 1 ] || { echo "FAIL: file does not start with a key frame"; fail=1; }
  dec=$(ffmpeg -nostdin -v error -i "$file" -map 0:v:0 -fps_mode passthrough \
    -f framemd5 - 2>/dev/null | grep -c '^0,' || true)
  [ "$dec" -ge "$n" ] || { echo "FAIL: FFmpeg decoded $dec of $n frames"; fail=1; }
  if [ "$format" != hls ]; then
    gst=$(gst-launch-1.0 -v filesrc location="$file" ! parsebin ! \
      'video/x-vp8;video/x-vp9;video/x-h264;video/x-h265;video/x-av1' ! \
      fakesink silent=false 2>/dev/null | grep -c 'chain' || true)
    [ "$gst" -ge "$n" ] || { echo "FAIL: GStreamer demuxed $gst of $n frames"; fail=1; }
  fi
fi
if [ "$audio" != none ]; then
  an=$(ffprobe -v error -select_streams a:0 -count_packets -show_entries stream=codec_name,nb_read_packets -of csv=p=0 "$file" | head -1)
  echo "audio: $an"
  case $an in *,[0-9]*) ;; *) echo "FAIL: no audio track"; fail=1 ;; esac
fi
grep -q '"connection_id" : "c"' "$(dirname "$file")/archive-c.json" ||
  { echo "FAIL: no sidecar"; fail=1; }
[ $fail = 0 ] || tail -20 "$dir/recv.log"
exit $fail
