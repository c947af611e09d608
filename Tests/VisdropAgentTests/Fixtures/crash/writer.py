#!/usr/bin/env python3
"""A training script for the crash test: drops scalar records and images into DROP/run.

usage: writer.py DROP FILES IMAGES [STOP [append]]

Writes at most FILES scalar files (fewer when the file STOP appears: the test creates it once it
has killed the agent often enough) and an image after every eighth scalar file, at most IMAGES.

Scalar files are `r_<n>.json` (one record) or `b_<n>.jsonl` (five records); every record has a
unique "id". Images are `img_<k>_<k>.npy`, 16x16 RGB uint8 made by numpy from k. Everything is
written under a dot-name and renamed into place, with a short pause now and then so the agent
is killed while files keep arriving.

With `append`, the scalar records are appended in place to `log.jsonl` instead, the way a
logger that reopens its file does: one `open(path, "a")` per record, or per five records
written one at a time; the images are still renamed in.
"""
import json
import os
import sys
import time

import numpy as np


def drop(directory, name, write):
    temporary = os.path.join(directory, "." + name + ".part")
    with open(temporary, "wb") as file:
        write(file)
    os.rename(temporary, os.path.join(directory, name))


def image(k):
    y, x = np.mgrid[0:16, 0:16]
    return np.stack([(x * 16 + k) % 256, (y * 16 + 2 * k) % 256, np.full_like(x, k % 256)], axis=-1).astype(np.uint8)


def append(directory, records):
    with open(os.path.join(directory, "log.jsonl"), "a") as file:
        for record in records:
            file.write(json.dumps(record) + "\n")


def main():
    root, files, images = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    stop = sys.argv[4] if len(sys.argv) > 4 else None
    appending = len(sys.argv) > 5 and sys.argv[5] == "append"
    directory = os.path.join(root, "run")
    os.makedirs(directory, exist_ok=True)
    next_id = 0
    image_every = 8
    written_images = 0
    for n in range(files):
        if stop and n % 5 == 0 and os.path.exists(stop):
            break
        if n % 4 == 3:
            records = [{"id": next_id + i, "loss": (next_id + i) / 7} for i in range(5)]
            text = "\n".join(json.dumps(record) for record in records) + "\n"
            if appending:
                append(directory, records)
            else:
                drop(directory, f"b_{n}.jsonl", lambda f: f.write(text.encode()))
            next_id += 5
        else:
            record = {"id": next_id, "loss": next_id / 7, "step": n}
            if appending:
                append(directory, [record])
            else:
                drop(directory, f"r_{n}.json", lambda f: f.write(json.dumps(record).encode()))
            next_id += 1
        if n % image_every == 0 and written_images < images:
            k = written_images
            drop(directory, f"img_{k}_{k}.npy", lambda f: np.save(f, image(k)))
            written_images += 1
        if n % 5 == 0:
            time.sleep(0.012)
    print(next_id, written_images)


if __name__ == "__main__":
    main()
