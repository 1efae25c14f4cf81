#!/usr/bin/python3
"""A webhook receiver for the launcher tests: every POST is appended to
FILE as one JSON line {"headers": {...}, "body": "..."} and answered 200.

usage: webhook-receiver.py FILE [PORT]
    prints "PORT <n>" once listening (on PORT, default any free one);
    exits when stdin closes
"""
import http.server
import json
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n).decode("utf-8")
        with self.server.lock, open(self.server.out, "a") as f:
            f.write(json.dumps({"headers": dict(self.headers.items()),
                                "body": body}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def main():
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.out = sys.argv[1]
    server.lock = threading.Lock()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
