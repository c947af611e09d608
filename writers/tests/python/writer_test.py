"""The harness's scripted sequence for the Python writer (writers/tests/run_writer_tests.py).

Modes: sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES
Images: uint8 and float32 through numpy arrays, uint16 and bool through plain buffers
(array.array, bytes) with shape and dtype, so both paths are tested.
"""
import array
import math
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import numpy as np  # noqa: E402

import visdrop  # noqa: E402


def sequence(drop, run_name):
    run = visdrop.Run(drop, run_name)
    run.add_config({
        "model": {"type": "ResNet", "depth": 50, "norm_cfg": {"type": "BN", "eps": 1e-05, "requires_grad": True}},
        "optimizer": {"lr": 0.02, "momentum": 0.9, "weight_decay": 0.0001},
        "max_epochs": 12,
        "scale": 1.0,
        "flags": [True, False, None],
        "name": "run α",
    })
    run.add_scalar("loss", 0.5, 1)
    run.add_scalar("count", 1, 2)
    run.add_scalar("ratio", 1.0, 3)
    run.add_scalar("nan", math.nan, 4)
    run.add_scalar("inf", math.inf, 5)
    run.add_scalar("ninf", -math.inf, 6)
    run.add_scalar("small", 1e-5, 7)
    run.add_scalar("negzero", -0.0, 8)
    run.add_scalar("big", 1e16, 9)
    run.add_scalar("tiny", 5e-324, 10)
    run.add_scalar("third", 0.1 + 0.2, 11)
    run.add_scalar("bigstep", np.int64(3), 1099511627776)
    run.add_scalars({"train/loss": 0.25, "train/acc": 1, "lr": 0.001}, 12)
    run.add_scalars({"a": 1.5, "step": 99}, 13)
    run.add_scalars({"bigint": 2**64 + 1, "negbig": -(2**63), "maxu64": np.uint64(2**64 - 1), "huge": 10**30}, 14)
    run.add_scalars({"nested": {"inner": {"x": 1, "y": 2.5}, "list": [1, 2.0, None, True, False, "s"]},
                     "text": "naïve \"q\" \\ \n\t\x01 ключ 😀", "flag": True, "none": None}, 15)
    run.add_scalars({"val/acc": 0.91, "val/f1": 1.0}, 16, file_path="val.json")
    run.add_scalars({"val/acc": math.nan, "epoch": 2, "max": 1.7976931348623157e308}, 17, file_path="val.json")
    run.add_scalar("last", -2.5e-300, 18)
    run.add_scalars({}, 19)
    run.add_scalars({"e21": 1e21, "em7": 1e-7, "f32": np.float32(0.1)}, 20)

    layouts = [("hw", (5, 6)), ("hw1", (5, 6, 1)), ("hw3", (5, 6, 3)), ("hw4", (5, 6, 4)),
               ("c1hw", (1, 5, 6)), ("c3hw", (3, 5, 6)), ("c4hw", (4, 5, 6))]
    step = 0
    for dtype in ("uint8", "uint16", "float32", "bool"):
        for layout, shape in layouts:
            count = math.prod(shape)
            name = f"{dtype}_{layout}"
            if dtype == "uint8":
                run.add_image(name, np.array([(i * 37 + 11) % 256 for i in range(count)], np.uint8).reshape(shape), step)
            elif dtype == "uint16":
                run.add_image(name, array.array("H", [(i * 4099 + 7) % 65536 for i in range(count)]), step, shape=shape)
            elif dtype == "float32":
                values = [math.nan if i % 13 == 5 else ((i * 37) % 101) / 80.0 - 0.1 for i in range(count)]
                run.add_image(name, np.array(values, np.float32).reshape(shape), step)
            else:
                flags = bytes(1 if i % 3 == 0 or i % 7 == 1 else 0 for i in range(count))
                run.add_image(name, flags, step, shape=shape, dtype="bool")
            step += 1
    visdrop.Run(drop, run_name + "-yaml").add_config_yaml(
        "model:\n  type: ResNet\n  depth: 50\nlr: 0.02\nsteps: [8, 11]\nname: yaml run\n")
    visdrop.Run(drop, run_name + "-jsontext").add_config_json(
        '{"work_dir": "./work", "seed": 42, "ratio": 0.5, "list": [1, 2.5, "x"]}')


def fails(check, call):
    try:
        call()
    except (OSError, ValueError, TypeError) as error:
        print(f"{check}: {error}", file=sys.stderr)
        return True
    print(f"FAIL {check}: no error reported")
    return False


def errors(scratch):
    failed = []
    report = lambda check, ok: print(f"ok {check}") if ok else failed.append(check)  # noqa: E731
    ok = fails("missing_drop", lambda: visdrop.Run(f"{scratch}/missing", "r"))
    if os.path.exists(f"{scratch}/missing"):
        print("FAIL missing_drop: created")
        ok = False
    report("missing_drop", ok)
    report("drop_is_file", fails("drop_is_file", lambda: visdrop.Run(f"{scratch}/plain-file", "r")))
    report("readonly_drop", fails("readonly_drop", lambda: visdrop.Run(f"{scratch}/readonly", "r").add_scalar("x", 1.0, 0)))
    run = visdrop.Run(f"{scratch}/good", "r")
    record = {"x": 1.0}
    report("bad_file_path", all([fails("bad_file_path", lambda: run.add_scalars(record, 0, "val.txt")),
                                 fails("bad_file_path", lambda: run.add_scalars(record, 0, "scalars.json")),
                                 fails("bad_file_path", lambda: run.add_scalars(record, 0, "a/b.json"))]))
    report("bad_image", all([fails("bad_image", lambda: run.add_image("x", np.zeros((5, 6, 2), np.uint8), 0)),
                             fails("bad_image", lambda: run.add_image("x", bytes(59), 0, shape=(5, 6), dtype="uint8")),
                             fails("bad_image", lambda: run.add_image("../x", np.zeros((5, 6), np.uint8), 0))]))
    vanishing = visdrop.Run(f"{scratch}/good", "r2")
    os.rmdir(f"{scratch}/good/r2")
    report("vanished_run", fails("vanished_run", lambda: vanishing.add_scalar("x", 1.0, 0)))
    return 1 if failed else 0


def concurrent(drop, run_name, writer, count):
    run = visdrop.Run(drop, run_name)
    problems = []

    def write(thread):
        try:
            for i in range(count):
                run.add_scalars({"writer": writer, "thread": thread, "i": i}, i, "every5.json" if i % 5 == 0 else None)
        except Exception as error:  # reported below, fails the process
            problems.append(error)

    threads = [threading.Thread(target=write, args=(t,)) for t in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        raise problems[0]


def bench(drop, run_name, records, images):
    run = visdrop.Run(drop, run_name)
    start = time.perf_counter()
    for i in range(records):
        run.add_scalars({"loss": 0.25, "acc": 0.5}, i)
    record_seconds = time.perf_counter() - start
    pixels = (np.arange(64 * 64 * 3) * 7).astype(np.uint8).reshape(64, 64, 3)
    start = time.perf_counter()
    for i in range(images):
        run.add_image("bench", pixels, i)
    image_seconds = time.perf_counter() - start
    print(f"bench records_per_s={records / record_seconds:.1f} images_per_s={images / image_seconds:.1f}")


def main(a):
    if len(a) >= 3 and a[0] == "sequence":
        sequence(a[1], a[2])
    elif len(a) >= 2 and a[0] == "errors":
        return errors(a[1])
    elif len(a) >= 5 and a[0] == "concurrent":
        concurrent(a[1], a[2], int(a[3]), int(a[4]))
    elif len(a) >= 5 and a[0] == "bench":
        bench(a[1], a[2], int(a[3]), int(a[4]))
    else:
        print(__doc__, file=sys.stderr)
        return 64
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
