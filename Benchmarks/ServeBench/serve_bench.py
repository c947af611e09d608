#!/usr/bin/env python3
"""Measures `visdrop serve` (issue 15, item 5) against the release binary; not a test.

  first-chart   GET /api/scalars of a 1,000,000-line scalars.json, the server's first look
  again         the same request once cached (a page opened again)
  live          after 100 lines are appended: the request from the last nextOffset, against
                re-reading the whole file with a fresh smoothing weight (one pass)
  runs          GET /api/runs of a tree of 1,000 save_dirs
  rss           the server's peak RSS (VmHWM) after serving the first chart of every run of
                1 GB of scalars on disk (8 files of ~125 MB)
  idle-cpu      `watch --serve`: the agent's CPU time over an idle window with the server on

Usage: Benchmarks/ServeBench/serve_bench.py [--visdrop .build/release/visdrop] [--idle-seconds 30]
Prints one line per measurement (median of --repeat runs where it repeats).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.request

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start(arguments, log):
    process = subprocess.Popen(arguments, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with open(log.name) as handle:
            for line in handle:
                if "read-only at http://" in line:
                    return process, int(line.rsplit(":", 1)[1].split("/")[0])
        time.sleep(0.05)
    raise SystemExit("the server did not start: " + open(log.name).read())


def get(port, path):
    began = time.perf_counter()
    with OPENER.open(f"http://127.0.0.1:{port}{path}", timeout=600) as response:
        body = response.read()
    return time.perf_counter() - began, body


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0


def write_scalars(path, lines, keys=("loss", "acc", "lr", "grad_norm", "time")):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        chunk = []
        for step in range(lines):
            chunk.append(json.dumps({key: 1.0 / (step + 1 + index) for index, key in enumerate(keys)} | {"step": step}))
            if len(chunk) == 10000:
                handle.write("\n".join(chunk) + "\n")
                chunk = []
        if chunk:
            handle.write("\n".join(chunk) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--visdrop", default=os.path.join(os.path.dirname(__file__), "../../.build/release/visdrop"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--idle-seconds", type=float, default=30)
    options = parser.parse_args()
    binary = os.path.abspath(options.visdrop)
    root = tempfile.mkdtemp(prefix="visdrop-serve-bench-")
    try:
        tree = os.path.join(root, "tree")
        write_scalars(os.path.join(tree, "big/scalars.json"), 1_000_000)
        size = os.path.getsize(os.path.join(tree, "big/scalars.json"))
        for index in range(1000):
            write_scalars(os.path.join(tree, f"runs/run{index:04d}/scalars.json"), 3)
        with open(os.path.join(root, "serve.log"), "w") as log:
            server, port = start([binary, "serve", "--out", tree, "--port", "0"], log)
        try:
            first, body = get(port, "/api/scalars?run=big&points=2000&smoothing=0.6")
            reply = json.loads(body)
            print(f"first-chart  1,000,000 lines ({size / 1e6:.0f} MB), 5 keys, 2000 points: {first * 1000:.0f} ms "
                  f"(points per key {len(reply['series']['loss']['points'])})")
            again = statistics.median(get(port, "/api/scalars?run=big&points=2000&smoothing=0.6")[0]
                                      for _ in range(options.repeat))
            print(f"again        the same request, cached: {again * 1000:.1f} ms")
            offset = reply["nextOffset"]
            live, full = [], []
            for round_ in range(options.repeat):
                with open(os.path.join(tree, "big/scalars.json"), "a") as handle:
                    for step in range(100):
                        handle.write(json.dumps({"loss": 0.5, "acc": 0.5, "step": 2_000_000 + round_ * 100 + step}) + "\n")
                took, body = get(port, f"/api/scalars?run=big&points=2000&smoothing=0.6&offset={offset}")
                offset = json.loads(body)["nextOffset"]
                live.append(took)
                full.append(get(port, f"/api/scalars?run=big&points=2000&smoothing=0.{61 + round_}")[0])
            print(f"live         100 new lines from the last offset: {statistics.median(live) * 1000:.1f} ms; "
                  f"a new smoothing weight (one pass over the file): {statistics.median(full) * 1000:.0f} ms")
            runs = []
            for _ in range(options.repeat):
                took, body = get(port, "/api/runs")
                runs.append(took)
            print(f"runs         /api/runs of {len(json.loads(body)['runs'])} save_dirs: {statistics.median(runs) * 1000:.1f} ms")
        finally:
            server.terminate()
            server.wait()
        shutil.rmtree(tree)

        # 1 GB of scalars: eight ~125 MB files, each run's first chart served.
        big = os.path.join(root, "gigabyte")
        write_scalars(os.path.join(big, "r0/scalars.json"), 1_330_000)
        for index in range(1, 8):
            os.makedirs(os.path.join(big, f"r{index}"))
            shutil.copy(os.path.join(big, "r0/scalars.json"), os.path.join(big, f"r{index}/scalars.json"))
        total = sum(os.path.getsize(os.path.join(big, f"r{index}/scalars.json")) for index in range(8))
        with open(os.path.join(root, "serve-gb.log"), "w") as log:
            server, port = start([binary, "serve", "--out", big, "--port", "0"], log)
        try:
            took = sum(get(port, f"/api/scalars?run=r{index}&points=2000&smoothing=0.6")[0] for index in range(8))
            print(f"rss          {total / 1e9:.2f} GB of scalars in 8 runs, every first chart served ({took:.1f} s): "
                  f"peak RSS {peak_rss_mb(server.pid):.0f} MB")
        finally:
            server.terminate()
            server.wait()
        shutil.rmtree(big)

        # watch --serve, idle.
        drop, out = os.path.join(root, "drop"), os.path.join(root, "out")
        with open(os.path.join(root, "watch.log"), "w") as log:
            agent, port = start([binary, "watch", "--drop", drop, "--out", out, "--serve", "0"], log)
        try:
            time.sleep(2)
            before = cpu_seconds(agent.pid)
            time.sleep(options.idle_seconds)
            used = cpu_seconds(agent.pid) - before
            print(f"idle-cpu     watch --serve idle for {options.idle_seconds:.0f} s: {used * 1000:.0f} ms CPU "
                  f"({used / options.idle_seconds * 100:.3f} %)")
        finally:
            agent.terminate()
            agent.wait()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
