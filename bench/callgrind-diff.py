#!/usr/bin/env python3
"""Per-file instructions by function: the difference of two callgrind profiles of the agent
(visdrop-bench --instructions writes them: <workload>-<small>/ and <workload>-<large>/), divided
by the difference in files. Usage: bench/callgrind-diff.py SMALL.out LARGE.out FILES [--inclusive]"""
import re
import subprocess
import sys


def functions(path, inclusive):
    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", f"--inclusive={'yes' if inclusive else 'no'}", path],
        capture_output=True, text=True, check=True).stdout
    totals = {}
    for line in text.splitlines():
        match = re.match(r"^\s*([\d,]+) \([^)]*\)\s+(.*)$", line)
        if match and "PROGRAM TOTALS" not in line:
            name = re.sub(r" \[[^]]*\]$", "", match.group(2))
            totals[name] = totals.get(name, 0) + int(match.group(1).replace(",", ""))
    return totals


small, large, files = sys.argv[1], sys.argv[2], int(sys.argv[3])
inclusive = "--inclusive" in sys.argv
a, b = functions(small, inclusive), functions(large, inclusive)
rows = sorted(((b.get(k, 0) - a.get(k, 0)) / files, k) for k in set(a) | set(b))
for per_file, name in reversed(rows[-60:]):
    print(f"{per_file:10.0f}  {name[:200]}")
