#!/usr/bin/python3
# roomrec — a small fake S3 server for the uploader tests
# Copyright (C) 2026 roomrec contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A threaded HTTP/1.1 server speaking just enough S3 for
tools/s3upload.c: PUT object, GET/HEAD object, multipart uploads
(POST ?uploads, PUT ?partNumber&uploadId, POST ?uploadId, DELETE
?uploadId), path-style addressing only.

Every S3 request must carry a SigV4 Authorization header, which is
VERIFIED by re-signing the request as received with botocore
(S3SigV4Auth): a wrong signature gets S3's 403 SignatureDoesNotMatch, an
x-amz-content-sha256 that is not the SHA-256 of the body 400
XAmzContentSHA256Mismatch, a Content-MD5 that does not match 400 BadDigest.
Objects are stored under ROOT/<bucket>/<key>.

Test control (unsigned, under /_fake/):
  POST /_fake/fail?count=N&mode=500|503|429|drop|200error[&method=PUT]
       [&query=uploadId]
       the next N S3 requests (of that method, whose query string holds
       that text) fail: with that status and an S3 error body; "drop": the
       body is read, then the connection is closed without a response;
       "200error": status 200 with an S3 <Error> body (S3 documents that
       CompleteMultipartUpload may do that)
  POST /_fake/reset   forget failures and counters
  GET  /_fake/stats   JSON: counters, bad signatures, request log

Usage: fake-s3.py --root DIR [--port 0] [--access-key AK --secret-key SK]
Prints "PORT <n>" on stdout once listening; exits when stdin closes.
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

import botocore.auth
import botocore.credentials
from botocore.awsrequest import AWSRequest

AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request,"
    r" ?SignedHeaders=([a-z0-9;_.-]+), ?Signature=([0-9a-f]{64})$")


class State:
    def __init__(self, root, keys):
        self.root = root
        self.keys = keys
        self.lock = threading.Lock()
        self.fail_count = 0
        self.fail_mode = "500"
        self.fail_method = None
        self.fail_query = None
        self.reset()

    def reset(self):
        self.fail_count = 0
        self.fail_method = None
        self.fail_query = None
        self.stats = {"requests": 0, "bad_signatures": 0, "good_signatures": 0,
                      "failed_injected": 0, "with_session_token": 0,
                      "log": []}

    def take_failure(self, method, query):
        with self.lock:
            if self.fail_count > 0 and \
                    self.fail_method in (None, method) and \
                    (self.fail_query is None or self.fail_query in query):
                self.fail_count -= 1
                self.stats["failed_injected"] += 1
                return self.fail_mode
        return None


def s3_error(code, message):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
            "<Message>%s</Message><RequestId>fake</RequestId></Error>"
            % (code, message)).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-s3"

    def log_message(self, fmt, *args):
        if os.environ.get("FAKE_S3_VERBOSE"):
            sys.stderr.write("fake-s3: " + (fmt % args) + "\n")

    @property
    def st(self):
        return self.server.state

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", headers=None, head=False):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body and not head:
            self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body and not head:
            self.wfile.write(body)

    def do_GET(self):
        self.handle_any("GET")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")

    # -------------------------------------------------------------- #

    def handle_any(self, method):
        body = self.read_body()
        parts = urlsplit(self.path)
        if parts.path.startswith("/_fake/"):
            return self.control(method, parts)
        with self.st.lock:
            self.st.stats["requests"] += 1
        mode = self.st.take_failure(method, parts.query)
        if mode == "drop":
            self.log_req(method, parts, "dropped")
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if mode == "200error":
            self.log_req(method, parts, "injected " + mode)
            return self.reply(200, s3_error("InternalError",
                                            "injected error in a 200"))
        if mode is not None:
            self.log_req(method, parts, "injected " + mode)
            code = {"500": "InternalError", "503": "SlowDown",
                    "429": "SlowDown"}.get(mode, "InternalError")
            return self.reply(int(mode), s3_error(code, "injected failure"))
        err = self.verify(method, body)
        if err is not None:
            with self.st.lock:
                self.st.stats["bad_signatures"] += 1
            self.log_req(method, parts, "rejected " + err[1])
            return self.reply(err[0], s3_error(err[1], err[2]))
        with self.st.lock:
            self.st.stats["good_signatures"] += 1
            if "x-amz-security-token" in self.headers:
                self.st.stats["with_session_token"] += 1
        self.log_req(method, parts, "ok")
        self.s3(method, parts, body)

    def log_req(self, method, parts, what):
        with self.st.lock:
            self.st.stats["log"].append(
                {"method": method, "path": unquote(parts.path),
                 "query": parts.query, "result": what})

    def verify(self, method, body):
        auth = self.headers.get("Authorization", "")
        m = AUTH_RE.match(auth)
        if not m:
            return (400, "AuthorizationHeaderMalformed", auth)
        ak, date, region, signed, signature = m.groups()
        secret = self.st.keys.get(ak)
        if secret is None:
            return (403, "InvalidAccessKeyId", "unknown access key " + ak)
        amz_date = self.headers.get("x-amz-date", "")
        if not amz_date.startswith(date):
            return (403, "SignatureDoesNotMatch", "date does not match scope")
        payload = self.headers.get("x-amz-content-sha256")
        if payload is None:
            return (400, "InvalidRequest", "missing x-amz-content-sha256")
        if payload != "UNSIGNED-PAYLOAD" and \
                payload != hashlib.sha256(body).hexdigest():
            return (400, "XAmzContentSHA256Mismatch",
                    "x-amz-content-sha256 is not the body's SHA-256"
                    " (%d bytes, Content-Length %s)"
                    % (len(body), self.headers.get("Content-Length")))
        md5 = self.headers.get("Content-MD5")
        if md5 is not None and \
                base64.b64decode(md5) != hashlib.md5(body).digest():
            return (400, "BadDigest", "Content-MD5 does not match")
        names = signed.split(";")
        for required in ("host", "x-amz-date", "x-amz-content-sha256"):
            if required not in names:
                return (403, "AccessDenied", required + " is not signed")
        req = AWSRequest(method=method,
                         url="http://" + self.headers["Host"] + self.path,
                         data=body)
        for name in names:
            values = self.headers.get_all(name)
            if values is None:
                return (403, "SignatureDoesNotMatch",
                        "signed header %s missing" % name)
            for v in values:
                req.headers[name] = v
        req.context["timestamp"] = amz_date
        creds = botocore.credentials.Credentials(
            ak, secret, self.headers.get("x-amz-security-token"))
        signer = botocore.auth.S3SigV4Auth(creds, "s3", region)
        canonical = signer.canonical_request(req)
        string_to_sign = signer.string_to_sign(req, canonical)
        expected = signer.signature(string_to_sign, req)
        if expected != signature:
            return (403, "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the"
                    " signature you provided. Check your key and signing"
                    " method.")
        return None

    def control(self, method, parts):
        q = dict(parse_qsl(parts.query))
        st = self.st
        if parts.path == "/_fake/fail":
            with st.lock:
                st.fail_count = int(q.get("count", "1"))
                st.fail_mode = q.get("mode", "500")
                st.fail_method = q.get("method")
                st.fail_query = q.get("query")
            return self.reply(200)
        if parts.path == "/_fake/reset":
            with st.lock:
                st.reset()
            return self.reply(200)
        if parts.path == "/_fake/stats":
            with st.lock:
                data = json.dumps(st.stats).encode()
            return self.reply(200, data)
        return self.reply(404)

    # -------------------------------------------------------------- #

    def object_path(self, bucket, key):
        if not bucket or not key or any(
                s in ("", ".", "..") for s in key.split("/")):
            return None
        return os.path.join(self.st.root, bucket, *key.split("/"))

    def uploads_dir(self, upload_id):
        if not re.fullmatch(r"[0-9a-f]{32}", upload_id or ""):
            return None
        return os.path.join(self.st.root, ".uploads", upload_id)

    def s3(self, method, parts, body):
        raw = unquote(parts.path)
        bucket, _, key = raw.lstrip("/").partition("/")
        q = dict(parse_qsl(parts.query, keep_blank_values=True))
        path = self.object_path(bucket, key)
        if path is None:
            return self.reply(400, s3_error("InvalidRequest", "bad key"))
        if method == "POST" and "uploads" in q:
            upload_id = secrets.token_hex(16)
            os.makedirs(self.uploads_dir(upload_id))
            with open(os.path.join(self.uploads_dir(upload_id), "key"),
                      "w") as f:
                f.write(bucket + "/" + key)
            return self.reply(200, (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws"
                ".com/doc/2006-03-01/\"><Bucket>%s</Bucket><Key>%s</Key>"
                "<UploadId>%s</UploadId></InitiateMultipartUploadResult>"
                % (bucket, key, upload_id)).encode())
        if "uploadId" in q:
            d = self.uploads_dir(q["uploadId"])
            if d is None or not os.path.isdir(d):
                return self.reply(404, s3_error("NoSuchUpload",
                                                "no such upload"))
            if method == "PUT" and "partNumber" in q:
                n = int(q["partNumber"])
                with open(os.path.join(d, "part-%05d" % n), "wb") as f:
                    f.write(body)
                return self.reply(200, headers={
                    "ETag": '"%s"' % hashlib.md5(body).hexdigest()})
            if method == "DELETE":
                for name in os.listdir(d):
                    os.unlink(os.path.join(d, name))
                os.rmdir(d)
                return self.reply(204)
            if method == "POST":
                listed = re.findall(
                    r"<Part><PartNumber>(\d+)</PartNumber>"
                    r"<ETag>(?:&quot;|\")([0-9a-f]{32})(?:&quot;|\")</ETag>"
                    r"</Part>", body.decode())
                if not listed:
                    return self.reply(400, s3_error("MalformedXML", "no part"))
                data = bytearray()
                digests = b""
                for number, etag in listed:
                    p = os.path.join(d, "part-%05d" % int(number))
                    if not os.path.exists(p):
                        return self.reply(400, s3_error("InvalidPart", number))
                    with open(p, "rb") as f:
                        chunk = f.read()
                    if hashlib.md5(chunk).hexdigest() != etag:
                        return self.reply(400, s3_error("InvalidPart", etag))
                    digests += hashlib.md5(chunk).digest()
                    data += chunk
                self.store(path, bytes(data))
                for name in os.listdir(d):
                    os.unlink(os.path.join(d, name))
                os.rmdir(d)
                etag = "%s-%d" % (hashlib.md5(digests).hexdigest(), len(listed))
                return self.reply(200, (
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<CompleteMultipartUploadResult><Bucket>%s</Bucket>"
                    "<Key>%s</Key><ETag>\"%s\"</ETag>"
                    "</CompleteMultipartUploadResult>"
                    % (bucket, key, etag)).encode())
            return self.reply(400, s3_error("InvalidRequest", "method"))
        if method == "PUT":
            self.store(path, body)
            return self.reply(200, headers={
                "ETag": '"%s"' % hashlib.md5(body).hexdigest()})
        if method in ("GET", "HEAD"):
            if not os.path.isfile(path):
                return self.reply(404, s3_error("NoSuchKey", key),
                                  head=method == "HEAD")
            with open(path, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("ETag", '"%s"' % hashlib.md5(data).hexdigest())
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if method == "GET":
                self.wfile.write(data)
            return None
        return self.reply(405, s3_error("MethodNotAllowed", method))

    def store(self, path, data):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".fake-s3-tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--access-key", default="AKIDROOMRECTEST")
    ap.add_argument("--secret-key", default="roomrec/test+secret")
    args = ap.parse_args()
    os.makedirs(args.root, exist_ok=True)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.root, {args.access_key: args.secret_key})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    # the test owns us: exit when it closes our stdin (or dies)
    try:
        while sys.stdin.read(4096):
            pass
    except KeyboardInterrupt:
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
