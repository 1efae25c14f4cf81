#!/usr/bin/python3
# roomrec — reference AWS SigV4 values from botocore for test-s3sign.
# Copyright (C) 2026 roomrec contributors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Prints, one JSON object a line, a table of tricky S3 requests and what
botocore (Debian's python3-botocore, an implementation independent of
gst/core/s3sign.c) signs for them at a fixed time.  tests/unit/test-s3sign.c
runs this, rebuilds every request with its own code and compares.

Two sources:
- "direct": botocore.auth.S3SigV4Auth / S3SigV4QueryAuth on an AWSRequest
  built here.  S3SigV4Auth signs the URL's path as it is (no
  normalisation), so the raw path is first encoded the way botocore's
  serializer encodes an S3 key (botocore.utils.percent_encode, safe "/~").
- "client": a real botocore S3 client (addressing style, endpoint
  resolution, key encoding and all); the request is caught in
  before-send and never leaves the process.  The signed headers the
  request carries (Content-MD5, Content-Type, x-amz-meta-*, ...) are
  printed so that the C side can sign the same ones.

Each line has: kind ("sign" or "presign"), name, method, query (raw
[name, value] pairs), headers (raw [name, value] pairs, without Host and
the x-amz-* headers a signer adds), payload (x-amz-content-sha256), token,
region, service, time (20130524T000000Z), and either host + path (raw) or
endpoint (null: AWS) + bucket + key + addressing; then the expected
authorization (sign) or url (sign: without query; presign: whole).

Exit status 77 when botocore is missing (the test then skips, or fails
with ROOMREC_REQUIRE_BOTOCORE=1).
"""
import contextlib
import datetime
import json
import sys
import unittest.mock
from urllib.parse import unquote, urlsplit

try:
    import botocore
    import botocore.auth
    import botocore.credentials
    import botocore.session
    from botocore.awsrequest import AWSRequest, AWSResponse
    from botocore.config import Config
    from botocore.utils import percent_encode
except ImportError as e:
    print(f"s3sign-botocore: botocore is missing ({e}): "
          "apt-get install python3-botocore", file=sys.stderr)
    sys.exit(77)

AK = "AKIAIOSFODNN7EXAMPLE"
SK = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = ("FwoGZXIvYXdzEJr//////////wEaDOdGvQ9ZJZ2bE0Wb+SKsAd6wF7hEXAMPLE"
         "TOKEN/with+slashes=and=equals==")
T2013 = datetime.datetime(2013, 5, 24, 0, 0, 0)
T2026 = datetime.datetime(2026, 2, 28, 23, 59, 59)
PRESIGN_METHODS = {"get_object": "GET", "put_object": "PUT"}
ADDRESSING = {"auto": None, "path": "path", "virtual-host": "virtual"}
# what a signer adds itself: not part of the request given to the C side
SIGNER_HEADERS = {"host", "x-amz-date", "x-amz-content-sha256",
                  "x-amz-security-token", "authorization"}

# Header-signed requests through S3SigV4Auth.
DIRECT_SIGN = [
    # The AWS S3 documentation's GET Object example: botocore must agree
    # with the published signature (f0e8bdb8...), else the setup is wrong.
    dict(name="aws-get-object", host="examplebucket.s3.amazonaws.com",
         path="/test.txt", headers=[("Range", "bytes=0-9")]),
    dict(name="unicode-key", scheme="http", host="127.0.0.1:9000",
         path="/rec/vidéos/会議 2026/Ünïcødé ファイル.mp4", method="PUT",
         body="hello", headers=[("Content-Type", "video/mp4")]),
    dict(name="spaces-plus-reserved",
         host="bucket.s3.eu-central-1.amazonaws.com",
         path="/a b+c=d&e~f!*'();:@$,[]#?.mp4", region="eu-central-1",
         method="PUT", body="x" * 100),
    dict(name="percent-tilde-doubleslash", host="minio.example.com:9000",
         scheme="http", path="/bucket/100%/~user//file%2F.txt"),
    dict(name="bucket-root", host="examplebucket.s3.amazonaws.com", path="/"),
    dict(name="create-multipart", method="POST",
         host="recordings.s3.ap-northeast-1.amazonaws.com",
         path="/room 1/archive-1.mp4", region="ap-northeast-1",
         query=[("uploads", None)]),
    dict(name="upload-part", method="PUT",
         host="recordings.s3.ap-northeast-1.amazonaws.com",
         path="/room 1/archive-1.mp4", region="ap-northeast-1",
         query=[("uploadId", "VXBsb2FkSUQ+/=.~_-"), ("partNumber", "1")],
         body="part one"),
    dict(name="complete-multipart", method="POST", scheme="http",
         host="127.0.0.1:9000", path="/bucket/k",
         query=[("uploadId", "2~abc/def+ghi=")],
         headers=[("Content-Type", "application/xml")],
         body="<CompleteMultipartUpload></CompleteMultipartUpload>"),
    dict(name="query-tricky", host="b.s3.amazonaws.com", path="/",
         query=[("prefix", "a b+c/é"), ("list-type", "2"), ("x", ""),
                ("a", "2"), ("a", "1"), ("A", "0"), ("delimiter", "/"),
                ("eq", "a=b&c"), ("uni", "日本"),
                # by name, then value: "id" before "id-type" although
                # "id-type=..." sorts before "id=..." as a whole
                ("id-type", "receipt"), ("id", "1"), ("key-type", "s3"),
                ("key", "")]),
    dict(name="header-whitespace", host="b.s3.amazonaws.com", path="/k",
         method="PUT", body="",
         headers=[("X-Amz-Meta-Title", "  a   b \t c  "),
                  ("x-amz-meta-empty", ""),
                  ("x-amz-meta-tabs", "\tx\t\ty\t"),
                  ("Content-Type", "text/plain;  charset=utf-8"),
                  ("x-amz-meta-uni", "café 日本")]),
    dict(name="repeated-header", host="b.s3.amazonaws.com", path="/k",
         headers=[("x-amz-meta-a", "one"), ("X-Amz-Meta-A", " two "),
                  ("x-amz-meta-b", "z")]),
    dict(name="session-token", host="b.s3.us-west-2.amazonaws.com",
         path="/k.mp4", region="us-west-2", token=TOKEN, method="PUT",
         body="data", headers=[("x-amz-storage-class", "STANDARD_IA")]),
    dict(name="unsigned-payload", host="b.s3.eu-west-1.amazonaws.com",
         path="/big.mp4", region="eu-west-1", method="PUT", unsigned=True,
         headers=[("Content-Length", "1048576")]),
    dict(name="r2-auto-region", host="acct.r2.cloudflarestorage.com",
         path="/bucket/file name.webm", region="auto", method="PUT",
         body="webm", time=T2026),
    dict(name="china-region", host="b.s3.cn-north-1.amazonaws.com.cn",
         path="/k", region="cn-north-1", time=T2026),
    dict(name="ipv6-host", scheme="http", host="[::1]:9000",
         path="/bucket/k", method="DELETE"),
    dict(name="garage-region", scheme="http", host="garage.local:3900",
         path="/bucket/k", region="garage", token="tok",
         query=[("versionId", "null")]),
]

# Presigned URLs through S3SigV4QueryAuth.
DIRECT_PRESIGN = [
    dict(name="aws-presign-doc", host="examplebucket.s3.amazonaws.com",
         path="/test.txt", expires=86400),
    dict(name="presign-put-content-type", method="PUT", scheme="http",
         host="127.0.0.1:9000", path="/bucket/vidéo 1+2.mp4", expires=900,
         headers=[("Content-Type", "video/mp4")]),
    dict(name="presign-token-query", host="b.s3.eu-west-3.amazonaws.com",
         path="/a/b c.txt", region="eu-west-3", token=TOKEN, expires=604800,
         query=[("response-content-disposition",
                 "attachment; filename=\"a b.mp4\""),
                ("response-content-type", "video/mp4")], time=T2026),
]

# Through a real S3 client.
CLIENT = [
    dict(name="client-presign-doc", op="get_object", region="us-east-1",
         bucket="examplebucket", key="test.txt", presign=86400),
    dict(name="client-presign-dotted-auto", op="get_object",
         region="eu-central-1", bucket="my.dotted.bucket",
         key="a b/c+d=e.mp4", presign=3600),
    dict(name="client-presign-path-unicode", op="put_object",
         region="eu-central-1", addressing="path", bucket="examplebucket",
         key="vidéo/会議/ファイル~1.mp4", presign=600,
         params={"ContentType": "video/mp4"}),
    dict(name="client-presign-minio", op="get_object", region="us-east-1",
         endpoint="http://127.0.0.1:9000", addressing="path", bucket="rec",
         key="room/archive-x.webm", presign=60, token=TOKEN),
    dict(name="client-presign-virtual-custom", op="get_object",
         region="us-east-1", endpoint="https://minio.example.com",
         addressing="virtual-host", bucket="bucket", key="x~y", presign=120),
    dict(name="client-presign-ipv6", op="get_object", region="us-east-1",
         endpoint="http://[::1]:9000", addressing="path", bucket="bucket",
         key="k", presign=5),
    dict(name="client-put-aws", op="put_object", region="us-east-1",
         bucket="examplebucket", key="test.txt", token="tok",
         params={"Body": b"hello", "ContentType": "video/mp4",
                 "Metadata": {"title": "  a   b "}}),
    dict(name="client-put-minio", op="put_object", region="us-east-1",
         endpoint="http://127.0.0.1:9000", addressing="path",
         bucket="bucket", key="a b+c/ü.mp4",
         params={"Body": b"hello", "ContentType": "video/mp4"}),
    dict(name="client-create-multipart", op="create_multipart_upload",
         region="eu-west-1", endpoint="http://minio:9000",
         addressing="path", bucket="bucket", key="room/a.mp4",
         params={"ContentType": "video/mp4"}),
    dict(name="client-upload-part", op="upload_part", region="eu-west-1",
         endpoint="https://s3.example.net:8443", addressing="path",
         bucket="bucket", key="room/a.mp4",
         params={"PartNumber": 7, "UploadId": "abc+/=~x", "Body": b"p"}),
    dict(name="client-complete-multipart", op="complete_multipart_upload",
         region="eu-west-1", bucket="recordings", key="room/a.mp4",
         params={"UploadId": "u-1", "MultipartUpload": {"Parts": [
             {"ETag": "\"e1\"", "PartNumber": 1}]}}),
    dict(name="client-list-v2", op="list_objects_v2", region="sa-east-1",
         bucket="recordings", key=None,
         params={"Prefix": "room 1/", "Delimiter": "/", "MaxKeys": 10}),
    dict(name="client-head-cn", op="head_object", region="cn-north-1",
         bucket="recordings", key="k", time=T2026),
]


class _FrozenTime(datetime.datetime):
    now_value = T2013

    @classmethod
    def utcnow(cls):
        return cls.now_value


def frozen_clock():
    """botocore 1.29 (bookworm) reads datetime.datetime.utcnow(); newer
    versions botocore.auth.get_current_datetime()."""
    stack = contextlib.ExitStack()
    stack.enter_context(unittest.mock.patch.object(
        botocore.auth.datetime, "datetime", _FrozenTime))
    if hasattr(botocore.auth, "get_current_datetime"):
        stack.enter_context(unittest.mock.patch.object(
            botocore.auth, "get_current_datetime",
            lambda *args, **kwargs: _FrozenTime.now_value))
    return stack


def client_config(style):
    options = dict(signature_version="s3v4",
                   s3={"addressing_style": style} if style else None,
                   retries={"max_attempts": 0})
    try:
        # botocore >= 1.36 adds CRC checksums (and streaming trailers) to
        # uploads by default; bookworm's 1.29 has no such option
        return Config(request_checksum_calculation="when_required",
                      **options)
    except TypeError:
        return Config(**options)


def amz(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


def decode_query(query):
    """Raw [name, value] pairs of an encoded query string."""
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append([unquote(name), unquote(value)])
    return pairs


def header_str(v):
    return v.decode("utf-8") if isinstance(v, bytes) else v


def base(case, kind):
    out = {
        "kind": kind,
        "name": case["name"],
        "method": case.get("method", "GET"),
        "query": [list(q) for q in case.get("query", [])],
        "headers": [list(h) for h in case.get("headers", [])],
        "token": case.get("token"),
        "region": case.get("region", "us-east-1"),
        "service": "s3",
        "time": amz(case.get("time", T2013)),
    }
    if "host" in case:
        out["host"] = case["host"]
        out["path"] = case["path"]
    return out


def creds(case):
    return botocore.credentials.Credentials(AK, SK, case.get("token"))


def direct_request(case):
    scheme = case.get("scheme", "https")
    url = "%s://%s%s" % (scheme, case["host"],
                         percent_encode(case["path"], safe="/~"))
    body = case.get("body")
    req = AWSRequest(method=case.get("method", "GET"), url=url,
                     data=body.encode() if body is not None else None)
    for name, value in case.get("headers", []):
        req.headers[name] = value       # HTTPHeaders appends repeats
    return req


def run_direct_sign(case):
    req = direct_request(case)
    if case.get("query"):
        req.params = [(k, "" if v is None else v) for k, v in case["query"]]
    if case.get("unsigned"):
        class _Cfg:
            s3 = {"payload_signing_enabled": False}
        req.context["client_config"] = _Cfg()
    _FrozenTime.now_value = case.get("time", T2013)
    botocore.auth.S3SigV4Auth(creds(case), "s3",
                              case.get("region", "us-east-1")).add_auth(req)
    out = base(case, "sign")
    out["payload"] = header_str(req.headers["X-Amz-Content-SHA256"])
    if case.get("body") is not None:
        out["body"] = case["body"]
    out["authorization"] = header_str(req.headers["Authorization"])
    return out


def run_direct_presign(case):
    req = direct_request(case)
    if case.get("query"):
        req.params = {k: v for k, v in case["query"]}
    _FrozenTime.now_value = case.get("time", T2013)
    botocore.auth.S3SigV4QueryAuth(creds(case), "s3",
                                   case.get("region", "us-east-1"),
                                   expires=case["expires"]).add_auth(req)
    out = base(case, "presign")
    out["expires"] = case["expires"]
    out["url"] = req.url
    return out


class _Body:
    def __init__(self, content):
        self.content = content

    def stream(self, *args, **kwargs):
        yield self.content


def run_client(case):
    captured = {}

    def before_send(request, **kwargs):
        captured["request"] = request
        # S3 answers CompleteMultipartUpload with a body even on success
        # (an empty one is taken for an error)
        body = (b"<CompleteMultipartUploadResult/>"
                if case["op"] == "complete_multipart_upload" else b"")
        return AWSResponse(request.url, 200, {}, _Body(body))

    style = ADDRESSING[case.get("addressing", "auto")]
    config = client_config(style)
    client = botocore.session.get_session().create_client(
        "s3", region_name=case["region"], endpoint_url=case.get("endpoint"),
        aws_access_key_id=AK, aws_secret_access_key=SK,
        aws_session_token=case.get("token"), config=config)
    client.meta.events.register("before-send.s3", before_send)
    params = dict(case.get("params", {}))
    params["Bucket"] = case["bucket"]
    if case.get("key") is not None:
        params["Key"] = case["key"]
    _FrozenTime.now_value = case.get("time", T2013)

    out = base(case, "presign" if "presign" in case else "sign")
    out.update(endpoint=case.get("endpoint"), bucket=case["bucket"],
               key=case.get("key"),
               addressing=case.get("addressing", "auto"))
    if "presign" in case:
        # generate_presigned_url does not hand out the request: the method
        # and the signed headers other than host come from the operation
        out["method"] = PRESIGN_METHODS[case["op"]]
        url = client.generate_presigned_url(case["op"], Params=params,
                                            ExpiresIn=case["presign"])
        parts = urlsplit(url)
        query = decode_query(parts.query)
        signed = dict(query)["X-Amz-SignedHeaders"].split(";")
        out["query"] = [q for q in query if not q[0].startswith("X-Amz-")]
        out["expires"] = case["presign"]
        out["url"] = url
        out["headers"] = []
        if "content-type" in signed:
            out["headers"].append(["Content-Type",
                                   params["ContentType"]])
        if set(signed) - {"host", "content-type"}:
            raise SystemExit("unexpected signed headers %r" % signed)
        return out

    getattr(client, case["op"])(**params)
    req = captured["request"]
    parts = urlsplit(req.url)
    auth = header_str(req.headers["Authorization"])
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    out["method"] = req.method
    out["query"] = decode_query(parts.query)
    out["headers"] = [[name, header_str(req.headers[name])]
                      for name in signed if name not in SIGNER_HEADERS]
    out["payload"] = header_str(req.headers["X-Amz-Content-SHA256"])
    out["url"] = "%s://%s%s" % (parts.scheme, parts.netloc, parts.path)
    out["authorization"] = auth
    return out


def main():
    print("# botocore %s" % botocore.__version__, file=sys.stderr)
    with frozen_clock():
        rows = [run_direct_sign(c) for c in DIRECT_SIGN]
        rows += [run_direct_presign(c) for c in DIRECT_PRESIGN]
        rows += [run_client(c) for c in CLIENT]
    # Self-check against the AWS documentation: a botocore that does not
    # reproduce the published examples means the harness is wrong.
    published = {
        "aws-get-object": "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48"
                          "dd91039c6036bdb41",
        "aws-presign-doc": "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c2659"
                           "57d157751f604d404",
        "client-presign-doc": "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c"
                              "265957d157751f604d404",
    }
    for row in rows:
        want = published.get(row["name"])
        got = row.get("authorization") or row.get("url")
        if want and not got.endswith("Signature=" + want):
            raise SystemExit("botocore disagrees with the AWS documentation "
                             "on %s: %s" % (row["name"], got))
    for row in rows:
        print(json.dumps(row, sort_keys=True))


if __name__ == "__main__":
    main()
