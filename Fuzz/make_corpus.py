#!/usr/bin/env python3
"""Rebuilds the committed seed corpora in Fuzz/Corpus/<TARGET>/ from the test fixtures.

Seeds are small valid and invalid samples: libFuzzer mutates them, so inputs that already reach
deep into a parser make it find more. Run from anywhere: python3 Fuzz/make_corpus.py
"""

import hashlib
import json
import pathlib
import shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTS = ROOT / "Tests"
CORPUS = ROOT / "Fuzz" / "Corpus"
MAX_SEED_BYTES = 8 * 1024


def reset(target):
    folder = CORPUS / target
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def copy_files(folder, paths, prefix=""):
    for path in sorted(paths):
        if path.stat().st_size <= MAX_SEED_BYTES:
            shutil.copyfile(path, folder / (prefix + path.name))


def write_seed(folder, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    (folder / name).write_bytes(data)


def npy_seeds():
    folder = reset("FuzzNPY")
    fixtures = TESTS / "VisdropNPYTests" / "Fixtures"
    copy_files(folder, (fixtures / "arrays").glob("*.npy"), "array-")
    copy_files(folder, (fixtures / "errors").glob("*.npy"), "error-")


def image_seeds():
    folder = reset("FuzzImage")
    fixtures = TESTS / "VisdropPNGTests" / "Fixtures"
    inputs = [p for p in (fixtures / "conversion").glob("*.npy") if not p.name.endswith(".expected.npy")]
    copy_files(folder, inputs, "npy-")
    copy_files(folder, (fixtures / "decode").glob("*.png"), "png-")
    copy_files(folder, (fixtures / "mmengine").glob("*.npy"), "mmengine-")


def json_seeds():
    folder = reset("FuzzJSON")
    fixtures = TESTS / "VisdropJSONTests" / "Fixtures"
    for line in (fixtures / "roundtrip_cases.jsonl").read_text().splitlines():
        case = json.loads(line)
        data = case["input"].encode("utf-8", "surrogatepass")
        write_seed(folder, "case-" + hashlib.sha1(data).hexdigest()[:12], data)
    for line in (fixtures / "errors.jsonl").read_text().splitlines():
        data = bytes.fromhex(json.loads(line)["input_hex"])
        write_seed(folder, "error-" + hashlib.sha1(data).hexdigest()[:12], data)
    doubles = (fixtures / "random_doubles.jsonl").read_text().splitlines()
    write_seed(folder, "lines-random-doubles", "\n".join(doubles[:40]) + "\n")
    scalars = fixtures / "mmengine-scalars"
    copy_files(folder, scalars.glob("*.jsonl"), "lines-")
    copy_files(folder, (scalars / "expected").glob("*.json"), "lines-expected-")
    copy_files(folder, (TESTS / "VisdropAgentTests" / "Fixtures" / "configs").glob("*.json"), "config-")
    for line in (fixtures / "scalar_records.jsonl").read_text().splitlines()[:80]:
        data = json.loads(line)["input"].encode("utf-8")
        if len(data) <= MAX_SEED_BYTES:
            write_seed(folder, "records-" + hashlib.sha1(data).hexdigest()[:12], data)


def config_seeds():
    folder = reset("FuzzConfig")
    configs = TESTS / "VisdropAgentTests" / "Fixtures" / "configs"
    copy_files(folder, configs.glob("*.json"), "json-")
    copy_files(folder, configs.glob("*.yaml"), "yaml-")
    extra = TESTS / "VisdropConfigTextTests" / "Fixtures"
    copy_files(folder, extra.rglob("*.json"), "json-text-")
    copy_files(folder, extra.rglob("*.yaml"), "yaml-text-")
    copy_files(folder, extra.rglob("*.yml"), "yaml-text-")
    cases = json.loads((extra / "yaml_cases.json").read_text())
    for group in ("cases", "deviations"):
        for name, case in sorted(cases[group].items()):
            write_seed(folder, f"yaml-{group}-{name}", case["yaml"])
    handmade = {
        "yaml-anchors": "base: &b {lr: 0.1, steps: [1, 2]}\nrun:\n  <<: *b\n  name: x\nother: *b\n",
        "yaml-scalars": "a: yes\nb: ~\nc: 0x1F\nd: 1_000\ne: .inf\nf: -.NaN\ng: 2001-12-14\nh: '123'\n",
        "yaml-block-text": "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
        "yaml-flow": "{a: [1, {b: null}], 'quoted key': \"esc\\u00e9\\n\", 3: three}\n",
        "yaml-multi-doc": "---\na: 1\n...\n---\nb: 2\n",
        "yaml-tags": "a: !!str 12\nb: !!float 1\nc: !!binary aGVsbG8=\nd: !custom x\n",
        "yaml-keywords": "class: 1\nlambda: 2\nNone: 3\nkeys:\n  def: 4\n  'with space': 5\n",
        "json-nested": '{"model": {"type": "ResNet", "depth": 50, "blocks": [[1, 2], [3]]}, "lr": 1e-05}',
        "json-specials": '{"nan": NaN, "inf": -Infinity, "big": 123456789012345678901234567890, '
        '"s": "\\ud83d\\ude00\\u0000\'\\"", "e": {}}',
    }
    for name, text in handmade.items():
        write_seed(folder, name, text)


if __name__ == "__main__":
    npy_seeds()
    image_seeds()
    json_seeds()
    config_seeds()
    for folder in sorted(CORPUS.iterdir()):
        files = list(folder.iterdir())
        print(f"{folder.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")
