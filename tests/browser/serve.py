#!/usr/bin/python3
"""Loopback HTTP server for the browser tests (tests/integration/hlsjs.sh).

usage: serve.py ROOT RESULT_FILE PORT_FILE

Serves the files under ROOT on 127.0.0.1 at a free port, which it writes
to PORT_FILE once it listens.  The page under test reports back with
  POST /log     one line of progress, copied to stderr (the server log)
  POST /result  its verdict (JSON), written to RESULT_FILE (atomically)
It runs until it is killed.
"""

import functools
import http.server
import os
import sys


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".m3u8": "application/vnd.apple.mpegurl",
        ".ts": "video/mp2t",
        ".js": "text/javascript",
        ".html": "text/html",
    }

    def __init__(self, *args, result_file, **kwargs):
        self.result_file = result_file
        super().__init__(*args, **kwargs)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/log":
            sys.stderr.write("page: " + body.decode("utf-8", "replace") + "\n")
        elif self.path == "/result":
            tmp = self.result_file + ".tmp"
            with open(tmp, "wb") as f:
                f.write(body)
            os.replace(tmp, self.result_file)
        else:
            self.send_error(404)
            return
        self.send_response(204)
        self.end_headers()

    def log_message(self, fmt, *args):
        sys.stderr.write("http: " + (fmt % args) + "\n")


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    root, result_file, port_file = sys.argv[1:]
    handler = functools.partial(Handler, directory=root,
                                result_file=os.path.abspath(result_file))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, port_file)
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
