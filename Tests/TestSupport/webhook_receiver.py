#!/usr/bin/env python3
"""A webhook receiver for tests: appends each POST body (one JSON per line) to a
file and answers 200, after an optional delay.

Usage: webhook_receiver.py PORT OUTPUT_FILE [DELAY_SECONDS]
"""
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, OUTPUT = int(sys.argv[1]), sys.argv[2]
DELAY = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(DELAY)
        with open(OUTPUT, "ab") as handle:
            handle.write(body + b"\n")
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
