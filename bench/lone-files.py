#!/usr/bin/env python3
"""The agent's CPU per filed scalar file, for one build, outside the benchmark (issue 14).

Starts `BINARY watch` on fresh folders under .build-bench, renames one-record scalar files in
from a staging folder on the same file system (written, then flushed with os.sync(), as the
benchmark stages them), waits until every line is in scalars.json and the trash is empty, and
prints the agent's CPU per file: all its threads, from /proc/PID/task/*/schedstat.

    python3 bench/lone-files.py BINARY                    # 120 lone files, 120 ms apart
    python3 bench/lone-files.py BINARY --files 60 --gap-ms 150
    python3 bench/lone-files.py BINARY --burst --files 3000 --rounds 4   # bursts, as fast as a loop renames

Lone files are one a step, into an idle agent, as a training loop drops them. Alternate two
builds a few times to compare them: single runs vary with the disk's flushes. The agent's PID
is in .build-bench/lone-files.pid while it runs (for strace -c -f -p or perf record -p).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time


def agent_cpu_ns(pid):
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--files", type=int, default=120)
    parser.add_argument("--gap-ms", type=float, default=120, help="pause after each lone file")
    parser.add_argument("--burst", action="store_true", help="rename the files in without pauses")
    parser.add_argument("--rounds", type=int, default=1)
    arguments = parser.parse_args()

    os.makedirs(".build-bench", exist_ok=True)
    root = tempfile.mkdtemp(dir=".build-bench")
    drop, out, stage = (os.path.join(root, name) for name in ("drop", "out", "stage"))
    for folder in (drop, out, stage):
        os.makedirs(folder)
    log = open(os.path.join(root, "agent.log"), "w")
    agent = subprocess.Popen(
        [arguments.binary, "watch", "--drop", drop, "--out", out, "--log-level", "info"],
        stdout=log, stderr=log)
    with open(".build-bench/lone-files.pid", "w") as f:
        f.write(str(agent.pid))
    scalars = os.path.join(out, "scalars.json")
    trash = os.path.join(drop, ".visdrop-trash")
    try:
        time.sleep(1.5)
        step = 0
        for round_number in range(arguments.rounds):
            for index in range(step, step + arguments.files):
                with open(os.path.join(stage, f"s_{index}.json"), "w") as f:
                    f.write('{"loss": %d.5, "step": %d}' % (index, index))
            os.sync()
            # Past the start's (or the last round's) summary line and background deletions.
            time.sleep(0.5 if arguments.burst else 11)
            start = agent_cpu_ns(agent.pid)
            for index in range(step, step + arguments.files):
                os.rename(os.path.join(stage, f"s_{index}.json"), os.path.join(drop, f"s_{index}.json"))
                if not arguments.burst:
                    time.sleep(arguments.gap_ms / 1000)
            step += arguments.files
            deadline = time.time() + 120
            while True:
                lines = open(scalars, "rb").read().count(b"\n") if os.path.exists(scalars) else 0
                waiting = [name for name in os.listdir(drop) if not name.startswith(".")]
                if lines == step and not waiting and (not os.path.isdir(trash) or not os.listdir(trash)):
                    break
                if time.time() > deadline or agent.poll() is not None:
                    sys.exit(f"lone-files: {lines} of {step} lines after 120 s; see {log.name}")
                time.sleep(0.01)
            used = agent_cpu_ns(agent.pid) - start
            mode = "burst" if arguments.burst else f"lone files {arguments.gap_ms:g} ms apart"
            print(f"round {round_number + 1}: {arguments.files} files ({mode}): "
                  f"agent CPU {used / arguments.files / 1e6:.3f} ms per file", flush=True)
    finally:
        agent.terminate()
        agent.wait()
        os.remove(".build-bench/lone-files.pid")
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
