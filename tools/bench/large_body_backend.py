#!/usr/bin/env python3
"""large_body_backend: the upstream of large_body_bench.py, a minimal HTTP/1.1 server on 127.0.0.1.

  GET  /download  answers 200 with the file given by --file (sendfile(2), no copy in Python)
  PUT or POST /upload  reads the whole body (Content-Length or chunked) into a 1 MiB buffer that
                 is overwritten each time, then answers 200 with the number of body bytes read,
                 so the benchmark can check that every byte arrived
Anything else gets 404. Connections are kept alive, one thread each. nginx as a backend was left
out on purpose: a `return 200` location answers before the body is read (it discards it in the
background), and the handlers that do read it first write it to a temp file.

Usage: large_body_backend.py --port PORT --file PATH
"""

import argparse
import os
import socketserver
import sys

RECV_BUFFER = 1 << 20
MAX_HEAD = 64 * 1024


class BadRequest(Exception):
    pass


class Connection:
    """One client connection: buffered reads of heads, lines and bodies."""

    def __init__(self, sock):
        self.sock = sock
        self.pending = bytearray()
        self.scratch = bytearray(RECV_BUFFER)
        self.view = memoryview(self.scratch)

    def _fill(self):
        n = self.sock.recv_into(self.view)
        if n == 0:
            raise EOFError
        self.pending += self.view[:n]

    def read_until(self, marker, limit=MAX_HEAD):
        while True:
            at = self.pending.find(marker)
            if at >= 0:
                out = bytes(self.pending[:at])
                del self.pending[:at + len(marker)]
                return out
            if len(self.pending) > limit:
                raise BadRequest("head too large")
            self._fill()

    def discard(self, count):
        """Reads and drops `count` body bytes; returns how many it read."""
        left = count
        take = min(left, len(self.pending))
        del self.pending[:take]
        left -= take
        while left > 0:
            n = self.sock.recv_into(self.view, min(left, RECV_BUFFER))
            if n == 0:
                raise EOFError
            left -= n
        return count

    def discard_chunked(self):
        total = 0
        while True:
            size = int(self.read_until(b"\r\n").split(b";", 1)[0], 16)
            if size == 0:
                while self.read_until(b"\r\n"):  # trailers, up to the empty line
                    pass
                return total
            total += self.discard(size)
            if self.read_until(b"\r\n") != b"":
                raise BadRequest("bad chunk end")


def parse_head(raw):
    lines = raw.decode("latin-1").split("\r\n")
    method, target, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, target, headers


def head_bytes(status, length, content_type, keep_alive):
    close = "" if keep_alive else "Connection: close\r\n"
    return (f"HTTP/1.1 {status}\r\nContent-Length: {length}\r\n"
            f"Content-Type: {content_type}\r\n{close}\r\n").encode()


def respond(sock, status, body, keep_alive):
    sock.sendall(head_bytes(status, len(body), "text/plain", keep_alive) + body)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        conn = Connection(self.request)
        try:
            while self.serve_one(conn):
                pass
        except (EOFError, ConnectionError, BadRequest, ValueError):
            pass

    def serve_one(self, conn):
        method, target, headers = parse_head(conn.read_until(b"\r\n\r\n"))
        keep_alive = headers.get("connection", "").lower() != "close"
        if headers.get("expect", "").lower() == "100-continue":
            self.request.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            received = conn.discard_chunked()
        else:
            received = conn.discard(int(headers.get("content-length", "0")))
        path = target.split("?", 1)[0]
        if path == "/download" and method in ("GET", "HEAD"):
            self.send_file(method == "HEAD", keep_alive)
        elif path == "/upload" and method in ("PUT", "POST"):
            respond(self.request, "200 OK", f"{received}\n".encode(), keep_alive)
        else:
            respond(self.request, "404 Not Found", b"not found\n", keep_alive)
        return keep_alive

    def send_file(self, head_only, keep_alive):
        path = self.server.file_path
        size = os.path.getsize(path)
        self.request.sendall(head_bytes("200 OK", size, "application/octet-stream", keep_alive))
        if not head_only:
            with open(path, "rb") as f:
                self.request.sendfile(f)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    p = argparse.ArgumentParser(description="download/upload backend for large_body_bench.py")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--file", required=True, help="the file GET /download serves")
    args = p.parse_args()
    if not os.path.isfile(args.file):
        print(f"large_body_backend: {args.file}: no such file", file=sys.stderr)
        return 2
    with Server(("127.0.0.1", args.port), Handler) as server:
        server.file_path = args.file
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
