#!/usr/bin/env python3
"""A minimal visdrop writer in Python, with numpy only.

Usage: python_writer.py DROP_DIR [RUN] [STEPS]

Drops, into DROP_DIR/RUN/: a config (config.json), one scalar record per step
(loss_<step>.json), a validation record that also goes to val.json
(metrics_<step>@val.json) and an RGB image per step (sample_<step>.npy).
Every file is written under a temporary name and renamed, so visdrop never
sees half a file.
"""
import json
import os
import sys

import numpy as np


def drop_file(directory, name, write):
    """Writes a file as `.name.tmp`, then renames it to `name` (atomic on one file system)."""
    os.makedirs(directory, exist_ok=True)
    temporary = os.path.join(directory, "." + name + ".tmp")
    with open(temporary, "wb") as handle:
        write(handle)
    os.rename(temporary, os.path.join(directory, name))


def drop_json(directory, name, value):
    drop_file(directory, name, lambda f: f.write(json.dumps(value).encode()))


def drop_image(directory, name, step, image):
    drop_file(directory, f"{name}_{step}.npy", lambda f: np.save(f, image))


def main():
    drop = sys.argv[1] if len(sys.argv) > 1 else "drop"
    run = os.path.join(drop, sys.argv[2] if len(sys.argv) > 2 else "python_run")
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    drop_json(run, "config.json", {"model": {"type": "ResNet", "depth": 50}, "lr": 0.02})
    for step in range(steps):
        drop_json(run, f"loss_{step}.json", {"loss": 1.0 / (step + 1), "step": step})
        drop_json(run, f"metrics_{step}@val.json", {"acc": step / 10, "step": step})
        y, x = np.mgrid[0:32, 0:48]
        image = np.stack([x * 5, y * 7, np.full_like(x, step * 40)], axis=-1).astype(np.uint8)
        drop_image(run, "sample", step, image)


if __name__ == "__main__":
    main()
