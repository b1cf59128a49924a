#!/usr/bin/env python3
"""proxy_bench: strangler-router side by side with nginx and HAProxy, in one run, on loopback.

Starts two neutral nginx backends (1 worker, a fixed ~100-byte JSON answer; the second one
receives shadow traffic), then measures with wrk, at 64 and 512 keep-alive connections:
  direct        the backend itself
  router        strangler-router, one prefix route to the backend plus 1,000 other routes
  router-shadow the same with 100 % of that route mirrored to the second backend
                ("not available" when this build's stranglerctl has no `route shadow`)
  nginx         nginx as reverse proxy (2 workers, upstream keepalive, no access log)
  nginx-mirror  the same, mirroring every request to the second backend (mirror module): the
                peer of router-shadow, though nginx compares nothing
  haproxy       HAProxy (nbthread 2, http-reuse always)
For router-shadow it also reports the share of sampled requests actually compared: at saturation
the router's shadow threads yield the CPU to the client path (--shadow-priority; the default,
idle, gives them only spare CPU), and copies they cannot take are dropped and counted.
Every configuration runs several times, interleaved (A B C D E, then again in rotated order),
so that drift on a shared machine hits all alike; the ratios router/nginx and router/haproxy are
medians of the per-round ratios. Then the reload check and the connection check
(bench_checks.py). Prints a table and writes JSON to tools/bench/results/<date>-<host>.json and
latest.json. Every process it starts is stopped by pid at the end, on error or Ctrl-C too.

Usage: tools/bench/proxy_bench.py [--quick] [--duration S] [--rounds N] [--no-checks | --checks-only]
(build the release preset first; tools/install-deps.sh --bench installs wrk, nginx, haproxy).
"""

import argparse
import datetime
import json
import os
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_checks import idle_check, reload_check  # noqa: E402
from bench_contenders import (add_shadow, copy_db, find_binaries, make_router_db,  # noqa: E402
                              shadow_totals, start_backend, start_haproxy, start_nginx_proxy,
                              start_router)
from bench_procs import (WRK_LUA, Processes, cpu_model, load_average, peak_rss_kib,  # noqa: E402
                         run_wrk, save_report)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PATH = "/api/items/42"


def parse_args():
    p = argparse.ArgumentParser(description="strangler-router vs nginx and HAProxy on loopback")
    p.add_argument("--quick", action="store_true", help="short run (about 2 minutes)")
    p.add_argument("--duration", type=float, help="seconds per wrk run (default 8, quick 3)")
    p.add_argument("--rounds", type=int, help="runs per configuration (default 5, quick 2)")
    p.add_argument("--connections", default="64,512", help="comma-separated wrk connections")
    p.add_argument("--threads", type=int, default=2, help="router I/O threads")
    p.add_argument("--wrk-threads", type=int, default=2)
    p.add_argument("--shadow-priority", choices=["idle", "low", "normal"],
                   help="router-shadow's --shadow-priority (default: the router's own, idle)")
    p.add_argument("--extra-routes", type=int, default=1000)
    p.add_argument("--reload-routes", type=int, default=100000)
    p.add_argument("--idle", type=int, default=2000, help="idle connections (connection check)")
    p.add_argument("--only", help="comma-separated configurations to measure")
    p.add_argument("--router-bin", help="strangler-router to measure (default: release build)")
    p.add_argument("--compare-router", metavar="PATH",
                   help="also measure this strangler-router build as 'router-alt' (before/after)")
    p.add_argument("--compare-ctl", metavar="PATH",
                   help="router-alt's stranglerctl, when its rules schema differs from this build's")
    p.add_argument("--no-checks", action="store_true", help="skip the reload and idle checks")
    p.add_argument("--checks-only", action="store_true",
                   help="only the reload and idle checks (router and nginx proxy are started)")
    p.add_argument("--out", default=os.path.join(REPO, "tools/bench/results"))
    p.add_argument("--no-save", action="store_true", help="print only, write no JSON")
    args = p.parse_args()
    args.duration = args.duration or (3 if args.quick else 8)
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.connections = [int(c) for c in args.connections.split(",")]
    return args


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, needed)) if hard != resource.RLIM_INFINITY else max(soft, needed)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < needed:
        print(f"proxy_bench: warning: open-file limit {want} is below the {needed} needed")


def start_contenders(procs, ctx, args):
    """Starts every contender; returns {name: port or None} and notes (why one is missing)."""
    ports, notes = {"direct": ctx.backend_port}, {}
    db, took = make_router_db(ctx.ctl_bin, ctx.tmp, ctx.backend_port, args.extra_routes)
    notes["route_setup"] = (f"{args.extra_routes} stranglerctl route add: {took:.1f} s" if took
                            else "rule set from the cache (~/.cache/strangler-bench)")
    shadow_db = copy_db(db, os.path.join(ctx.tmp, "shadow.db"))
    ports["router"], ctx.router_proc = start_router(procs, ctx.router_bin, db, "router",
                                                    args.threads)
    if args.compare_router:
        if args.compare_ctl:  # an older build may refuse a newer schema: its own rule set
            alt_tmp = os.path.join(ctx.tmp, "alt")
            os.makedirs(alt_tmp)
            alt_db, _ = make_router_db(args.compare_ctl, alt_tmp, ctx.backend_port,
                                       args.extra_routes)
        else:
            alt_db = copy_db(db, os.path.join(ctx.tmp, "alt.db"))
        ports["router-alt"], _ = start_router(procs, args.compare_router, alt_db, "router-alt",
                                              args.threads)
    problem = add_shadow(ctx.ctl_bin, shadow_db, ctx.shadow_port)
    if problem:
        ports["router-shadow"] = None
        notes["router-shadow"] = f"not available: {problem}"
    else:
        priority = ["--shadow-priority", args.shadow_priority] if args.shadow_priority else []
        ports["router-shadow"], ctx.shadow_proc = start_router(
            procs, ctx.router_bin, shadow_db, "router-shadow", args.threads, priority)
    ports["nginx"], _ = start_nginx_proxy(procs, ctx.tmp, ctx.backend_port)
    ports["nginx-mirror"], _ = start_nginx_proxy(procs, ctx.tmp, ctx.backend_port,
                                                 mirror_port=ctx.shadow_port)
    ports["haproxy"], _ = start_haproxy(procs, ctx.tmp, ctx.backend_port)
    if args.only:
        keep = set(args.only.split(","))
        ports = {k: v for k, v in ports.items() if k in keep}
    return ports, notes


def measure(ports, ctx, args):
    """Interleaved runs: {conns: {name: [result, ...]}}, plus the order actually used."""
    live = [name for name, port in ports.items() if port]
    results = {c: {name: [] for name in live} for c in args.connections}
    # Warm-up at every connection count: each contender's upstream connections, caches and page
    # faults for as many clients as it will be measured with (warmed at 64 only, a contender's
    # first 512-connection run paid for ~450 upstream connects in its tail).
    for conns in args.connections:
        for name in live:
            run_wrk(f"http://127.0.0.1:{ports[name]}{PATH}", conns, 1, ctx.lua, args.wrk_threads)
    for rnd in range(args.rounds):
        order = live[rnd % len(live):] + live[:rnd % len(live)]
        for conns in args.connections:
            for name in order:
                r = run_wrk(f"http://127.0.0.1:{ports[name]}{PATH}", conns, args.duration,
                            ctx.lua, args.wrk_threads)
                r["round"] = rnd
                results[conns][name].append(r)
                print(f"  round {rnd + 1} c={conns:<4} {name:<14} {r['rps']:>9.0f} req/s"
                      f"  p99 {r['p99_ms']:6.2f} ms  p99.9 {r['p999_ms']:6.2f} ms"
                      f"  err {r['socket_errors']} non2xx {r['non_2xx']}", flush=True)
    return results


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def summarize(results):
    """Medians per configuration, spread of requests/s, and paired ratios."""
    summary = {}
    for conns, by_name in results.items():
        rows = {}
        for name, runs in by_name.items():
            rps = [r["rps"] for r in runs]
            rows[name] = {
                "rps": round(statistics.median(rps)),
                "rps_spread_pct": round(100 * (max(rps) - min(rps)) / statistics.median(rps), 1),
                **{k: round(median_of(runs, k), 3) for k in ("p50_ms", "p99_ms", "p999_ms")},
                "socket_errors": sum(r["socket_errors"] for r in runs),
                "non_2xx": sum(r["non_2xx"] for r in runs),
            }
        ratios = {}
        pairs_wanted = [(proxy, peer) for proxy in ("router", "router-shadow", "router-alt")
                        for peer in ("nginx", "haproxy", "router")] + [("nginx-mirror", "nginx")]
        for proxy, peer in pairs_wanted:
            if proxy == peer or proxy not in by_name or peer not in by_name:
                continue
            pairs = list(zip(by_name[proxy], by_name[peer]))
            ratios[f"{proxy}/{peer}"] = {
                "rps": round(statistics.median(a["rps"] / b["rps"] for a, b in pairs), 3),
                "p99": round(statistics.median(a["p99_ms"] / b["p99_ms"] for a, b in pairs), 3),
            }
        summary[conns] = {"configs": rows, "ratios": ratios}
    return summary


def shadow_share(admin_port):
    """router-shadow's copies over the run (warm-up included): compared, dropped, skipped, and the
    share compared."""
    totals = shadow_totals(admin_port)
    sampled = sum(totals.values())
    return {**totals, "compared_share": round(totals["compared"] / sampled, 3) if sampled else None}


def print_table(summary, notes, rss):
    print()
    print(f"{'conns':>5} {'config':<14} {'req/s':>9} {'spread':>7} {'p50 ms':>7} {'p99 ms':>7}"
          f" {'p99.9 ms':>8} {'sock err':>8} {'non-2xx':>7}")
    for conns, block in summary.items():
        for name, row in block["configs"].items():
            print(f"{conns:>5} {name:<14} {row['rps']:>9} {row['rps_spread_pct']:>6}% "
                  f"{row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} {row['p999_ms']:>8.2f} "
                  f"{row['socket_errors']:>8} {row['non_2xx']:>7}")
        for pair, ratio in block["ratios"].items():
            print(f"{conns:>5} {pair:<22} throughput {ratio['rps']:.2f}x  p99 {ratio['p99']:.2f}x")
    for name, note in notes.items():
        print(f"note: {name}: {note}")
    for name, mib in rss.items():
        print(f"peak RSS {name}: {mib} MiB")


def summarize_idle(runs):
    out = {}
    for name, both in runs.items():
        without = statistics.median(r["p99_ms"] for r in both["without"])
        with_idle = statistics.median(r["p99_ms"] for r in both["with"])
        out[name] = {"p99_without_ms": round(without, 3), "p99_with_idle_ms": round(with_idle, 3),
                     "p99_ratio": round(with_idle / without, 3),
                     "rps_without": round(statistics.median(r["rps"] for r in both["without"])),
                     "rps_with_idle": round(statistics.median(r["rps"] for r in both["with"]))}
    return out


def run_checks(procs, ctx, args, ports, report):
    load = 6 if args.quick else 12
    print(f"reload check: {args.reload_routes} routes, flip during {load} s of load", flush=True)
    report["reload"] = reload_check(procs, ctx, args.reload_routes, load)
    print("  " + json.dumps(report["reload"]), flush=True)
    idle_ports = {k: ports[k] for k in ("router", "nginx") if ports.get(k)}
    print(f"connection check: {args.idle} idle connections", flush=True)
    runs = idle_check(idle_ports, ctx, args.rounds, args.duration, args.idle)
    report["idle"] = {"idle_connections": args.idle, **summarize_idle(runs)}
    print("  " + json.dumps(report["idle"]), flush=True)


def machine_info():
    return {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "host": socket.gethostname(), "cpus": os.cpu_count(), "cpu_model": cpu_model(),
            "load_average_at_start": load_average()}


def main():
    args = parse_args()
    raise_fd_limit(args.idle + 4 * max(args.connections) + 512)
    router_bin, ctl_bin = find_binaries(REPO)
    router_bin = os.path.abspath(args.router_bin) if args.router_bin else router_bin
    tmp = tempfile.mkdtemp(prefix="proxy-bench-")
    procs = Processes(tmp)
    ctx = types.SimpleNamespace(tmp=tmp, router_bin=router_bin, ctl_bin=ctl_bin,
                                threads=args.threads, wrk_threads=args.wrk_threads,
                                lua=os.path.join(tmp, "report.lua"), router_proc=None,
                                shadow_proc=None)
    with open(ctx.lua, "w") as f:
        f.write(WRK_LUA)
    report = {"machine": machine_info(), "settings": {
        "duration_s": args.duration, "rounds": args.rounds, "connections": args.connections,
        "router_threads": args.threads, "wrk_threads": args.wrk_threads,
        "extra_routes": args.extra_routes, "path": PATH,
        "shadow_priority": args.shadow_priority or "idle (router default)"}}
    try:
        ctx.backend_port, _ = start_backend(procs, tmp, "backend")
        ctx.shadow_port, _ = start_backend(procs, tmp, "shadow-backend")
        ports, notes = start_contenders(procs, ctx, args)
        print(f"contenders: {ports}; setup {notes}", flush=True)
        if args.checks_only:
            run_checks(procs, ctx, args, ports, report)
            if not args.no_save:
                save_report(report, args.out)
            return 0
        results = measure(ports, ctx, args)
        rss = {}
        for name, proc in (("router", ctx.router_proc), ("router-shadow", ctx.shadow_proc)):
            kib = peak_rss_kib(proc.pid) if proc else None
            if kib:
                rss[name] = round(kib / 1024, 1)
        summary = summarize(results)
        report.update(summary=summary, notes=notes, router_peak_rss_mib=rss, runs=results)
        if ctx.shadow_proc:
            report["shadow_copies"] = shadow_share(ctx.shadow_proc.admin_port)
        print_table(summary, notes, rss)
        if "shadow_copies" in report:
            print(f"router-shadow copies over the whole run: {report['shadow_copies']}")
        if not args.no_checks:
            run_checks(procs, ctx, args, ports, report)
        report["machine"]["load_average_at_end"] = load_average()
        if not args.no_save:
            save_report(report, args.out)
    except KeyboardInterrupt:
        print("proxy_bench: interrupted; stopping what it started")
        return 130
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
