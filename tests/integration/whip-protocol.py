#!/usr/bin/python3
"""The WHIP endpoint of `roomrec run`, status code by status code
(RFC 9725): a real launcher, real HTTP, offers made by hand.

Environment: ROOMREC (the launcher), GST_PLUGIN_PATH_1_0 (the plugin).
"""
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

TOKEN = "room-token-0123456789abcdef"
ALICE_TOKEN = "alice-token-0123456789ab"

FAILURES = []

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servicelib import offer  # noqa: E402


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        FAILURES.append(what)


class Room:
    def __init__(self, workdir):
        self.workdir = workdir
        config = {
            "room_id": "proto",
            "recording_id": "PROTO",
            "archive_dir": os.path.join(workdir, "archive"),
            "format": "webm",
            "participants": [{"user_id": "alice", "token": ALICE_TOKEN}],
            "inputs": [{"type": "whip", "listen": "127.0.0.1:0",
                        "path": "/whip/proto", "token": TOKEN,
                        "max_sessions": 3, "max_body_bytes": 4096,
                        "ice_servers": ["stun:stun.example.net:3478"],
                        "allow_origin": "https://app.example"}],
        }
        path = os.path.join(workdir, "room.json")
        with open(path, "w") as f:
            json.dump(config, f)
        self.log = open(os.path.join(workdir, "roomrec.log"), "w+")
        self.proc = subprocess.Popen([os.environ["ROOMREC"], "run", path],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.port = None
        for _ in range(100):
            self.log.seek(0)
            m = re.search(r"WHIP endpoint http://127.0.0.1:(\d+)/",
                          self.log.read())
            if m:
                self.port = int(m.group(1))
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        if self.port is None:
            self.dump_log()
            sys.exit("FAIL: roomrec did not start")

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, r.headers, data

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -9

    def dump_log(self):
        self.log.seek(0)
        print("--- roomrec log\n" + self.log.read())


def auth(token=TOKEN, ctype="application/sdp"):
    h = {"Authorization": "Bearer " + token}
    if ctype:
        h["Content-Type"] = ctype
    return h


def main():
    work = tempfile.mkdtemp()
    room = Room(work)
    ep = "/whip/proto"
    try:
        # CORS preflight: no token needed
        s, h, _ = room.request("OPTIONS", ep, headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST"})
        check(s == 204, "OPTIONS → 204 (got %d)" % s)
        check(h.get("Access-Control-Allow-Origin") == "https://app.example",
              "OPTIONS: Access-Control-Allow-Origin")
        check("POST" in (h.get("Access-Control-Allow-Methods") or ""),
              "OPTIONS: Access-Control-Allow-Methods has POST")
        expose = h.get("Access-Control-Expose-Headers") or ""
        check(all(x in expose for x in ("Location", "ETag", "Link")),
              "OPTIONS: Location, ETag, Link exposed")
        check("Authorization" in (h.get("Access-Control-Allow-Headers") or ""),
              "OPTIONS: Authorization allowed")
        check(h.get("Accept-Post") == "application/sdp", "OPTIONS: Accept-Post")

        s, h, _ = room.request("POST", ep, offer(),
                               {"Content-Type": "application/sdp"})
        check(s == 401, "POST without a token → 401 (got %d)" % s)
        check((h.get("WWW-Authenticate") or "").startswith("Bearer"),
              "401 carries WWW-Authenticate: Bearer")
        s, _, _ = room.request("POST", ep, offer(), auth("wrong-token-xxxxxxxx"))
        check(s == 401, "POST with a wrong token → 401 (got %d)" % s)
        s, _, _ = room.request("POST", ep, offer(), auth(ctype="text/plain"))
        check(s == 415, "POST text/plain → 415 (got %d)" % s)
        s, _, _ = room.request("POST", ep, b"x" * 100000, auth())
        check(s == 413, "POST of 100 kB → 413 (got %d)" % s)
        s, _, _ = room.request("POST", ep, b"hello world", auth())
        check(s == 400, "POST of garbage → 400 (got %d)" % s)
        s, _, body = room.request("POST", ep, offer(video_mlines=2), auth())
        check(s == 422, "POST with two video tracks → 422 (got %d %s)" % (s, body[:80]))
        s, _, _ = room.request("POST", ep, offer(direction="recvonly"), auth())
        check(s == 422, "POST of a recvonly offer → 422 (got %d)" % s)
        s, _, body = room.request("POST", ep, offer(video_codec="H265"), auth())
        check(s == 422 and b"H265" in body,
              "POST of H.265 to a WebM room → 422 naming H265 (got %d %s)" % (s, body[:120]))
        s, h, _ = room.request("GET", ep)
        check(s == 405 and "POST" in (h.get("Allow") or ""),
              "GET on the endpoint → 405 with Allow (got %d)" % s)
        s, _, _ = room.request("POST", "/whip/proto/../other", offer(), auth())
        check(s == 404, "a path with .. → 404 (got %d)" % s)
        s, _, _ = room.request("DELETE", ep + "/NOSUCHSESSION", headers=auth(ctype=None))
        check(s == 404, "DELETE of an unknown session → 404 (got %d)" % s)

        # a session (ICE will not connect; the HTTP side is all we need)
        t0 = time.monotonic()
        s, h, body = room.request("POST", ep, offer(), auth())
        took = time.monotonic() - t0
        check(s == 201, "POST of a good offer → 201 (got %d %s)" % (s, body[:100]))
        check(h.get("Content-Type", "").startswith("application/sdp"),
              "201: Content-Type application/sdp")
        loc = h.get("Location") or ""
        check(loc.startswith(ep + "/"), "201: Location under the endpoint (%s)" % loc)
        etag = h.get("ETag")
        check(bool(etag) and etag.startswith('"'), "201: a strong ETag (%s)" % etag)
        check('rel="ice-server"' in (h.get("Link") or ""), "201: Link rel=ice-server")
        answer = body.decode()
        check("a=recvonly" in answer and "m=video" in answer and "m=audio" in answer,
              "the answer receives audio and video")
        check("a=candidate" in answer, "the answer carries our candidates")
        print("POST → 201 took %.0f ms" % (took * 1000))

        frag = ("a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef012345\r\n"
                "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
                "a=candidate:1 1 UDP 2122260223 127.0.0.1 61000 typ host\r\n").encode()
        s, _, _ = room.request("PATCH", loc, frag, auth(ctype="application/sdp"))
        check(s == 415, "PATCH with application/sdp → 415 (got %d)" % s)
        hdr = auth(ctype="application/trickle-ice-sdpfrag")
        s, _, _ = room.request("PATCH", loc, frag, dict(hdr, **{"If-Match": '"other"'}))
        check(s == 412, "PATCH with a stale If-Match → 412 (got %d)" % s)
        s, _, _ = room.request("PATCH", loc, frag, dict(hdr, **{"If-Match": etag}))
        check(s == 204, "trickle PATCH → 204 (got %d)" % s)
        restart = frag.replace(b"abcd", b"wxyz").replace(b"0123456789abcdef012345",
                                                          b"zyxwvutsrqponmlkjihgfe")
        s, _, _ = room.request("PATCH", loc, restart, dict(hdr, **{"If-Match": "*"}))
        check(s == 422, "ICE-restart PATCH → 422 (got %d)" % s)
        s, _, _ = room.request("PATCH", loc, b"\x00garbage", hdr)
        check(s == 400, "PATCH of garbage → 400 (got %d)" % s)
        s, _, _ = room.request("PUT", loc, b"", auth(ctype=None))
        check(s == 405, "PUT on a session → 405 (got %d)" % s)
        s, _, _ = room.request("DELETE", loc)
        check(s == 401, "DELETE without a token → 401 (got %d)" % s)
        s, _, _ = room.request("DELETE", loc, headers=auth(ctype=None))
        check(s == 200, "DELETE → 200 (got %d)" % s)
        time.sleep(0.5)
        s, _, _ = room.request("DELETE", loc, headers=auth(ctype=None))
        check(s == 404, "DELETE again → 404 (got %d)" % s)

        # a participant's own token works too; max_sessions = 3
        locs = []
        for i in range(3):
            s, h, _ = room.request("POST", ep, offer(), auth(ALICE_TOKEN))
            check(s == 201, "session %d with a participant token → 201 (got %d)" % (i + 1, s))
            locs.append(h.get("Location"))
        s, h, _ = room.request("POST", ep, offer(), auth())
        check(s == 503 and h.get("Retry-After"), "a 4th session → 503 + Retry-After (got %d)" % s)
        for loc in locs:
            room.request("DELETE", loc, headers=auth(ctype=None))
    finally:
        rc = room.stop()
    check(rc == 0, "roomrec exits with 0 on SIGINT (got %s)" % rc)
    if FAILURES:
        room.dump_log()
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
