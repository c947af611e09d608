#!/usr/bin/env python3
"""Checks the crash test's scalars (every record exactly once, no torn line) and prints the
expected pixels of every image for the Swift side, which decodes the PNGs.

usage: check.py OUT/run RECORDS IMAGES
Prints "records <n> lost <n> duplicated <n> torn <n>", then one line of pixel values per image.
"""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from writer import image  # noqa: E402


def main():
    run, records, images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    counts = collections.Counter()
    torn = 0
    with open(os.path.join(run, "scalars.json"), "rb") as file:
        data = file.read()
    if data and not data.endswith(b"\n"):
        torn += 1
    for line in data.split(b"\n"):
        if not line:
            continue
        try:
            counts[json.loads(line)["id"]] += 1
        except (ValueError, KeyError):
            torn += 1
    lost = sum(1 for i in range(records) if counts[i] == 0)
    duplicated = sum(count - 1 for count in counts.values() if count > 1)
    print(f"records {sum(counts.values())} lost {lost} duplicated {duplicated} torn {torn}")
    for k in range(images):
        print(",".join(map(str, image(k).ravel())))


if __name__ == "__main__":
    main()
