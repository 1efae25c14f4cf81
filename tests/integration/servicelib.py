"""Helpers of the `roomrec serve` tests (and the WHIP offers of
whip-protocol.py): a service in a temp dir, HTTP requests, checks."""
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

TOKEN = "service-token-0123456789abcdef"

_FAILURES = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        _FAILURES.append(what)
    return cond


def failures():
    return _FAILURES


def run_test(name, body, service_config=None):
    """Runs @body in a new temp dir (kept with KEEP=1): body(svc, work) with
    a started Service when @service_config is not None (a dict: extra
    keys), else body(work); exits 1 when a check failed."""
    work = tempfile.mkdtemp(prefix="%s-" % name)
    svc = None
    try:
        if service_config is not None:
            svc = Service(work, service_config)
            body(svc, work)
        else:
            body(work)
    finally:
        if svc:
            svc.stop()
        if os.environ.get("KEEP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    if _FAILURES:
        print("%d check(s) failed" % len(_FAILURES))
        sys.exit(1)


def offer(video_mlines=1, audio=True, direction="sendonly",
          video_codec="VP8", ufrag="abcd", pwd="0123456789abcdef012345"):
    """A browser-like offer; ICE will never connect (nobody is there)."""
    lines = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
    mids = []
    body = []
    mid = 0
    kinds = (["audio"] if audio else []) + ["video"] * video_mlines
    for kind in kinds:
        mids.append(str(mid))
        if kind == "audio":
            body += ["m=audio 9 UDP/TLS/RTP/SAVPF 111",
                     "a=rtpmap:111 opus/48000/2"]
        else:
            body += ["m=video 9 UDP/TLS/RTP/SAVPF 96",
                     "a=rtpmap:96 %s/90000" % video_codec,
                     "a=rtcp-fb:96 nack pli"]
        body += ["c=IN IP4 0.0.0.0", "a=rtcp-mux", "a=mid:%d" % mid,
                 "a=%s" % direction, "a=ice-ufrag:" + ufrag,
                 "a=ice-pwd:" + pwd,
                 "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
                 "a=setup:actpass", "a=msid:s t%d" % mid]
        mid += 1
    lines.append("a=group:BUNDLE " + " ".join(mids))
    return ("\r\n".join(lines + body) + "\r\n").encode()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


class Service:
    """`roomrec serve` on a free port of 127.0.0.1, state and archives
    under @work."""

    def __init__(self, work, extra=None, start=True):
        self.work = work
        self.config = {
            "listen": "127.0.0.1:0",
            "tokens": [TOKEN],
            "state_dir": os.path.join(work, "state"),
            "archive_dir": os.path.join(work, "archive"),
        }
        self.config.update(extra or {})
        self.path = os.path.join(work, "serve.json")
        with open(self.path, "w") as f:
            json.dump(self.config, f)
        self.proc = None
        self.runs = 0
        self.last_request = 0.0
        if start:
            self.start()

    def start(self):
        self.runs += 1
        self.log = os.path.join(self.work, "serve-%d.log" % self.runs)
        out = open(self.log, "w")
        # its own process group: the kill -9 test takes the rooms too
        self.proc = subprocess.Popen([os.environ["ROOMREC"], "serve",
                                      self.path], stdout=out,
                                     stderr=subprocess.STDOUT,
                                     start_new_session=True)
        out.close()
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log) as f:
                m = re.search(r"^roomrec serve: listening on (http://\S+)",
                              f.read(), re.M)
            if m:
                self.url = m.group(1)
                u = urllib.parse.urlsplit(self.url)
                self.host, self.port = u.hostname, u.port
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        with open(self.log) as f:
            raise RuntimeError("roomrec serve did not start:\n" + f.read())

    def stop(self, sig=signal.SIGTERM, timeout=150):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            return "timeout"

    def kill_all(self):
        """kill -9 of the service and its rooms (a machine losing power, a
        container killed)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        deadline = time.time() + 10
        while time.time() < deadline:
            if subprocess.run(["pgrep", "-f", "--control-fd 3 " + self.work],
                              capture_output=True).returncode != 0:
                return
            time.sleep(0.1)

    def request(self, method, path, body=None, token=TOKEN, raw=None,
                content_type=None, headers=None, timeout=30, burst=False):
        """One request; paced under the service's 20 requests/s per client
        unless @burst."""
        if not burst:
            wait = self.last_request + 0.06 - time.time()
            if wait > 0:
                time.sleep(wait)
        self.last_request = time.time()
        conn = http.client.HTTPConnection(self.host, self.port,
                                          timeout=timeout)
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if content_type:
            h["Content-Type"] = content_type
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            return Response(resp.status, resp.headers, resp.read())
        except (ConnectionError, http.client.HTTPException) as e:
            return Response(0, {}, str(e).encode())
        finally:
            conn.close()

    def peak_rss_kb(self):
        """The service process's peak resident memory (VmHWM), KiB."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def task(self, task_id):
        return self.request("GET", "/v1/tasks/" + task_id).json()

    def wait(self, cond, task_id, timeout=30):
        deadline = time.time() + timeout
        t = {}
        while time.time() < deadline:
            t = self.task(task_id)
            if t and cond(t):
                return t
            time.sleep(0.25)
        return t

    def wait_status(self, task_id, status, timeout=30):
        return self.wait(lambda t: t.get("status") == status, task_id,
                         timeout)
