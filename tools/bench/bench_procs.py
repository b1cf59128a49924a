"""Process, port and wrk helpers for proxy_bench.py (python3 standard library only).

Every process the benchmark starts goes through Processes.start(), which remembers its pid so
that Processes.stop_all() can end exactly those processes (SIGTERM, then SIGKILL) however the run
ends. run_wrk() runs one wrk measurement and returns its numbers, parsed from a JSON line that the
Lua script below prints in done(): wrk's own --latency output has no p99.9.
"""

import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import time

# Printed by wrk's done() callback: requests, errors and latency percentiles (microseconds).
WRK_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"timeouts":%d,"non_2xx":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
"""


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=10.0, proc=None):
    """Waits until 127.0.0.1:port accepts connections; raises if it does not in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args[0]} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


class Processes:
    """The processes this run started, stopped by pid at the end."""

    def __init__(self, log_dir):
        self.log_dir = log_dir
        self.procs = []

    def start(self, name, argv, env=None):
        out = open(os.path.join(self.log_dir, f"{name}.log"), "wb")
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                stdin=subprocess.DEVNULL)
        out.close()
        self.procs.append((name, proc))
        return proc

    def stop(self, proc, timeout=5.0):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        self.procs = [(n, p) for n, p in self.procs if p is not proc]

    def stop_all(self):
        for _, proc in reversed(list(self.procs)):
            try:
                self.stop(proc)
            except Exception:  # keep stopping the others
                pass


def peak_rss_kib(pid):
    """VmHWM (peak resident set) of a process in KiB, or None when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_wrk(url, connections, duration, lua_path, threads=2, timeout_s=5):
    """One wrk run; returns its numbers (requests/s, latencies in ms, errors)."""
    argv = ["wrk", f"-t{min(threads, connections)}", f"-c{connections}", f"-d{int(duration)}s",
            f"--timeout={timeout_s}s", "-s", lua_path, url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            raw = json.loads(line[len("BENCH_JSON "):])
            break
    else:
        raise RuntimeError(f"wrk printed no result: {done.stdout[-300:]} {done.stderr[-300:]}")
    seconds = raw["duration_us"] / 1e6
    return {
        "rps": raw["requests"] / seconds if seconds > 0 else 0.0,
        "requests": raw["requests"],
        "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000, "p999_ms": raw["p999_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["write_errors"]
        + raw["timeouts"],
        "non_2xx": raw["non_2xx"],
    }


def load_average():
    with open("/proc/loadavg") as f:
        return [float(x) for x in f.read().split()[:3]]


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def save_report(report, out_dir, suffix=""):
    """Writes `report` as <date>-<host><suffix>.json in `out_dir`, and copies it to
    latest<suffix>.json."""
    os.makedirs(out_dir, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H%M")
    path = os.path.join(out_dir, f"{stamp}-{socket.gethostname()}{suffix}.json")
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    latest = f"latest{suffix}.json"
    shutil.copyfile(path, os.path.join(out_dir, latest))
    print(f"wrote {path} (and {latest})")
