"""The benchmark's peer: a watch-folder agent as a Python user would write it.

watchdog + numpy + opencv-python-headless + json, writing mmengine's LocalVisBackend
layout the way LocalVisBackend itself does (cv2.imwrite of the RGB->BGR image,
json.dumps(record) + "\\n" appended to scalars.json), with visdrop's drop protocol:

    DROP/<rel>/<name>_<step>.npy  -> OUT/<rel>/vis_image/<name>_<step>.png
    DROP/<rel>/*.json             -> one line in OUT/<rel>/scalars.json
    DROP/<rel>/*.jsonl            -> one line per record
    then the source is removed.

It files one event at a time in watchdog's observer thread, as visdrop's pipeline does,
and opens scalars.json once per dropped file (not once per record as mmengine would), so
the comparison is with a reasonably written agent, not a strawman.

Usage: python peer.py DROP OUT      (stops on SIGTERM or SIGINT)
"""

import json
import os
import signal
import sys
import threading

import cv2
import numpy as np
from watchdog.events import FileSystemEventHandler
from watchdog.observers import Observer

IMAGE_DIRECTORY = "vis_image"
SCALAR_FILE = "scalars.json"


def is_work_in_progress(name):
    return name.startswith(".") or name.endswith((".tmp", ".part", "~"))


def image_name_and_step(stem):
    name, separator, step = stem.rpartition("_")
    if separator and name and step.isdigit():
        return name, int(step)
    return stem, 0


class DropHandler(FileSystemEventHandler):
    def __init__(self, drop, out):
        self.drop = os.path.abspath(drop)
        self.out = os.path.abspath(out)

    def on_created(self, event):
        if not event.is_directory:
            self.file(event.src_path)

    def on_moved(self, event):
        if not event.is_directory:
            self.file(event.dest_path)

    def on_closed(self, event):  # written in place
        if not event.is_directory:
            self.file(event.src_path)

    def file(self, path):
        name = os.path.basename(path)
        if is_work_in_progress(name):
            return
        relative = os.path.relpath(os.path.dirname(path), self.drop)
        save_directory = os.path.normpath(os.path.join(self.out, relative))
        stem, extension = os.path.splitext(name)
        try:
            if extension == ".npy":
                image = np.load(path)
                image_name, step = image_name_and_step(stem)
                directory = os.path.join(save_directory, IMAGE_DIRECTORY)
                os.makedirs(directory, exist_ok=True)
                # mmengine's LocalVisBackend.add_image: RGB in, BGR to cv2.imwrite.
                bgr = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
                cv2.imwrite(os.path.join(directory, f"{image_name}_{step}.png"), bgr)
            elif extension in (".json", ".jsonl"):
                with open(path, encoding="utf-8") as source:
                    text = source.read()
                if extension == ".json":
                    records = [json.loads(text)]
                else:
                    records = [json.loads(line) for line in text.splitlines() if line.strip()]
                lines = []
                for record in records:
                    record.setdefault("step", 0)
                    lines.append(json.dumps(record) + "\n")
                os.makedirs(save_directory, exist_ok=True)
                with open(os.path.join(save_directory, SCALAR_FILE), "a", encoding="utf-8") as target:
                    target.write("".join(lines))
            else:
                return
            os.remove(path)
        except FileNotFoundError:
            return  # a second event for a file already filed
        except Exception as error:  # keep watching, as an agent must
            print(f"peer: {path}: {error}", file=sys.stderr, flush=True)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 64
    drop, out = sys.argv[1], sys.argv[2]
    os.makedirs(drop, exist_ok=True)
    os.makedirs(out, exist_ok=True)
    observer = Observer()
    observer.schedule(DropHandler(drop, out), drop, recursive=True)
    observer.start()
    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())
    print("peer: watching", drop, file=sys.stderr, flush=True)
    stop.wait()
    observer.stop()
    observer.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
