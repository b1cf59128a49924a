#!/usr/bin/env python3
"""large_body_bench: one large download and one large upload through each proxy, in one run.

Starts large_body_backend.py (GET /download serves a file of random bytes with sendfile; PUT
/upload reads the whole body and answers with its byte count), then moves --size-mb MB (50) each
way with curl, one transfer at a time, through:
  direct            the backend itself (the ceiling: if the proxies come near it, the backend
                    or curl is the limit, not the proxy)
  router            strangler-router, 2 I/O threads, default --relay-buffer (16 KiB)
  nginx             nginx as reverse proxy with its defaults: proxy_buffering and
                    proxy_request_buffering on (an upload is read whole into a temp file before
                    it is sent upstream; a download is buffered as fast as the client takes it),
                    client_max_body_size lifted
  nginx-unbuffered  the same with proxy_buffering off and proxy_request_buffering off: streams
                    both ways, as the router does
  haproxy           HAProxy, nbthread 2, http-reuse always (streams)
Every contender runs --transfers transfers (3) per direction in each of --rounds rounds (5),
interleaved and rotated as in proxy_bench.py; a round's figure is the median of its transfers,
a contender's the median of its rounds, and the ratios router/nginx, router/nginx-unbuffered and
router/haproxy are medians of the per-round ratios. Every transfer is checked: status 200, all
bytes downloaded, and the backend's count of uploaded bytes equal to the file size.
Memory: the router's VmRSS and VmHWM after the warm-up, after every round and at the end.
Prints the load average, a table, and writes JSON to
tools/bench/results/<date>-<host>-large-bodies.json (and latest-large-bodies.json). Every process
it starts is stopped by pid at the end, on error or Ctrl-C too.

Usage: tools/bench/large_body_bench.py [--quick] [--size-mb N] [--rounds N] [--transfers N]
                                       [--only a,b] [--no-save]
"""

import argparse
import datetime
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_contenders import (find_binaries, make_router_db, start_haproxy,  # noqa: E402
                              start_nginx_proxy, start_router)
from bench_procs import (Processes, cpu_model, free_port, load_average,  # noqa: E402
                         save_report, wait_for_port)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
HERE = os.path.dirname(os.path.abspath(__file__))
DIRECTIONS = ("download", "upload")
NGINX_BODY = "client_max_body_size 0;"
NGINX_STREAMING = NGINX_BODY + " proxy_buffering off; proxy_request_buffering off;"
PAIRS = (("router", "nginx"), ("router", "nginx-unbuffered"), ("router", "haproxy"),
         ("router", "direct"))
TARGET_RATIO = 0.8  # issue 15: at least 0.8x nginx's throughput, both ways


def parse_args():
    p = argparse.ArgumentParser(description="large download and upload through each proxy")
    p.add_argument("--quick", action="store_true", help="2 rounds of 2 transfers")
    p.add_argument("--size-mb", type=int, default=50, help="body size in MB (10^6 bytes)")
    p.add_argument("--rounds", type=int, help="rounds (default 5, quick 2)")
    p.add_argument("--transfers", type=int, help="transfers per direction and round (3, quick 2)")
    p.add_argument("--threads", type=int, default=2, help="router I/O threads")
    p.add_argument("--only", help="comma-separated contenders to measure")
    p.add_argument("--router-bin", help="strangler-router to measure (default: release build)")
    p.add_argument("--out", default=os.path.join(REPO, "tools/bench/results"))
    p.add_argument("--no-save", action="store_true", help="print only, write no JSON")
    args = p.parse_args()
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.transfers = args.transfers or (2 if args.quick else 3)
    return args


def write_body_file(path, size):
    """Random bytes, so that nothing on the way can compress them."""
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n


def start_backend(procs, tmp, body_path):
    port = free_port()
    proc = procs.start("backend", [sys.executable, os.path.join(HERE, "large_body_backend.py"),
                                   "--port", str(port), "--file", body_path])
    wait_for_port(port, timeout=30, proc=proc)
    return port


def start_contenders(procs, ctx, args):
    """Starts every contender; returns {name: port}."""
    ports = {"direct": ctx.backend_port}
    db, _ = make_router_db(ctx.ctl_bin, ctx.tmp, ctx.backend_port, 0)
    max_body = str(max(2 * ctx.size, 10 * 1024 * 1024))
    ports["router"], ctx.router_proc = start_router(procs, ctx.router_bin, db, "router",
                                                    args.threads, ["--max-body", max_body])
    ports["nginx"], _ = start_nginx_proxy(procs, ctx.tmp, ctx.backend_port, name="nginx",
                                          directives=NGINX_BODY)
    ports["nginx-unbuffered"], _ = start_nginx_proxy(procs, ctx.tmp, ctx.backend_port,
                                                     name="nginx-unbuffered",
                                                     directives=NGINX_STREAMING)
    ports["haproxy"], _ = start_haproxy(procs, ctx.tmp, ctx.backend_port)
    if args.only:
        keep = set(args.only.split(",")) | {"router"}
        ports = {k: v for k, v in ports.items() if k in keep}
    return ports


def transfer(port, direction, ctx):
    """One curl transfer; returns {"mb_s", "seconds"} or {"error"}. `Expect: 100-continue` is
    turned off so that no proxy's handling of it (or curl's 1 s wait for it) is measured."""
    url = f"http://127.0.0.1:{port}/{direction}"
    if direction == "download":
        argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{size_download} "
                "%{time_total}", "--max-time", "120", url]
    else:
        argv = ["curl", "-sS", "-H", "Expect:", "-T", ctx.body_path, "-w",
                "\n%{http_code} %{size_upload} %{time_total}", "--max-time", "120", url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=150)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"error": f"curl exit {done.returncode}: {done.stderr.strip()[:200]}"}
    code, size, seconds = lines[-1].split()
    counted = lines[0].strip() if direction == "upload" and len(lines) > 1 else None
    if code != "200" or int(size) != ctx.size or (direction == "upload" and
                                                  counted != str(ctx.size)):
        return {"error": f"status {code}, {size} bytes moved, backend counted {counted}"}
    return {"mb_s": ctx.size / float(seconds) / 1e6, "seconds": float(seconds)}


def memory_kib(pid):
    """VmRSS and VmHWM of a process, in KiB."""
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0].lower().replace("vm", "") + "_kib"] = int(line.split()[1])
    return out


def measure(ports, ctx, args):
    """Interleaved rounds: {direction: {name: [round result, ...]}} and the router's memory."""
    names = list(ports)
    results = {d: {n: [] for n in names} for d in DIRECTIONS}
    for name in names:  # warm-up: upstream connections, page cache, the proxies' buffers
        for direction in DIRECTIONS:
            transfer(ports[name], direction, ctx)
    memory = {"after_warmup": memory_kib(ctx.router_proc.pid), "after_round": []}
    for rnd in range(args.rounds):
        order = names[rnd % len(names):] + names[:rnd % len(names)]
        for direction in DIRECTIONS:
            for name in order:
                runs = [transfer(ports[name], direction, ctx) for _ in range(args.transfers)]
                good = [r["mb_s"] for r in runs if "mb_s" in r]
                errors = [r["error"] for r in runs if "error" in r]
                row = {"round": rnd, "mb_s": statistics.median(good) if good else None,
                       "transfers_mb_s": [round(x, 1) for x in good], "errors": errors}
                results[direction][name].append(row)
                shown = f"{row['mb_s']:8.1f} MB/s" if good else "  failed"
                each = ", ".join(f"{x:.0f}" for x in good)
                print(f"  round {rnd + 1} {direction:<8} {name:<17} {shown}  ({each})"
                      f"{'  ' + errors[0] if errors else ''}", flush=True)
        memory["after_round"].append(memory_kib(ctx.router_proc.pid))
    memory["at_end"] = memory["after_round"][-1]
    memory["rss_growth_kib"] = memory["at_end"]["rss_kib"] - memory["after_warmup"]["rss_kib"]
    return results, memory


def summarize(results):
    summary = {}
    for direction, by_name in results.items():
        rows, ratios = {}, {}
        for name, rounds in by_name.items():
            speeds = [r["mb_s"] for r in rounds if r["mb_s"] is not None]
            failed = sum(len(r["errors"]) for r in rounds)
            if not speeds:
                rows[name] = {"mb_s": None, "failed_transfers": failed}
                continue
            mid = statistics.median(speeds)
            rows[name] = {"mb_s": round(mid, 1),
                          "spread_pct": round(100 * (max(speeds) - min(speeds)) / mid, 1),
                          "failed_transfers": failed}
        for proxy, peer in PAIRS:
            if proxy not in by_name or peer not in by_name:
                continue
            paired = [a["mb_s"] / b["mb_s"] for a, b in zip(by_name[proxy], by_name[peer])
                      if a["mb_s"] and b["mb_s"]]
            if paired:
                ratios[f"{proxy}/{peer}"] = round(statistics.median(paired), 3)
        summary[direction] = {"configs": rows, "ratios": ratios}
    return summary


def print_table(summary, memory, size):
    print()
    print(f"{size / 1e6:.0f} MB each way, MB/s (10^6 bytes) per transfer, median of rounds")
    print(f"{'direction':<9} {'config':<17} {'MB/s':>8} {'spread':>7} {'failed':>6}")
    for direction, block in summary.items():
        for name, row in block["configs"].items():
            mb_s = f"{row['mb_s']:8.1f}" if row["mb_s"] is not None else "       -"
            spread = f"{row['spread_pct']:6.1f}%" if row["mb_s"] is not None else "      -"
            print(f"{direction:<9} {name:<17} {mb_s} {spread} {row['failed_transfers']:>6}")
        for pair, ratio in block["ratios"].items():
            verdict = ""
            if pair == "router/nginx":
                verdict = f"  (target >= {TARGET_RATIO}: " + (
                    "met)" if ratio >= TARGET_RATIO else "MISSED)")
            print(f"{direction:<9} {pair:<25} {ratio:.2f}x{verdict}")
    warm, end = memory["after_warmup"], memory["at_end"]
    print(f"router memory: VmRSS {warm['rss_kib'] / 1024:.1f} MiB after warm-up, "
          f"{end['rss_kib'] / 1024:.1f} MiB at the end (growth {memory['rss_growth_kib']} KiB); "
          f"VmHWM {warm['hwm_kib'] / 1024:.1f} -> {end['hwm_kib'] / 1024:.1f} MiB")


def main():
    args = parse_args()
    router_bin, ctl_bin = find_binaries(REPO)
    router_bin = os.path.abspath(args.router_bin) if args.router_bin else router_bin
    if shutil.which("curl") is None:
        raise SystemExit("large_body_bench: curl not found")
    load = load_average()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on "
          f"{os.cpu_count()} CPUs" + ("  (busy machine: numbers are noisy)"
                                      if load[0] > 0.5 * os.cpu_count() else ""), flush=True)
    tmp = tempfile.mkdtemp(prefix="large-body-bench-")
    # nginx started as root runs its workers as nobody, who must reach the temp files that
    # buffered bodies go to.
    os.chmod(tmp, 0o755)
    procs = Processes(tmp)
    ctx = types.SimpleNamespace(tmp=tmp, router_bin=router_bin, ctl_bin=ctl_bin,
                                size=args.size_mb * 1000 * 1000,
                                body_path=os.path.join(tmp, "body.bin"), router_proc=None)
    report = {"machine": {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(), "cpus": os.cpu_count(), "cpu_model": cpu_model(),
        "load_average_at_start": load},
        "settings": {"size_bytes": ctx.size, "rounds": args.rounds, "transfers": args.transfers,
                     "router_threads": args.threads, "client": "curl, one transfer at a time",
                     "nginx": NGINX_BODY, "nginx-unbuffered": NGINX_STREAMING}}
    try:
        write_body_file(ctx.body_path, ctx.size)
        ctx.backend_port = start_backend(procs, tmp, ctx.body_path)
        ports = start_contenders(procs, ctx, args)
        print(f"contenders: {ports}", flush=True)
        results, memory = measure(ports, ctx, args)
        summary = summarize(results)
        load = load_average()
        report["machine"]["load_average_at_end"] = load
        report.update(summary=summary, router_memory=memory, runs=results)
        print_table(summary, memory, ctx.size)
        print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        if not args.no_save:
            save_report(report, args.out, "-large-bodies")
    except KeyboardInterrupt:
        print("large_body_bench: interrupted; stopping what it started")
        return 130
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
