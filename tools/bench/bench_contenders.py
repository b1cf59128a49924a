"""The contenders of proxy_bench.py: backends, nginx and HAProxy as proxies, strangler-router.

Each start_* function writes its configuration into the run's temp dir, starts the process on a
free 127.0.0.1 port through Processes (so it is stopped by pid at the end) and returns the port.
The rule sets of the router are made with stranglerctl, as a user would (the 100,000-route one
for the reload check is cloned in SQL, see make_large_db).
"""

import os
import shutil
import sqlite3
import subprocess
import time
import urllib.request

from bench_procs import free_port, wait_for_port

# About 100 bytes of JSON, the same for every request.
BODY = '{"id":42,"name":"strangler-bench","status":"ok","items":[1,2,3],"note":"fixed benchmark body"}'

NGINX_EVENTS = """
worker_rlimit_nofile 16384;
events { worker_connections 8192; }
"""


def _nginx_prelude(tmp, name, workers):
    return f"""
daemon off;
master_process on;
worker_processes {workers};
pid {tmp}/{name}.pid;
error_log {tmp}/{name}.error.log warn;
{NGINX_EVENTS}
"""


def _nginx_temp_paths(tmp, name):
    paths = ""
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        paths += f"  {kind}_temp_path {tmp}/{name}-{kind};\n"
    return paths


def start_backend(procs, tmp, name):
    """nginx, 1 worker, answering every request with BODY (and X-Served-By: name)."""
    port = free_port()
    conf = _nginx_prelude(tmp, name, 1) + f"""
http {{
  access_log off;
{_nginx_temp_paths(tmp, name)}
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  server {{
    listen 127.0.0.1:{port} reuseport backlog=4096;
    default_type application/json;
    location / {{
      add_header X-Served-By {name} always;
      return 200 '{BODY}';
    }}
  }}
}}
"""
    path = os.path.join(tmp, f"{name}.conf")
    with open(path, "w") as f:
        f.write(conf)
    proc = procs.start(name, ["nginx", "-p", tmp, "-c", path, "-e", f"{tmp}/{name}.error.log"])
    wait_for_port(port, proc=proc)
    return port, proc


def start_nginx_proxy(procs, tmp, backend_port, mirror_port=None, name=None, directives=""):
    """nginx as reverse proxy: 2 workers, upstream keepalive, no access log. With `mirror_port`,
    every request is also mirrored there (ngx_http_mirror_module): the peer of 100% shadowing,
    though nginx only sends the copy and compares nothing. `directives` go into the http block
    (large_body_bench.py lifts the body limit and turns buffering off with them)."""
    name = name or ("nginx-mirror" if mirror_port else "nginx-proxy")
    port = free_port()
    mirror_upstream = f"""
  upstream shadow {{
    server 127.0.0.1:{mirror_port};
    keepalive 256;
    keepalive_requests 1000000;
  }}""" if mirror_port else ""
    mirror = """
      mirror /mirror;""" if mirror_port else ""
    mirror_location = """
    location = /mirror {
      internal;
      proxy_pass http://shadow$request_uri;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }""" if mirror_port else ""
    conf = _nginx_prelude(tmp, name, 2) + f"""
http {{
  access_log off;
{_nginx_temp_paths(tmp, name)}
  keepalive_requests 1000000;
  {directives}
  upstream backend {{
    server 127.0.0.1:{backend_port};
    keepalive 256;
    keepalive_requests 1000000;
  }}{mirror_upstream}
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{{mirror}
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}{mirror_location}
  }}
}}
"""
    path = os.path.join(tmp, f"{name}.conf")
    with open(path, "w") as f:
        f.write(conf)
    proc = procs.start(name, ["nginx", "-p", tmp, "-c", path, "-e", f"{tmp}/{name}.error.log"])
    wait_for_port(port, proc=proc)
    return port, proc


def start_haproxy(procs, tmp, backend_port):
    """HAProxy: nbthread 2, http-reuse always, no logging."""
    port = free_port()
    conf = f"""
global
  nbthread 2
  maxconn 8000
defaults
  mode http
  option http-keep-alive
  http-reuse always
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
frontend bench
  bind 127.0.0.1:{port}
  default_backend backend
backend backend
  server b1 127.0.0.1:{backend_port}
"""
    path = os.path.join(tmp, "haproxy.cfg")
    with open(path, "w") as f:
        f.write(conf)
    proc = procs.start("haproxy", ["haproxy", "-db", "-f", path])
    wait_for_port(port, proc=proc)
    return port, proc


def ctl(ctl_bin, db, *args, check=True):
    """One stranglerctl command on `db`; returns the CompletedProcess."""
    done = subprocess.run([ctl_bin, "--db", db, *args], capture_output=True, text=True,
                          timeout=60)
    if check and done.returncode != 0:
        raise RuntimeError(f"stranglerctl {' '.join(args)}: {done.stderr.strip()}")
    return done


def make_router_db(ctl_bin, tmp, backend_port, extra_routes):
    """The benchmark's rule set: /api to the backend plus `extra_routes` other routes, all made
    with stranglerctl, one invocation each. That takes minutes on a busy machine, so the result
    is cached in ~/.cache/strangler-bench (keyed by the route count and stranglerctl's build) and
    a later run only points the targets at this run's backend. Returns (db path, seconds the
    routes took to add, or None when the cache served them)."""
    db = os.path.join(tmp, "router.db")
    url = f"http://127.0.0.1:{backend_port}"
    cache_dir = os.path.join(os.path.expanduser("~"), ".cache", "strangler-bench")
    stamp = int(os.stat(ctl_bin).st_mtime)
    cached = os.path.join(cache_dir, f"routes-{extra_routes}-{stamp}.db")
    if os.path.exists(cached):
        copy_db(cached, db)
        ctl(ctl_bin, db, "target", "set", "legacy", "--url", url)
        ctl(ctl_bin, db, "target", "set", "api", "--url", url)
        return db, None
    ctl(ctl_bin, db, "init", "--legacy", url)
    ctl(ctl_bin, db, "target", "add", "api", url)
    ctl(ctl_bin, db, "route", "add", "/api", "--to", "api")
    started = time.monotonic()
    for i in range(extra_routes):
        shape = ("/svc{}/items", "/svc{}/orders/*", "/v2/svc{}/customers/*/orders")[i % 3]
        ctl(ctl_bin, db, "route", "add", shape.format(i), "--to", "legacy" if i % 2 else "api")
    took = time.monotonic() - started
    os.makedirs(cache_dir, exist_ok=True)
    copy_db(db, cached)
    return db, took


def copy_db(db, dest):
    """A copy of a rule set taken through SQLite's backup API (WAL contents included)."""
    with sqlite3.connect(db) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    return dest


def add_shadow(ctl_bin, db, shadow_port):
    """Mirrors 100% of /api to the shadow backend; returns an error text when the router build
    has no shadowing yet, else None."""
    done = ctl(ctl_bin, db, "target", "add", "shadow", f"http://127.0.0.1:{shadow_port}",
               check=False)
    if done.returncode != 0:
        return done.stderr.strip()
    done = ctl(ctl_bin, db, "route", "shadow", "/api", "--to", "shadow", "--percent", "100",
               check=False)
    return done.stderr.strip() or "failed" if done.returncode != 0 else None


def make_large_db(ctl_bin, tmp, primary_port, other_port, count):
    """A rule set with `count` routes for the reload check. /flip (to target a) is made with
    stranglerctl; the other routes clone that row in one SQL transaction (count stranglerctl
    runs would take minutes), with literal, unambiguous patterns. Returns the db path."""
    db = os.path.join(tmp, "large.db")
    ctl(ctl_bin, db, "init", "--legacy", f"http://127.0.0.1:{primary_port}")
    ctl(ctl_bin, db, "target", "add", "a", f"http://127.0.0.1:{primary_port}")
    ctl(ctl_bin, db, "target", "add", "b", f"http://127.0.0.1:{other_port}")
    ctl(ctl_bin, db, "route", "add", "/flip", "--to", "a")
    with sqlite3.connect(db) as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(routes)") if r[1] not in ("id",)]
        rest = [c for c in cols if c != "pattern"]
        template = conn.execute("SELECT id FROM routes WHERE pattern = '/flip'").fetchone()[0]
        sql = (f"INSERT INTO routes (pattern, {', '.join(rest)}) "
               f"SELECT ?, {', '.join(rest)} FROM routes WHERE id = ?")
        conn.executemany(sql, ((f"/r{i}/items", template) for i in range(1, count)))
        conn.execute("UPDATE meta SET value = value + 1 WHERE key = 'rules_version'")
    return db


def start_router(procs, router_bin, db, name, threads, extra=()):
    """strangler-router on free ports; returns (port, process)."""
    port, admin = free_port(), free_port()
    argv = [router_bin, "--db", db, "--listen", f"127.0.0.1:{port}", "--admin",
            f"127.0.0.1:{admin}", "--threads", str(threads), *extra]
    proc = procs.start(name, argv)
    proc.admin_port = admin
    wait_for_port(port, timeout=60, proc=proc)
    return port, proc


def shadow_totals(admin_port):
    """The router's shadow counters summed over routes, from its /metrics: how many copies were
    compared (matched, mismatched or failed) and how many were dropped or skipped."""
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    totals = {"compared": 0, "dropped": 0, "skipped": 0}
    names = {"strangler_shadow_comparisons_total": "compared",
             "strangler_shadow_dropped_total": "dropped",
             "strangler_shadow_skipped_total": "skipped"}
    for line in text.splitlines():
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name in names:
            totals[names[name]] += int(float(line.rsplit(" ", 1)[1]))
    return totals


def find_binaries(repo):
    """The release build's router and stranglerctl (build them first)."""
    router = os.path.join(repo, "build/release/router/strangler-router")
    ctl_bin = os.path.join(repo, "build/release/tools/stranglerctl")
    for path in (router, ctl_bin):
        if not os.access(path, os.X_OK):
            raise SystemExit(f"proxy_bench: {path} not found; build the release preset first")
    for tool in ("wrk", "nginx", "haproxy"):
        if shutil.which(tool) is None:
            raise SystemExit(f"proxy_bench: {tool} not found; run tools/install-deps.sh --bench")
    return router, ctl_bin
