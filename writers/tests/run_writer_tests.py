#!/usr/bin/env python3
"""End-to-end tests of the writer libraries in writers/ against the real visdrop agent.

For each language (C, C++, Rust, Go, Java, JavaScript, Python) the writer and its test program
(writers/tests/<lang>/) are built, then two tests run against one `visdrop watch`:

  sequence     the scripted sequence below (scalars, a file_path target, images of every
               dtype and layout, three configs) plus the error checks; the filed scalars.json
               and val.json must be byte-identical to python3's json applied to SCALARS the way
               mmengine's add_scalars builds and dumps them, every PNG pixel-equal to numpy's
               conversion of the same data, every config.py loaded by mmengine's Config.fromfile
               equal to its source; nothing rejected, nothing left in the drop folder.
  concurrency  two processes x two threads each writing CONCURRENT_RECORDS records: every record
               filed exactly once, in each thread's order, the file_path ones in every5.json too.

The test programs hard-code the same sequence in their own language; the references here are
computed from the specification in this file, never from a writer's output.

Usage: run_writer_tests.py [--visdrop PATH] [--only LANG,...] [--keep]
       run_writer_tests.py --bench [--records N] [--images N] [--markdown FILE]

The agent is --visdrop, else $VISDROP_BIN, else .build/debug/visdrop in the repository.
Prints one line per test and a closing line `writers: N passed, M failed`; exits 1 on any failure.
A missing toolchain fails that language's tests with what to install.
"""

import argparse
import copy
import importlib.util
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the repository, from this process
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"  # nor from the Python test program
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTS = os.path.join(REPO, "writers", "tests")
DEADLINE_SECONDS = 60.0
POLL_SECONDS = 0.05
CONCURRENT_RECORDS = 150  # per thread; 2 processes x 2 threads


def load_helper(name, relative_path):
    """Imports one of the repository's Python test helpers by path."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, relative_path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------
# The scripted sequence (what every test program does, in this order)

NAN = float("nan")
INF = float("inf")

# (record, step, file_path), as passed to add_scalars; add_scalar(name, value, step) is ({name: value}, step, None).
SCALARS = [
    ({"loss": 0.5}, 1, None),
    ({"count": 1}, 2, None),
    ({"ratio": 1.0}, 3, None),
    ({"nan": NAN}, 4, None),
    ({"inf": INF}, 5, None),
    ({"ninf": -INF}, 6, None),
    ({"small": 1e-5}, 7, None),
    ({"negzero": -0.0}, 8, None),
    ({"big": 1e16}, 9, None),
    ({"tiny": 5e-324}, 10, None),
    ({"third": 0.1 + 0.2}, 11, None),
    ({"bigstep": 3}, 1099511627776, None),
    ({"train/loss": 0.25, "train/acc": 1, "lr": 0.001}, 12, None),
    ({"a": 1.5, "step": 99}, 13, None),
    ({"bigint": 2**64 + 1, "negbig": -(2**63), "maxu64": 2**64 - 1, "huge": 10**30}, 14, None),
    ({"nested": {"inner": {"x": 1, "y": 2.5}, "list": [1, 2.0, None, True, False, "s"]},
      "text": "naïve \"q\" \\ \n\t\x01 ключ 😀", "flag": True, "none": None}, 15, None),
    ({"val/acc": 0.91, "val/f1": 1.0}, 16, "val.json"),
    ({"val/acc": NAN, "epoch": 2, "max": 1.7976931348623157e308}, 17, "val.json"),
    ({"last": -2.5e-300}, 18, None),
    ({}, 19, None),
    ({"e21": 1e21, "em7": 1e-7, "f32": float(np.float32(0.1))}, 20, None),
]

CONFIG = {
    "model": {"type": "ResNet", "depth": 50, "norm_cfg": {"type": "BN", "eps": 1e-05, "requires_grad": True}},
    "optimizer": {"lr": 0.02, "momentum": 0.9, "weight_decay": 0.0001},
    "max_epochs": 12,
    "scale": 1.0,
    "flags": [True, False, None],
    "name": "run α",
}
YAML_CONFIG_TEXT = "model:\n  type: ResNet\n  depth: 50\nlr: 0.02\nsteps: [8, 11]\nname: yaml run\n"
JSON_CONFIG_TEXT = '{"work_dir": "./work", "seed": 42, "ratio": 0.5, "list": [1, 2.5, "x"]}'

# Images: for each dtype, for each layout, name "<dtype>_<layout>", step = running index from 0.
IMAGE_DTYPES = ["uint8", "uint16", "float32", "bool"]
IMAGE_LAYOUTS = [("hw", (5, 6)), ("hw1", (5, 6, 1)), ("hw3", (5, 6, 3)), ("hw4", (5, 6, 4)),
                 ("c1hw", (1, 5, 6)), ("c3hw", (3, 5, 6)), ("c4hw", (4, 5, 6))]


def image_data(dtype, shape):
    """The samples the test programs compute: a formula of the flat (C-order) index i."""
    i = np.arange(int(np.prod(shape)), dtype=np.int64)
    if dtype == "uint8":
        flat = ((i * 37 + 11) % 256).astype(np.uint8)
    elif dtype == "uint16":
        flat = ((i * 4099 + 7) % 65536).astype(np.uint16)
    elif dtype == "float32":
        flat = (((i * 37) % 101) / 80.0 - 0.1).astype(np.float32)
        flat[i % 13 == 5] = np.nan
    else:
        flat = (i % 3 == 0) | (i % 7 == 1)
    return flat.reshape(shape)


def expected_pixels(array):
    """The documented conversion: (H, W, C) samples as the PNG must hold them."""
    if array.ndim == 2:
        array = array[:, :, None]
    elif array.shape[2] not in (1, 3, 4):
        array = np.transpose(array, (1, 2, 0))
    if array.dtype == np.bool_:
        return np.where(array, 255, 0).astype(np.uint8)
    if array.dtype == np.float32:
        scaled = array * np.float32(255) + np.float32(0.5)  # torchvision's save_image, in float32
        scaled = np.where(np.isnan(scaled), np.float32(0), scaled)
        return np.clip(scaled, 0, 255).astype(np.uint8)
    return array


def expected_images():
    step = 0
    for dtype in IMAGE_DTYPES:
        for layout, shape in IMAGE_LAYOUTS:
            yield f"{dtype}_{layout}_{step}.png", expected_pixels(image_data(dtype, shape))
            step += 1


def mmengine_lines(calls):
    """scalars.json and the file_path targets as mmengine's add_scalars writes them:
    d = deepcopy(d); d.setdefault('step', step); json.dump(d, f); f.write('\\n')."""
    files = {"scalars.json": []}
    for record, step, file_path in calls:
        record = copy.deepcopy(record)
        record.setdefault("step", step)
        line = json.dumps(record) + "\n"
        files["scalars.json"].append(line)
        if file_path is not None:
            files.setdefault(file_path, []).append(line)
    return {name: "".join(lines).encode() for name, lines in files.items()}


# ---------------------------------------------------------------------------------------------
# Languages

class Language:
    """A writer and its test program: how to build it and the command that runs it."""

    def __init__(self, key, label, tools, build, command, hint):
        self.key, self.label, self.tools, self.build_steps, self.command_for, self.hint = key, label, tools, build, command, hint

    def missing_tools(self):
        return [tool for tool in self.tools if shutil.which(tool) is None]


def languages(work, optimised):
    build = os.path.join(work, "build")
    os.makedirs(build, exist_ok=True)
    flags = ["-O2"] if optimised else ["-O1"]
    go_env = {"GOFLAGS": "-mod=mod", "GOPROXY": "off", "GOCACHE": os.path.join(build, "go-cache"),
              "GOPATH": os.path.join(build, "go-path"), "GOTOOLCHAIN": "local", "GO111MODULE": "on"}
    cargo_env = {"RUSTFLAGS": "-D warnings", "CARGO_TARGET_DIR": os.path.join(build, "cargo-target"),
                 "CARGO_HOME": os.path.join(build, "cargo-home"),
                 "RUSTUP_HOME": os.environ.get("RUSTUP_HOME", os.path.expanduser("~/.rustup"))}
    cargo_profile = "release" if optimised else "debug"
    return [
        Language("c", "C", ["gcc"],
                 [(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", *flags, "-pthread",
                    os.path.join(TESTS, "c", "writer_test.c"), "-o", os.path.join(build, "c_writer_test"), "-lm"], None, None)],
                 lambda *a: [os.path.join(build, "c_writer_test"), *a], "apt-get install gcc"),
        Language("cpp", "C++", ["g++"],
                 [(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-pedantic", *flags, "-pthread",
                    os.path.join(TESTS, "cpp", "writer_test.cpp"), "-o", os.path.join(build, "cpp_writer_test")], None, None)],
                 lambda *a: [os.path.join(build, "cpp_writer_test"), *a], "apt-get install g++"),
        Language("rust", "Rust", ["cargo"],
                 [(lambda: copy_rust_test_crate(os.path.join(build, "rust-test")), None, None),
                  (["cargo", "build", "--offline", "--quiet", *(["--release"] if optimised else [])],
                   os.path.join(build, "rust-test"), cargo_env)],
                 lambda *a: [os.path.join(build, "cargo-target", cargo_profile, "visdrop_writer_test"), *a],
                 "install Rust with cargo (rustup or apt-get install cargo)"),
        Language("go", "Go", ["go"],
                 [(["go", "build", "-o", os.path.join(build, "go_writer_test"), "."], os.path.join(TESTS, "go"), go_env)],
                 lambda *a: [os.path.join(build, "go_writer_test"), *a], "apt-get install golang-go (scripts/install-deps --test)"),
        Language("java", "Java", ["javac", "java"],
                 [(["javac", "-encoding", "UTF-8", "-Xlint:all", "-Werror", "-d", os.path.join(build, "java"),
                    os.path.join(REPO, "writers", "java", "visdrop", "Visdrop.java"),
                    os.path.join(TESTS, "java", "WriterTest.java")], None, None)],
                 lambda *a: ["java", "-cp", os.path.join(build, "java"), "WriterTest", *a], "apt-get install openjdk-17-jdk-headless"),
        Language("js", "JavaScript", ["node"],
                 [(["node", "--check", os.path.join(REPO, "writers", "js", "visdrop.mjs")], None, None),
                  (["node", "-e", "const [major] = process.versions.node.split('.').map(Number);"
                                  "if (major < 18) { console.error('node ' + process.version + ' is older than 18'); process.exit(1); }"],
                   None, None)],
                 lambda *a: ["node", os.path.join(TESTS, "js", "writer_test.mjs"), *a], "apt-get install nodejs (18 or newer)"),
        Language("python", "Python", ["python3"],
                 [([sys.executable, "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)",
                    os.path.join(REPO, "writers", "python", "visdrop.py"), os.path.join(build, "visdrop.pyc")], None, None)],
                 lambda *a: [sys.executable, os.path.join(TESTS, "python", "writer_test.py"), *a], "apt-get install python3"),
    ]


def copy_rust_test_crate(destination):
    """Copies the Rust test crate out of the repository (so Cargo.lock lands in the work folder),
    pointing its path dependency at writers/rust."""
    shutil.copytree(os.path.join(TESTS, "rust"), destination, dirs_exist_ok=True)
    manifest = os.path.join(destination, "Cargo.toml")
    with open(manifest) as file:
        text = file.read()
    with open(manifest, "w") as file:
        file.write(text.replace('path = "../../rust"', json.dumps(os.path.join(REPO, "writers", "rust")).join(["path = ", ""])))


def run_step(argv, cwd, env, timeout=240):
    if callable(argv):
        argv()
        return ""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    result = subprocess.run(argv, cwd=cwd, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"`{' '.join(argv)}` exited {result.returncode}:\n{result.stdout.decode(errors='replace')[-3000:]}")
    return result.stdout.decode(errors="replace")


def build(language):
    missing = language.missing_tools()
    if missing:
        raise AssertionError(f"{', '.join(missing)} not found on PATH: {language.hint}")
    for argv, cwd, env in language.build_steps:
        run_step(argv, cwd, env)


# ---------------------------------------------------------------------------------------------
# Checks

class Waiter:
    """Polls until every condition holds or the deadline passes; then says what is missing."""

    def __init__(self, deadline=DEADLINE_SECONDS):
        self.deadline = time.monotonic() + deadline

    def until(self, describe_missing):
        while True:
            missing = describe_missing()
            if not missing:
                return
            if time.monotonic() > self.deadline:
                raise AssertionError(f"not filed within {DEADLINE_SECONDS:.0f} s: {missing}")
            time.sleep(POLL_SECONDS)


def read_bytes(path):
    try:
        with open(path, "rb") as file:
            return file.read()
    except FileNotFoundError:
        return b""


def visible_files(directory):
    """Files the agent still has to file (not dotfiles) under directory."""
    found = []
    for root, folders, files in os.walk(directory):
        folders[:] = [f for f in folders if not f.startswith(".")]
        found += [os.path.join(root, f) for f in files if not f.startswith(".")]
    return found


def rejected_files(drop, run):
    folder = os.path.join(drop, ".rejected", run)
    return [os.path.join(root, f) for root, _, files in os.walk(folder) for f in files]


def wait_for_run(drop, out, run, wanted_files):
    """Waits until every wanted output exists with its full size (for line files: its line
    count) and the drop run folder is empty, failing early on a rejection."""
    def missing():
        rejected = rejected_files(drop, run)
        if rejected:
            reasons = [read_bytes(f).decode(errors="replace") for f in rejected if f.endswith(".reason.txt")]
            raise AssertionError(f"the agent rejected {[os.path.basename(f) for f in rejected]}: {reasons}")
        problems = []
        for name, line_count in wanted_files.items():
            path = os.path.join(out, run, name)
            if line_count is None:
                if not os.path.exists(path):
                    problems.append(name)
            else:
                lines = read_bytes(path).count(b"\n")
                if lines < line_count:
                    problems.append(f"{name} ({lines} of {line_count} lines)")
        left = visible_files(os.path.join(drop, run))
        if left:
            problems.append(f"{len(left)} files still in the drop folder, e.g. {os.path.basename(left[0])}")
        return "; ".join(problems[:8])
    return missing


def decode_png(path):
    """The PNG's samples as (H, W, C), with the zlib + numpy decoder of the PNG tests."""
    data = read_bytes(path)
    parts = list(CHECK_PNG.chunks(data))
    width, height, depth, colour, _, _, interlace = __import__("struct").unpack(">IIBBBBB", parts[0][1])
    if interlace:
        raise AssertionError(f"{path}: interlaced")
    channels = {0: 1, 4: 2, 2: 3, 6: 4}[colour]
    sample_bytes = depth // 8
    raw = __import__("zlib").decompress(b"".join(body for kind, body in parts if kind == b"IDAT"))
    rows = CHECK_PNG.unfilter(raw, height, width * channels * sample_bytes, channels * sample_bytes)
    samples = np.frombuffer(rows.tobytes(), dtype=">u2" if sample_bytes == 2 else np.uint8)
    return samples.reshape(height, width, channels)


def check_png(path, expected):
    decoded = decode_png(path)
    if decoded.shape != expected.shape or decoded.dtype.itemsize != expected.dtype.itemsize:
        raise AssertionError(f"{os.path.basename(path)}: {decoded.shape} {decoded.dtype} != {expected.shape} {expected.dtype}")
    if not np.array_equal(decoded.astype(np.int64), expected.astype(np.int64)):
        bad = tuple(int(x) for x in np.argwhere(decoded.astype(np.int64) != expected.astype(np.int64))[0])
        raise AssertionError(f"{os.path.basename(path)}: pixel {bad} is {decoded[bad]}, numpy says {expected[bad]}")


def check_config(path, expected):
    from mmengine.config import Config
    actual = Config.fromfile(path).to_dict()
    problem = COMPARE_CONFIG.difference(actual, expected, "config")
    if problem:
        raise AssertionError(f"{path}: {problem}")


def check_lines(path, expected):
    actual = read_bytes(path)
    if actual != expected:
        actual_lines, expected_lines = actual.splitlines(True), expected.splitlines(True)
        for index, (got, want) in enumerate(zip(actual_lines, expected_lines)):
            if got != want:
                raise AssertionError(f"{os.path.basename(path)} line {index + 1}:\n  filed:     {got!r}\n  reference: {want!r}")
        raise AssertionError(f"{os.path.basename(path)}: {len(actual_lines)} lines, reference {len(expected_lines)}")


def prepare_scratch(scratch):
    """Folders for the error checks: a regular file, a folder nobody can write, a good one."""
    os.makedirs(os.path.join(scratch, "good"))
    with open(os.path.join(scratch, "plain-file"), "w") as file:
        file.write("not a folder\n")
    readonly = os.path.join(scratch, "readonly")
    os.makedirs(readonly)
    if os.geteuid() == 0:
        # root ignores permission bits; an immutable folder refuses even root (ext4, tmpfs ≥ 6.0)
        result = subprocess.run(["chattr", "+i", readonly], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if result.returncode != 0:
            raise AssertionError(f"cannot make an unwritable folder for the error checks as root "
                                 f"(chattr +i: {result.stdout.decode().strip()})")
    else:
        os.chmod(readonly, 0o555)


def release_scratch(scratch):
    readonly = os.path.join(scratch, "readonly")
    if os.path.isdir(readonly):
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", readonly], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        else:
            os.chmod(readonly, 0o755)


ERROR_CHECKS = ["missing_drop", "drop_is_file", "readonly_drop", "bad_file_path", "bad_image", "vanished_run"]


def test_sequence(language, drop, out, work):
    run = language.key
    scratch = os.path.join(work, "scratch", language.key)
    prepare_scratch(scratch)
    try:
        result = subprocess.run(language.command_for("errors", scratch), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, timeout=120)
    finally:
        release_scratch(scratch)
    passed = {line.split()[1] for line in result.stdout.decode().splitlines() if line.startswith("ok ")}
    failed_checks = [c for c in ERROR_CHECKS if c not in passed]
    if result.returncode != 0 or failed_checks:
        raise AssertionError(f"error checks {failed_checks or ''} failed (exit {result.returncode}):\n"
                             f"{result.stdout.decode()}{result.stderr.decode()[-2000:]}")
    leftovers = os.listdir(os.path.join(scratch, "good", "r"))
    if leftovers:
        raise AssertionError(f"failed calls left files behind: {leftovers}")
    if os.path.exists(os.path.join(scratch, "missing")):
        raise AssertionError("opening a run on a missing drop folder created it")

    run_step(language.command_for("sequence", drop, run), None, None, timeout=120)
    references = mmengine_lines(SCALARS)
    images = dict(expected_images())
    wanted = {name: reference.count(b"\n") for name, reference in references.items()}
    wanted.update({os.path.join("vis_image", name): None for name in images})
    wanted["config.py"] = None
    waiter = Waiter()
    waiter.until(wait_for_run(drop, out, run, wanted))
    waiter.until(wait_for_run(drop, out, run + "-yaml", {"config.py": None}))
    waiter.until(wait_for_run(drop, out, run + "-jsontext", {"config.py": None}))
    time.sleep(0.2)  # a line arriving late would be a duplicate: give it the chance to show
    for folder in (run, run + "-yaml", run + "-jsontext"):
        # The agent's own claim folder (DROP/<run>/.visdrop-claim) leaves with its filed batch; one
        # made for a batch that filed nothing from the folder may stay, empty.
        folder_path = os.path.join(drop, folder)
        left = [name for name in os.listdir(folder_path)
                if not (name == ".visdrop-claim" and not os.listdir(os.path.join(folder_path, name)))]
        if left:
            raise AssertionError(f"the writer left {left} in the drop folder {folder}")
    for name, reference in references.items():
        check_lines(os.path.join(out, run, name), reference)
    vis_image = os.path.join(out, run, "vis_image")
    unexpected = sorted(set(os.listdir(vis_image)) - set(images))
    if unexpected:
        raise AssertionError(f"unexpected images {unexpected}")
    for name, pixels in images.items():
        check_png(os.path.join(vis_image, name), pixels)
    check_config(os.path.join(out, run, "config.py"), CONFIG)
    import yaml
    check_config(os.path.join(out, run + "-yaml", "config.py"), json.loads(json.dumps(yaml.safe_load(YAML_CONFIG_TEXT))))
    check_config(os.path.join(out, run + "-jsontext", "config.py"), json.loads(JSON_CONFIG_TEXT))


def test_concurrency(language, drop, out, work):
    run = language.key + "-concurrent"
    writers = [subprocess.Popen(language.command_for("concurrent", drop, run, str(writer), str(CONCURRENT_RECORDS)),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for writer in (0, 1)]
    for writer in writers:
        output, _ = writer.communicate(timeout=180)
        if writer.returncode != 0:
            raise AssertionError(f"a concurrent writer exited {writer.returncode}:\n{output.decode(errors='replace')[-2000:]}")
    expected = [(w, t, i) for w in (0, 1) for t in (0, 1) for i in range(CONCURRENT_RECORDS)]
    every5 = [key for key in expected if key[2] % 5 == 0]
    Waiter().until(wait_for_run(drop, out, run, {"scalars.json": len(expected), "every5.json": len(every5)}))
    time.sleep(0.2)
    for name, keys in (("scalars.json", expected), ("every5.json", every5)):
        lines = read_bytes(os.path.join(out, run, name)).decode().splitlines()
        seen = {}
        last_in_thread = {}
        for number, line in enumerate(lines, 1):
            record = json.loads(line)
            key = (record["writer"], record["thread"], record["i"])
            wanted_line = json.dumps({"writer": key[0], "thread": key[1], "i": key[2], "step": key[2]})
            if line != wanted_line:
                raise AssertionError(f"{name} line {number}: {line!r}, reference {wanted_line!r}")
            if key in seen:
                raise AssertionError(f"{name}: record {key} filed twice (lines {seen[key]} and {number})")
            seen[key] = number
            if last_in_thread.get(key[:2], -1) >= key[2]:
                raise AssertionError(f"{name} line {number}: record {key} after i={last_in_thread[key[:2]]} of its thread")
            last_in_thread[key[:2]] = key[2]
        missing = sorted(set(keys) - set(seen))
        if missing or len(lines) != len(keys):
            raise AssertionError(f"{name}: {len(lines)} lines, {len(keys)} records wanted; missing e.g. {missing[:3]}")


# ---------------------------------------------------------------------------------------------
# Driver

def start_agent(binary, drop, out, log_path):
    log = open(log_path, "wb")
    return subprocess.Popen([binary, "watch", "--drop", drop, "--out", out], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def run_tests(arguments):
    started = time.monotonic()
    if not (os.path.isfile(arguments.visdrop) and os.access(arguments.visdrop, os.X_OK)):
        print(f"run_writer_tests: no agent binary at {arguments.visdrop} (build it with `swift build --product visdrop`, "
              "or pass --visdrop PATH / set VISDROP_BIN)")
        print("writers: 0 passed, 1 failed")
        return 1
    work = tempfile.mkdtemp(prefix="visdrop-writers-")
    drop, out = os.path.join(work, "drop"), os.path.join(work, "out")
    os.makedirs(drop)
    os.makedirs(out)
    agent = start_agent(arguments.visdrop, drop, out, os.path.join(work, "agent.log"))
    passed = failed = 0
    try:
        for language in languages(work, optimised=False):
            if arguments.only and language.key not in arguments.only:
                continue
            build_started = time.monotonic()
            try:
                build(language)
                build_error = None
            except (AssertionError, subprocess.TimeoutExpired) as error:
                build_error = f"build failed: {error}"
            build_seconds = time.monotonic() - build_started
            for test_name, test in (("sequence", test_sequence), ("concurrency", test_concurrency)):
                test_started = time.monotonic()
                try:
                    if build_error:
                        raise AssertionError(build_error)
                    if agent.poll() is not None:
                        raise AssertionError(f"the agent exited {agent.returncode}; see {work}/agent.log")
                    test(language, drop, out, work)
                    passed += 1
                    extra = f", build {build_seconds:.1f} s" if test_name == "sequence" else ""
                    print(f"PASS {language.key} {test_name} ({time.monotonic() - test_started:.1f} s{extra})", flush=True)
                except (AssertionError, subprocess.TimeoutExpired, OSError, ValueError, KeyError) as error:
                    failed += 1
                    print(f"FAIL {language.key} {test_name}: {error}", flush=True)
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=30)
        except subprocess.TimeoutExpired:
            agent.kill()
        if failed or arguments.keep:
            print(f"(work folder kept: {work})")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"(took {time.monotonic() - started:.1f} s)")
    print(f"writers: {passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


def run_bench(arguments):
    """records/s and images/s (64x64 RGB uint8) each writer drops, with no agent running.
    Rounds are interleaved (every writer once per round), so a slow moment of a shared disk
    spreads over all writers instead of falling on one, and each run starts after a sync;
    medians are reported."""
    work = tempfile.mkdtemp(prefix="visdrop-writers-bench-")
    chosen = [language for language in languages(work, optimised=True) if not arguments.only or language.key in arguments.only]
    rates = {language.key: ([], []) for language in chosen}
    try:
        for language in chosen:
            build(language)
        for round_number in range(arguments.rounds):
            for language in chosen:
                drop = os.path.join(work, "drop", f"{language.key}-{round_number}")
                os.makedirs(drop)
                os.sync()  # the previous run's writeback and deletions are not charged to this one
                output = run_step(language.command_for("bench", drop, "run", str(arguments.records), str(arguments.images)),
                                  None, None, timeout=600)
                line = next(l for l in output.splitlines() if l.startswith("bench "))
                values = dict(part.split("=") for part in line.split()[1:])
                rates[language.key][0].append(float(values["records_per_s"]))
                rates[language.key][1].append(float(values["images_per_s"]))
                shutil.rmtree(drop)
                print(f"round {round_number + 1} {language.label}: {float(values['records_per_s']):,.0f} records/s, "
                      f"{float(values['images_per_s']):,.0f} images/s", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = [f"Medians of {arguments.rounds} interleaved rounds (lowest and highest in brackets); per round "
             f"{arguments.records:,} one-record add_scalars calls and {arguments.images:,} add_image calls "
             "(64×64 RGB uint8) per writer, into a drop folder with no agent running.", "",
             "| writer | records/s | images/s |", "|---|--:|--:|"]
    for language in chosen:
        records, images = rates[language.key]
        table.append(f"| {language.label} | {statistics.median(records):,.0f} ({min(records):,.0f}–{max(records):,.0f}) "
                     f"| {statistics.median(images):,.0f} ({min(images):,.0f}–{max(images):,.0f}) |")
    text = "\n".join(table) + "\n"
    print(text, end="")
    if arguments.markdown:
        with open(arguments.markdown, "w") as file:
            file.write(text)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visdrop", default=os.environ.get("VISDROP_BIN") or os.path.join(REPO, ".build", "debug", "visdrop"),
                        help="the agent binary (default: $VISDROP_BIN, else .build/debug/visdrop)")
    parser.add_argument("--only", type=lambda text: set(text.split(",")), help="comma-separated: c,cpp,rust,go,java,js,python")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--bench", action="store_true", help="benchmark the writers instead of testing them")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--markdown", help="with --bench: also write the table to this file")
    arguments = parser.parse_args()
    arguments.visdrop = os.path.abspath(arguments.visdrop)
    return run_bench(arguments) if arguments.bench else run_tests(arguments)


CHECK_PNG = load_helper("check_png", "Tests/VisdropPNGTests/Fixtures/check_png.py")
COMPARE_CONFIG = load_helper("compare_config", "Tests/VisdropConfigTextTests/Fixtures/compare_config.py")

if __name__ == "__main__":
    sys.exit(main())
