#!/usr/bin/python3
"""An upstream that closes idle connections, as stock servers do, for the integration tests.

Python's own http.server (ThreadingHTTPServer, HTTP/1.1, keep-alive) with a socket timeout: a
connection on which no request arrives within IDLE_SECONDS is closed, fresh ones included, like
Node's headersTimeout/keepAliveTimeout or Apache's Timeout. A router that takes an upstream
connection before it has anything to send loses it this way.

Every request is answered 200 with "<method> <path> <body length>" as text (the body is read in
full by Content-Length). Prints "idle-timeout-upstream listening on http://127.0.0.1:PORT".

Usage: idle_timeout_upstream.py IDLE_SECONDS
"""
import http.server
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = float(sys.argv[1])

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        text = f"{self.command} {self.path} {len(body)}".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = do_PUT = answer

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(f"idle-timeout-upstream listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
