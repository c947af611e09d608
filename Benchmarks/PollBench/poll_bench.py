#!/usr/bin/env python3
"""Measures what polling costs (issue 13, items 3 and 4) against the release binary; not a test.

  idle-cpu   the agent's CPU over an idle window, on a drop tree of --folders x --files
             work-in-progress files (`*.json.part`: every poll and every rescan lists them, none
             is ever taken), under
               --watch-mode poll      (default --poll-interval 1s, --rescan-interval at its 5m)
               --watch-mode inotify   --rescan-interval 10s (several rescans in the window)
               --watch-mode inotify   --rescan-interval 5m (none in the window), then SIGHUP
                                      rescans, each measured on its own
  latency    a bindfs (FUSE) mount of the same tree, the agent on the mount in `auto` mode (so
             it polls it); --writes one-record scalar files written in place in the *backing*
             folder, one every poll interval at a random offset within it; for each, the time
             from the writer's close to its line in OUT/live/scalars.json; with the defaults
             (1s / settle 1000 ms) and with --poll-interval 200ms --settle-ms 200. Also the idle
             CPU of the agent and of bindfs on the mount before the writes.

CPU is utime+stime of all threads from /proc/PID/stat (clock ticks, os.sysconf), per thread
from /proc/PID/task/*/stat. Load averages are printed with every phase (2 shared cores).

Usage: Benchmarks/PollBench/poll_bench.py [--visdrop .build/release/visdrop] [--idle-seconds 60]
       [--writes 100] [--only idle|latency] [--help]   (about 8 minutes at the defaults)
"""

import argparse
import json
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

TICK = os.sysconf("SC_CLK_TCK")
TREE_SUFFIX = ".json.part"  # a scalar file still being written: left alone until renamed


def load():
    return "load %.2f %.2f %.2f" % os.getloadavg()


def log(message):
    print(message, flush=True)


def process_ticks(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def thread_ticks(pid):
    """Ticks per thread name (threads of one name summed: libdispatch's workers)."""
    totals = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as handle:
                text = handle.read()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        totals[name] = totals.get(name, 0) + int(fields[11]) + int(fields[12])
    return totals


def slug(label):
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")


def start_mode(line):
    """The start line's `mode=` value: what wakes the agent."""
    found = re.search(r"mode=(.*?)(?= [a-z-]+=| \[|$)", line)
    return found.group(1) if found else line


def percentile(values, fraction):
    """Nearest rank."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def build_tree(root, folders, files):
    began = time.monotonic()
    record = b'{"loss": 0.5, "step": 0}\n'
    for folder in range(folders):
        directory = os.path.join(root, f"run{folder:04d}")
        os.makedirs(directory)
        for index in range(files):
            with open(os.path.join(directory, f"metrics_{index:03d}{TREE_SUFFIX}"), "wb") as handle:
                handle.write(record)
    log(f"tree: {folders} folders x {files} files `run*/metrics_*{TREE_SUFFIX}` in {root} "
        f"({time.monotonic() - began:.1f} s to write)")


class Agent:
    """`visdrop watch` with its log in a file; stopped with SIGTERM."""

    def __init__(self, visdrop, drop, out, arguments, log_path):
        self.log_path = log_path
        self.log = open(log_path, "w")
        command = [visdrop, "watch", "--drop", drop, "--out", out, *arguments]
        self.command = " ".join(command)
        self.process = subprocess.Popen(command, stdout=self.log, stderr=self.log)
        self.pid = self.process.pid

    def lines(self):
        with open(self.log_path, errors="replace") as handle:
            return handle.readlines()

    def wait_for(self, text, also="", timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines():
                if text in line and also in line:
                    return line.strip()
            if self.process.poll() is not None:
                raise SystemExit(f"the agent exited ({self.process.returncode}):\n" + "".join(self.lines()))
            time.sleep(0.1)
        raise SystemExit(f"no '{text}' in the agent's log within {timeout} s:\n" + "".join(self.lines()[-20:]))

    def settle(self, quiet_ticks, seconds=3, cap=300):
        """Waits until `seconds` consecutive seconds each used at most `quiet_ticks`."""
        began = time.monotonic()
        quiet = 0
        previous = process_ticks(self.pid)
        while quiet < seconds and time.monotonic() - began < cap:
            time.sleep(1)
            now = process_ticks(self.pid)
            quiet = quiet + 1 if now - previous <= quiet_ticks else 0
            previous = now
        if quiet < seconds:
            log(f"  warning: the agent did not settle within {cap} s; measuring anyway")
        return time.monotonic() - began

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def measure_idle(pids, seconds):
    """CPU of each pid (and per thread of the first) over `seconds`, sampled each second."""
    start = {pid: process_ticks(pid) for pid in pids}
    threads_start = thread_ticks(pids[0])
    per_second = []
    previous = start[pids[0]]
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        time.sleep(min(1.0, seconds - (time.monotonic() - began)))
        now = process_ticks(pids[0])
        per_second.append(now - previous)
        previous = now
    elapsed = time.monotonic() - began
    used = {pid: process_ticks(pid) - start[pid] for pid in pids}
    threads_end = thread_ticks(pids[0])
    threads = {name: threads_end[name] - threads_start.get(name, 0) for name in threads_end}
    return elapsed, used, threads, per_second


def seconds_text(per_second):
    """The spread of the 1-s samples: a typical second and the busy ones (full passes, rescans)."""
    ms = sorted(t * 1000 // TICK for t in per_second)
    busy = [m for m in ms if m >= 50]
    return (f"median second {ms[len(ms) // 2]} ms, busiest {ms[-1]} ms, "
            f"{len(busy)} seconds >= 50 ms ({sum(busy)} ms of {sum(ms)} ms)")


def cpu_text(ticks, elapsed):
    per_second = ticks * 1000 / TICK / elapsed
    return f"{per_second:.2f} ms CPU/s ({per_second / 10:.3f}% of a core; {ticks} ticks in {elapsed:.0f} s)"


def idle_run(args, tree, label, arguments, results, hangups=0):
    out = tempfile.mkdtemp(prefix="out-", dir=args.work_dir)
    agent = Agent(args.visdrop, tree, out, [*arguments, *args.agent_arg], os.path.join(args.work_dir, f"agent-{slug(label)}.log"))
    try:
        started = time.monotonic()
        watching = agent.wait_for("] watching", "backlog=")
        settled = agent.settle(quiet_ticks=args.quiet_ticks)
        log(f"\n## idle: {label}\n  `{agent.command}`\n  {load()}; started and settled in "
            f"{time.monotonic() - started:.0f} s (quiet for 3 s after {settled:.0f} s)")
        log(f"  start line: mode={start_mode(watching)}")
        rescans_before = sum("rescan:" in line for line in agent.lines())
        elapsed, used, threads, per_second = measure_idle([agent.pid], args.idle_seconds)
        rescans = sum("rescan:" in line for line in agent.lines()) - rescans_before
        ticks = used[agent.pid]
        busiest = sorted(((t, n) for n, t in threads.items() if t), reverse=True)
        log(f"  idle {elapsed:.0f} s: {cpu_text(ticks, elapsed)}; rescans logged in the window: {rescans}")
        log(f"  by thread (ticks): {', '.join(f'{n} {t}' for t, n in busiest) or 'none'}; "
            f"{seconds_text(per_second)}")
        result = {"label": label, "command": agent.command, "load": load(), "seconds": elapsed,
                  "ticks": ticks, "ms_per_s": ticks * 1000 / TICK / elapsed, "rescans": rescans}
        rescan_costs = []
        for _ in range(hangups):
            before_lines = len(agent.lines())
            before = process_ticks(agent.pid)
            began = time.monotonic()
            agent.process.send_signal(signal.SIGHUP)
            agent.settle(quiet_ticks=0, seconds=2, cap=120)
            wall = time.monotonic() - began - 2
            cost = (process_ticks(agent.pid) - before) * 1000 / TICK
            took = [line.strip() for line in agent.lines()[before_lines:] if "rescan:" in line]
            rescan_costs.append(cost)
            log(f"  SIGHUP rescan: {cost:.0f} ms CPU, done within {wall:.1f} s; "
                f"log: {took[0][-120:] if took else '(no info line: nothing found)'}")
        if rescan_costs:
            result["rescan_ms"] = sorted(rescan_costs)[len(rescan_costs) // 2]
        results.append(result)
    finally:
        agent.stop()
        shutil.rmtree(out, ignore_errors=True)


class ScalarsFollower(threading.Thread):
    """Stats OUT/live/scalars.json every 2 ms; notes when each step's line appeared."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.path = path
        self.arrivals = {}
        self.offset = 0
        self.pending = b""
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                size = os.stat(self.path).st_size
            except FileNotFoundError:
                size = 0
            if size > self.offset:
                now = time.monotonic()
                with open(self.path, "rb") as handle:
                    handle.seek(self.offset)
                    data = handle.read()
                self.offset += len(data)
                self.pending += data
                *complete, self.pending = self.pending.split(b"\n")
                for line in complete:
                    if line.strip():
                        self.arrivals[json.loads(line)["step"]] = now
            time.sleep(0.002)


def latency_run(args, backing, label, arguments, interval, results):
    mount = tempfile.mkdtemp(prefix="mount-", dir=args.work_dir)
    out = tempfile.mkdtemp(prefix="out-", dir=args.work_dir)
    live = os.path.join(backing, "live")
    shutil.rmtree(live, ignore_errors=True)
    os.makedirs(live)
    bindfs = subprocess.Popen(["bindfs", "-f", "--no-allow-other", backing, mount],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    agent = None
    try:
        deadline = time.monotonic() + 30
        while not os.path.ismount(mount):
            if bindfs.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("bindfs did not mount: " + bindfs.stderr.read().decode(errors="replace"))
            time.sleep(0.05)
        agent = Agent(args.visdrop, mount, out, ["--watch-mode", "auto", *arguments, *args.agent_arg],
                      os.path.join(args.work_dir, f"agent-{slug(label)}.log"))
        started = time.monotonic()
        watching = agent.wait_for("] watching", "backlog=")
        agent.settle(quiet_ticks=args.quiet_ticks)
        log(f"\n## latency: {label}\n  `bindfs -f --no-allow-other BACKING MOUNT`; `{agent.command}`\n"
            f"  {load()}; started and settled in {time.monotonic() - started:.0f} s")
        log(f"  start line: mode={start_mode(watching)}")
        result = {"label": label, "command": agent.command, "load_before": load()}
        if args.mount_idle_seconds > 0:
            elapsed, used, _, per_second = measure_idle([agent.pid, bindfs.pid], args.mount_idle_seconds)
            log(f"  idle on the mount, {elapsed:.0f} s: agent {cpu_text(used[agent.pid], elapsed)}; "
                f"bindfs {cpu_text(used[bindfs.pid], elapsed)}\n  agent: {seconds_text(per_second)}")
            result["idle_agent_ms_per_s"] = used[agent.pid] * 1000 / TICK / elapsed
            result["idle_bindfs_ms_per_s"] = used[bindfs.pid] * 1000 / TICK / elapsed
        follower = ScalarsFollower(os.path.join(out, "live", "scalars.json"))
        follower.start()
        closed, closed_wall = {}, {}
        rng = random.Random(args.seed)
        base = time.monotonic()
        for step in range(args.writes):
            due = base + step * interval + rng.uniform(0, interval)
            time.sleep(max(0, due - time.monotonic()))
            with open(os.path.join(live, f"probe_{step:04d}.json"), "w") as handle:
                handle.write(json.dumps({"probe": 1.0, "step": step}))
            closed[step] = time.monotonic()
            closed_wall[step] = time.time()
        deadline = time.monotonic() + 60
        while len(follower.arrivals) < args.writes and time.monotonic() < deadline:
            time.sleep(0.05)
        follower.stopping.set()
        follower.join()
        latencies = [(follower.arrivals[s] - closed[s]) * 1000 for s in closed if s in follower.arrivals]
        missing = args.writes - len(latencies)
        if latencies:
            p50, p99, top = percentile(latencies, 0.5), percentile(latencies, 0.99), max(latencies)
            low = min(latencies)
            late = sum(latency > p50 + interval * 1000 for latency in latencies)
            log(f"  {len(latencies)} writes, close -> line in scalars.json: p50 {p50:.0f} ms, "
                f"p99 {p99:.0f} ms, max {top:.0f} ms, min {low:.0f} ms; {late} over p50 + one "
                f"interval; missing {missing}; {load()}")
            result.update(p50=p50, p99=p99, max=top, min=low, late=late)
            slowest = sorted(((follower.arrivals[s] - closed[s]) * 1000, s) for s in closed
                             if s in follower.arrivals)[-5:]
            log("  slowest: " + ", ".join(
                f"probe_{s:04d} {ms:.0f} ms (closed {time.strftime('%H:%M:%S', time.localtime(closed_wall[s]))}"
                f".{int(closed_wall[s] * 1000) % 1000:03d})" for ms, s in reversed(slowest)))
        else:
            log(f"  no line arrived; missing {missing}")
        result.update(writes=len(latencies), missing=missing, load_after=load())
        results.append(result)
    finally:
        if agent:
            agent.stop()
        subprocess.run(["fusermount", "-u", mount], check=False)
        try:
            bindfs.wait(timeout=30)
        except subprocess.TimeoutExpired:
            bindfs.kill()
            bindfs.wait()
        shutil.rmtree(live, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        os.rmdir(mount)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visdrop", default=".build/release/visdrop")
    parser.add_argument("--work-dir", default=".build-bench/poll",
                        help="emptied first; on the disk being measured (not tmpfs)")
    parser.add_argument("--folders", type=int, default=1000)
    parser.add_argument("--files", type=int, default=100, help="files per folder")
    parser.add_argument("--idle-seconds", type=float, default=60,
                        help="each idle window (a multiple of 30 s spans whole full-pass cycles)")
    parser.add_argument("--mount-idle-seconds", type=float, default=30,
                        help="idle window on the bindfs mount before the writes (0: none)")
    parser.add_argument("--short-rescan", default="10s", help="the inotify run with frequent rescans")
    parser.add_argument("--hangups", type=int, default=3, help="SIGHUP rescans measured one by one")
    parser.add_argument("--writes", type=int, default=100, help="scalar files per latency run")
    parser.add_argument("--quiet-ticks", type=int, default=5,
                        help="start-up has settled after 3 s each using at most this many ticks")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--only", choices=["idle", "latency"])
    parser.add_argument("--agent-arg", action="append", default=[],
                        help="passed to every agent, e.g. --agent-arg=--log-level --agent-arg=debug")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (the agents' logs)")
    args = parser.parse_args()

    if shutil.which(args.visdrop) is None and not os.access(args.visdrop, os.X_OK):
        raise SystemExit(f"no visdrop binary at {args.visdrop}: swift build -c release --product visdrop")
    args.visdrop = os.path.abspath(args.visdrop)
    shutil.rmtree(args.work_dir, ignore_errors=True)
    os.makedirs(args.work_dir)
    args.work_dir = os.path.abspath(args.work_dir)
    uname = os.uname()
    log(f"# poll_bench: {os.cpu_count()} cores, {uname.sysname} {uname.release}; {load()}; "
        f"`{' '.join(sys.argv)}`")
    tree = os.path.join(args.work_dir, "tree")
    build_tree(tree, args.folders, args.files)

    results = []
    if args.only in (None, "idle"):
        idle_run(args, tree, "poll, 1s, rescan 5m", ["--watch-mode", "poll"], results, hangups=1)
        idle_run(args, tree, f"inotify, rescan {args.short_rescan}",
                 ["--watch-mode", "inotify", "--rescan-interval", args.short_rescan], results)
        idle_run(args, tree, "inotify, rescan 5m", ["--watch-mode", "inotify"], results,
                 hangups=args.hangups)
    if args.only in (None, "latency"):
        latency_run(args, tree, "bindfs, auto, 1s / settle 1000 ms", [], 1.0, results)
        latency_run(args, tree, "bindfs, auto, 200ms / settle 200 ms",
                    ["--poll-interval", "200ms", "--settle-ms", "200"], 0.2, results)

    log("\n## summary (CPU in ms per second of the agent; latency in ms, close -> line)\n")
    log("| run | load (1, 5, 15 min) | agent CPU | bindfs CPU | rescan CPU | p50 | p99 | max |")
    log("|---|---|--:|--:|--:|--:|--:|--:|")
    for r in results:
        agent = r.get("ms_per_s", r.get("idle_agent_ms_per_s"))
        cells = [r["label"], r.get("load", r.get("load_before", "")).removeprefix("load "),
                 "" if agent is None else f"{agent:.2f}",
                 f"{r['idle_bindfs_ms_per_s']:.2f}" if "idle_bindfs_ms_per_s" in r else "",
                 f"{r['rescan_ms']:.0f}" if "rescan_ms" in r else ""]
        cells += [f"{r[k]:.0f}" if k in r else "" for k in ("p50", "p99", "max")]
        log("| " + " | ".join(cells) + " |")
    log(f"\n{load()}")
    if args.keep:
        log(f"kept {args.work_dir} (agent-*.log)")
    else:
        shutil.rmtree(args.work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
