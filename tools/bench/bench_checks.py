"""The reload check and the connection check of proxy_bench.py.

Reload check: a router with a large rule set serves /flip under wrk load; `stranglerctl route
flip /flip --to b` runs in the middle, while a poller asks every few milliseconds on its own
keep-alive connection which target answered (X-Strangler-Target). Reported: how long the flip
command took, how long after it returned the change was visible, and the failed requests (wrk's
socket errors and non-2xx, and the poller's failures) during the whole run.

Connection check: p99 of 64 active connections with and without 2,000 idle keep-alive
connections held open (each has served one request, then stays silent), alternating.
"""

import http.client
import socket
import threading
import time

from bench_contenders import ctl, make_large_db, start_router
from bench_procs import peak_rss_kib, run_wrk


class TargetPoller(threading.Thread):
    """Asks `path` over one keep-alive connection until stopped; remembers when the answer first
    came from `wanted` and how many requests failed."""

    def __init__(self, port, path, wanted):
        super().__init__(daemon=True)
        self.port, self.path, self.wanted = port, path, wanted
        self.seen_at = None
        self.failures = 0
        self.requests = 0
        self.stop_event = threading.Event()

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        while not self.stop_event.is_set():
            try:
                conn.request("GET", self.path)
                response = conn.getresponse()
                response.read()
                self.requests += 1
                if response.status != 200:
                    self.failures += 1
                elif (self.seen_at is None
                      and response.getheader("X-Strangler-Target") == self.wanted):
                    self.seen_at = time.monotonic()
            except (OSError, http.client.HTTPException):
                self.failures += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            time.sleep(0.002)
        conn.close()


def reload_check(procs, ctx, routes, load_seconds):
    """Flips one route of a `routes`-route rule set during load; returns the measurements."""
    db = make_large_db(ctx.ctl_bin, ctx.tmp, ctx.backend_port, ctx.shadow_port, routes)
    started = time.monotonic()
    port, proc = start_router(procs, ctx.router_bin, db, "router-reload", ctx.threads)
    startup_s = time.monotonic() - started
    url = f"http://127.0.0.1:{port}/flip/items/1"
    poller = TargetPoller(port, "/flip/items/2", "b")
    poller.start()
    result = {}
    load = threading.Thread(target=lambda: result.update(
        run_wrk(url, 64, load_seconds, ctx.lua, ctx.wrk_threads)))
    load.start()
    time.sleep(load_seconds / 3)
    flip_started = time.monotonic()
    ctl(ctx.ctl_bin, db, "route", "flip", "/flip", "--to", "b")
    flip_done = time.monotonic()
    load.join()
    load_ended = time.monotonic()
    deadline = time.monotonic() + 30  # a slow reload still gets measured, after the load
    while poller.seen_at is None and time.monotonic() < deadline and poller.is_alive():
        time.sleep(0.05)
    live_during_load = poller.seen_at is not None and poller.seen_at <= load_ended
    poller.stop_event.set()
    poller.join(10)
    rss = peak_rss_kib(proc.pid)
    procs.stop(proc)
    visible = poller.seen_at
    return {
        "routes": routes,
        "router_start_s": round(startup_s, 3),
        "flip_command_s": round(flip_done - flip_started, 3),
        "live_after_command_s": round(visible - flip_done, 3) if visible else None,
        "live_after_start_of_command_s": round(visible - flip_started, 3) if visible else None,
        "live_while_loaded": live_during_load,
        "load_rps": round(result.get("rps", 0.0)),
        "load_socket_errors": result.get("socket_errors"),
        "load_non_2xx": result.get("non_2xx"),
        "poller_requests": poller.requests,
        "poller_failures": poller.failures,
        "router_peak_rss_mib": round(rss / 1024, 1) if rss else None,
    }


def open_idle(port, count):
    """`count` keep-alive connections that have each served one request and now stay silent."""
    request = b"GET /api/idle HTTP/1.1\r\nHost: bench\r\n\r\n"
    sockets = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(request)
        sockets.append(s)
    for s in sockets:
        data = b""
        while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError("an idle connection was closed before its first answer")
            data += chunk
    return sockets


def idle_check(ports, ctx, rounds, duration, idle_count):
    """For each contender in `ports` ({name: port}): p99 at 64 connections without and with
    `idle_count` idle connections, alternating; medians and the ratio with/without."""
    runs = {name: {"without": [], "with": []} for name in ports}
    for _ in range(rounds):
        for name, port in ports.items():
            url = f"http://127.0.0.1:{port}/api/items/42"
            runs[name]["without"].append(run_wrk(url, 64, duration, ctx.lua, ctx.wrk_threads))
            sockets = open_idle(port, idle_count)
            try:
                runs[name]["with"].append(run_wrk(url, 64, duration, ctx.lua, ctx.wrk_threads))
            finally:
                for s in sockets:
                    s.close()
    return runs
