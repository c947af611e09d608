#!/usr/bin/env python3
"""Writes the expected values VisdropConfigTextTests compares against.

Run from anywhere: python3 Tests/VisdropConfigTextTests/Fixtures/make_fixtures.py
Needs PyYAML and mmengine-lite (scripts/install-deps --test). Writes, next to itself:

- cases/NAME.yaml        configs for the writer round trip (loaded by our YAML loader,
                         written by ConfigTextWriter, loaded back by mmengine, compared by
                         compare_config.py); yaml.safe_dump output, checked to load back equal.
- yaml_cases.json        YAML texts with the canonical form of
                         json.loads(json.dumps(yaml.safe_load(text))), or "error" when PyYAML
                         (or json.dumps) refuses the document; plus "deviations", texts PyYAML
                         accepts but the loader refuses on purpose.
- float_repr.json        float bit patterns with Python's repr().
- string_repr.json       strings (as UTF-8 hex) with Python's repr().
- reserved_keys.json     top-level keys with a value, and whether mmengine's Config.fromfile
                         gives that key and value back when config.py assigns it.

Canonical form (also built by the Swift tests): n, b:true, i:<digits>, f:<16 hex digits of the
IEEE bits> or f:nan, s:<UTF-8 hex>, [a,b], {<key UTF-8 hex>:value,...} in dict order.
"""
import json
import math
import os
import random
import struct
import sys
import tempfile

import yaml
from mmengine.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
sys.set_int_max_str_digits(0)


def canonical(value):
    if value is None:
        return "n"
    if isinstance(value, bool):
        return "b:true" if value else "b:false"
    if isinstance(value, int):
        return f"i:{value}"
    if isinstance(value, float):
        if math.isnan(value):
            return "f:nan"
        return "f:" + struct.pack(">d", value).hex()
    if isinstance(value, str):
        return "s:" + value.encode("utf-8").hex()
    if isinstance(value, list):
        return "[" + ",".join(canonical(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(key.encode("utf-8").hex() + ":" + canonical(item) for key, item in value.items()) + "}"
    raise TypeError(f"no canonical form for {type(value).__name__}")


def write_json(name, value):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as file:
        json.dump(value, file, indent=1, ensure_ascii=True)
        file.write("\n")


def nested(depth, leaf, kind):
    value = leaf
    for level in range(depth):
        value = [value] if kind == "list" else {"d" if level % 2 else "e": value}
    return value


ROUND_TRIP_CASES = {
    "tricky_strings": {
        "quote_single": "it's",
        "quote_double": 'say "hi"',
        "quote_both": "it's \"both\"",
        "backslash": "C:\\path\\new",
        "newline": "a\nb",
        "tab": "a\tb",
        "carriage_return": "a\rb",
        "nul": "a\x00b",
        "delete": "\x7f",
        "c1_controls": "\x85\x9f",
        "no_break_space": "a\xa0b",
        "line_separator": "a\u2028b",
        "zero_width_space": "\u200b",
        "private_use": "\ue000",
        "emoji": "\U0001F600",
        "accent": "é",
        "combining": "e\u0301",
        "templates": "{{ fileDirname }} {{$HOME:x}} {{ _base_.a }} {{{x}}} {{",
        "empty": "",
        "long": "x" * 200,
        "list": ["it's", 'a"b', "\\", "\n", "é"],
    },
    "keyword_keys": {
        "class": 1,
        "None": 2,
        "True": [3],
        "lambda": {"x": 1},
        "kw": {
            "class": 1, "None": 2, "True": 3, "def": 4, "match": 5, "type": 6,
            "_": 7, "__debug__": 8, "dict": 9, "self": 10, "import": 11, "async": 12,
        },
        "soft": {"match": 1, "case": 2, "type": 3, "_": 4},
    },
    "non_identifier_keys": {
        "1st": [1],
        "not ident": {"a": 1},
        "é": "non-ASCII key",
        "café": {"naïve": 1},
        "a-b": {"c.d": {"1x": {"ok": [{"k-1": 1, "ok": 2}]}}},
        "ident": {"ok": {"not-ok": 1, "also ok": None}},
        "": "empty key",
        " ": "space key",
        "x'y": "quote key",
        "{{ fileDirname }}": "template key",
    },
    "empty_containers": {
        "empty_dict": {},
        "empty_list": [],
        "nested": {"a": [], "b": {}, "c": [[], {}, [[]]]},
    },
    "deep_nesting": {
        "deep_list": nested(150, 1, "list"),
        "deep_dict": nested(120, "leaf", "dict"),
        "deep_mixed": nested(60, nested(60, [1.5, None], "list"), "dict"),
    },
    "numbers": {
        "ints": [0, 1, -1, 2**63, -(2**63) - 1, 2**100, -(2**100)],
        "huge": 10**5000 + 12345,
        "huge_negative": -(7 * 10**9000 + 1),
        "huge_chunk_zeros": 10**8001,
        "floats": [
            -0.0, 0.0, 1e-05, 1e-4, 1e16, 1e15, 9999999999999998.0, 1.5, 5e-324,
            1.7976931348623157e308, 0.1 + 0.2, 123456789.123, 1e22, -2.5e-10, 100.0,
        ],
        "nan": float("nan"),
        "inf": float("inf"),
        "minus_inf": float("-inf"),
        "in_dict": {"nan": float("nan"), "neg_zero": -0.0},
        "bools": [True, False, None],
    },
    "sort_order": {
        "B": 1, "a": 2, "é": 3, "Z": 4, "_x": 5, "ä": 6, "10": 7, "9": 8, "b": 9, "A": 10,
        "nested": {"B": 1, "a": 2, "é": 3, "Z": 4, "\U0001F600": 6, "\uffff": 7},
    },
    "shadowing_keys": {
        "dict": {"a": 1, "b": [float("nan")]},
        "float": [float("inf"), 1.5],
        "globals": {"x": {"y": None}},
        "model": {"type": "ResNet"},
        "print": "builtins other than dict/float/globals are fine",
    },
    "custom_imports": {
        "custom_imports": {"imports": ["os.path"], "allow_failed_imports": False},
        "model": {"type": "X"},
    },
    "long_values": {
        "numbers": list(range(60)),
        "strings": [f"item_{index}" for index in range(25)],
        "pipeline": [
            {"type": "LoadImageFromFile", "backend_args": None},
            {"type": "RandomResize", "scale": [1333, 800], "ratio_range": [0.1, 2.0], "keep_ratio": True},
            {"type": "PackDetInputs", "meta_keys": ["img_id", "img_path", "ori_shape", "img_shape", "scale_factor"]},
        ],
        "exactly_wide": "y" * 71,
    },
    "mmdet_like": {
        "model": {
            "type": "FasterRCNN",
            "data_preprocessor": {
                "type": "DetDataPreprocessor", "mean": [123.675, 116.28, 103.53],
                "std": [58.395, 57.12, 57.375], "bgr_to_rgb": True, "pad_size_divisor": 32,
            },
            "backbone": {
                "type": "ResNet", "depth": 50, "num_stages": 4, "out_indices": [0, 1, 2, 3],
                "frozen_stages": 1, "norm_cfg": {"type": "BN", "requires_grad": True}, "norm_eval": True,
                "init_cfg": {"type": "Pretrained", "checkpoint": "torchvision://resnet50"},
            },
        },
        "optim_wrapper": {"type": "OptimWrapper", "optimizer": {"type": "SGD", "lr": 0.02, "momentum": 0.9}},
        "param_scheduler": [
            {"type": "LinearLR", "start_factor": 0.001, "by_epoch": False, "begin": 0, "end": 500},
            {"type": "MultiStepLR", "begin": 0, "end": 12, "by_epoch": True, "milestones": [8, 11], "gamma": 0.1},
        ],
        "default_scope": "mmdet",
        "work_dir": "./work_dirs/faster-rcnn_r50_fpn_1x_coco",
        "_scope_": "kept",
        "_delete_": "kept at top level",
        "nested_delete": {"_delete_": True, "a": 1},
    },
}

# YAML inputs whose safe_load result the loader must reproduce.
YAML_CASES = {
    "booleans": "a: yes\nb: No\nc: on\nd: OFF\ne: true\nf: False\ng: y\nh: n\ni: TRUE\nj: yES\n",
    "nulls": "a: ~\nb: null\nc: Null\nd:\ne: NULL\nf: none\ng: [~, null, ]\n",
    "ints": (
        "a: 0x10\nb: 1_000\nc: 010\nd: 0b101\ne: -0x1F\nf: 1:30\ng: +12\nh: 0\ni: -0\nj: 08\n"
        "k: 123456789012345678901234567890\nl: 0o17\nm: 0_\nn: 190:20:30\no: -1_2\np: 0xFFFFFFFFFFFFFFFFFFFFFFFF\n"
        "q: 0777777777777777777777777777\nr: 0b1111111111111111111111111111111111111111111111111111111111111111111\n"
        "s: 1:60\nt: 0x_1\n"
    ),
    "floats": (
        "a: .inf\nb: -.inf\nc: .NaN\nd: 1.5\ne: 1e5\nf: 1.0e+5\ng: -.5\nh: 1.\ni: .5\nj: 1:30.5\nk: -0.0\n"
        "l: 6.8523015e+5\nm: 685.230_15e+03\nn: +.inf\no: 1_0.5\np: 1.0E-5\nq: .Inf\nr: 0.1\ns: 1e-05\n"
        "t: 190:20:30.15\nu: 5.0e-324\nv: 1.7976931348623157e+308\nw: 1.0e+400\nx: .5e+3\ny: 3.\n"
    ),
    "quoted_strings": (
        "a: 'yes'\nb: \"1\"\nc: 'it''s'\nd: \"caf\\xE9\"\ne: \"\\u00e9\\t\\n\"\nf: \"\\L\\N\\_\\0\\e\"\n"
        "g: plain text with spaces\nh: \"\\U0001F600\"\ni: 'multi\n  line'\nj: \"a\\\n  b\"\nk: '~'\n"
    ),
    "block_scalars": (
        "a: |\n  line1\n  line2\nb: >\n  folded\n  text\n\n  para\nc: |-\n  keep\nd: >+\n  x\n\n"
        "e: plain\n  continued\nf: |2\n    indented\ng: >-\n  * bullet *x\n  &y\n"
    ),
    "anchors": "base: &b {x: 1, y: [1, 2]}\nuse: *b\nlist: [*b, *b]\nscalar: &s hello\nagain: *s\n",
    "merge_keys": (
        "base: &b {x: 1, y: 2}\nover: &o {y: 3, w: 4}\nm1:\n  <<: *b\n  z: 0\nm2:\n  <<: [*o, *b]\n"
        "m3:\n  x: 9\n  <<: *b\nm4:\n  <<: {inline: 1}\n  k: v\nm5: {<<: *b, y: 5}\n"
        "chain: &c {<<: *b, c: 1}\nm6: {<<: *c}\n"
    ),
    "anchor_inside_anchor": "e: &x [&y 3, *y]\nf: *x\n",
    "ordered_maps": "o: !!omap [a: 1, {b: 2}]\np: !!pairs [a: 1, a: 2]\nq: !!omap [[1]: 2, 3: [4]]\n",
    "anchor_on_key": "&k key: 1\nother: *k\n",
    "alias_as_key": "a: &k name\n*k : 2\nb: &n 5\n? *n\n: five\n",
    "nonstring_keys": "1: a\n1.5: b\nnull: d\n0x10: e\n.inf: g\n-.inf: h\nno: i\n1e3: j\n2001:1: k\n",
    "python_key_merging": "{1: a, 1.0: b, true: c, 0: d, -0.0: e, false: f, '1': g}\n",
    "nan_keys": "{.nan: a, .NaN: b, x: c}\n",
    "flow": "{a: [1, {b: 2}], c: {d: [e, f]}, 'g': [], h: {}, i: [a b, 'c d']}\n",
    "explicit_tags": (
        "a: !!str 123\nb: !!int '42'\nc: !!float '1'\nd: !!bool 'yes'\ne: !!null ''\nf: ! 12\ng: !!str yes\n"
        "h: !!int 0x1F\ni: !!float .inf\nj: !!map {k: 1}\nk: !!seq [1]\nl: !!str\nm: !!float 1_000\n"
    ),
    "stars_and_ampersands_in_text": (
        "a: '*notalias'\nb: \"x *y &z\"\nc: foo *bar\n# comment *z &q\nd: |\n  * bullet *x\n  &y text\n"
        "e: [foo *bar]\nf: a*b\ng: \"&amp\"\nh: '*'\ni: x&y\nj: &real [1]\nk: *real # *fake\n"
        "l: text\n  *continued\n"
    ),
    "unicode": "ключ: значение\né: ü\nemoji: 😀\n\"caf\\xE9\": 1\nnbsp: \"a\\u00a0b\"\n",
    "crlf_and_bom": "\ufeffa: 1\r\nb: &x [1]\r\nc: *x\r\n",
    "document_markers": "%YAML 1.1\n---\na: 1\n...\n",
    "comments": "# top\na: 1 # trailing\nb: [1, # inside\n  2]\n",
    "value_key": "=: 1\nother: x\n",
    "quoted_timestamp": "d: '2024-01-01'\ne: 2024-1-1x\n",
    "nested_config": (
        "model:\n  type: ResNet\n  layers: [1, 2, 3]\n  norm: &norm\n    type: BN\n    eps: 1.0e-5\n"
        "neck:\n  norm: *norm\n  in: [256, 512]\n"
    ),
    "long_alias_names": "a: &a-very_long-anchor-name-1 {x: 1}\nb: *a-very_long-anchor-name-1\n",
    "numbers_as_strings": "a: '0x10'\nb: \"1.5\"\nc: 1.5.6\nd: 1_\ne: _1\nf: 0b2\ng: 12e\n",
    # PyYAML refuses these (or json.dumps cannot write what it builds):
    "top_level_list": "- a\n- b\n",
    "top_level_scalar": "hello\n",
    "empty_document": "",
    "comment_only": "# nothing\n",
    "unclosed_flow": "a: [1, 2\n",
    "bad_indentation": "a:\n  b: 1\n c: 2\n",
    "undefined_alias": "a: *nope\n",
    "alias_before_anchor": "a: *x\nb: &x 1\n",
    "recursive_alias": "a: &r [*r]\n",
    "timestamp": "d: 2024-01-01\n",
    "timestamp_full": "d: 2001-12-14t21:59:43.10-05:00\n",
    "binary": "b: !!binary aGVsbG8=\n",
    "set": "s: !!set {a, b}\n",
    "duplicate_anchor": "a: &x 1\nb: *x\nc: &x 2\nd: *x\n",
    "omap_item_not_single_pair": "o: !!omap [{a: 1, b: 2}]\n",
    "omap_item_not_mapping": "o: !!omap [[1]]\n",
    "omap_on_mapping": "o: !!omap {a: 1}\n",
    "custom_tag": "x: !foo 1\n",
    "python_tag": "x: !!python/tuple [1, 2]\n",
    "list_key": "? [1, 2]\n: x\n",
    "alias_list_key": "a: &l [1]\n*l : x\n",
    "value_marker_as_value": "a: =\n",
    "two_documents": "a: 1\n---\nb: 2\n",
    "bad_explicit_int": "a: !!int abc\n",
    "bad_explicit_bool": "a: !!bool maybe\n",
    "merge_scalar": "a:\n  <<: 1\n",
    "merge_list_of_scalars": "a:\n  <<: [1]\n",
    "merge_as_value": "a: <<\n",
    "alias_with_tag": "a: &x 1\nb: !!str *x\n",
    "alias_with_anchor": "a: &x 1\nb: &y *x\n",
    "alias_followed_by_text": "a: &x 1\nb: *x y\n",
    "tab_indentation": "a:\n\tb: 1\n",
}

# Documents PyYAML accepts that the loader refuses on purpose (see YAMLConfigLoader's documentation).
DEVIATIONS = {
    "duplicate_key": "a: 1\na: 2\n",
    "duplicate_merge_keys": "b: &b {x: 1}\nc: &c {y: 2}\nm:\n  <<: *b\n  <<: *c\n",
    # Yams compares keys as Swift strings (canonical equivalence), so NFC and NFD spellings collide.
    "canonically_equivalent_keys": "\u00e9: 1\ne\u0301: 2\n",
}

# (key, value) written at top level; mmengine must give both back, or the writer must refuse the key.
RESERVED_KEY_PROBES = [
    ("filename", 1), ("text", 1), ("pretty_text", 1), ("env_variables", 1),
    ("_base_", [1]), ("_deprecation_", {}), ("_imported_names", 1),
    ("__private", 1), ("__builtins__", 1),
    ("custom_imports", [1]), ("custom_imports", {"modules": ["os"]}), ("custom_imports", {"imports": [1]}),
    ("custom_imports", 0), ("custom_imports", {}), ("custom_imports", {"imports": []}),
    ("custom_imports", {"imports": "os"}), ("custom_imports", {"imports": ["os"], "allow_failed_imports": True}),
    ("_scope_", "x"), ("_delete_", True), ("type", "x"), ("items", 1), ("keys", 1), ("lazy", 1),
    ("_filename", 1), ("_text", 1), ("_cfg_dict", 1), ("scope", 1), ("to_dict", 1), ("_", 1),
]


def round_trips_in_mmengine(key, value):
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "config.py")
        with open(path, "w", encoding="utf-8") as file:
            file.write(f"globals()[{key!r}] = {value!r}\n")
        try:
            loaded = Config.fromfile(path).to_dict()
        except Exception:  # noqa: BLE001 - any failure means the key cannot be written
            return False
        return loaded == {key: value}


def yaml_expectation(text):
    try:
        return canonical(json.loads(json.dumps(yaml.safe_load(text))))
    except Exception:  # noqa: BLE001 - PyYAML's refusal is the expectation
        return "error"


def float_samples():
    generator = random.Random(20251125)
    values = [
        0.0, -0.0, 1.0, -1.0, 0.1, 0.2, 0.3, 1 / 3, 2 / 3, 1e-4, 1e-5, 0.00012345, 1e15, 1e16, 1e17,
        9999999999999998.0, 123456789012345678.0, 1e22, 1e23, 5e-324, 2.2250738585072014e-308,
        1.7976931348623157e308, 100.0, 1234.5, 0.5, 2.5e-10, 6.02214076e23, math.pi, math.e,
        float(2**53), float(2**53 + 2), float(2**63), 1e300, 1e-300,
    ]
    for _ in range(1500):
        values.append(struct.unpack(">d", generator.getrandbits(64).to_bytes(8, "big"))[0])
    for _ in range(1500):
        values.append(round(generator.uniform(-1e6, 1e6), generator.randint(0, 12)))
    for exponent in range(-30, 31):
        values.append(generator.random() * 10.0**exponent)
    return [value for value in values if math.isfinite(value)]


def string_samples():
    samples = ["", "plain", "it's", 'say "hi"', "it's \"both\"", "\\", "a\nb\tc\rd", "é", "😀", "e\u0301"]
    samples += [chr(code) for code in range(0x0, 0x300)]
    samples += [chr(code) for code in range(0x2000, 0x2070)]
    samples += [chr(code) for code in [0xFEFF, 0xE000, 0xF8FF, 0xFFF9, 0xFFFC, 0xFFFD, 0xFFFE, 0xFFFF,
                                       0x1F600, 0xE0001, 0xE0100, 0x10FFFF, 0x3000, 0x4E2D, 0x0430]]
    return samples


def main():
    cases = os.path.join(HERE, "cases")
    os.makedirs(cases, exist_ok=True)
    for name, config in ROUND_TRIP_CASES.items():
        text = yaml.safe_dump(config, allow_unicode=True, sort_keys=False, width=100)
        reloaded = yaml.safe_load(text)
        if canonical(reloaded) != canonical(config):
            raise SystemExit(f"{name}: yaml.safe_dump output does not load back equal")
        with open(os.path.join(cases, name + ".yaml"), "w", encoding="utf-8") as file:
            file.write(text)

    write_json("yaml_cases.json", {
        "cases": {name: {"yaml": text, "expected": yaml_expectation(text)} for name, text in YAML_CASES.items()},
        "deviations": {name: {"yaml": text, "pyyaml": yaml_expectation(text)} for name, text in DEVIATIONS.items()},
    })
    write_json("float_repr.json", [
        {"bits": struct.pack(">d", value).hex(), "repr": repr(value)} for value in float_samples()
    ])
    write_json("string_repr.json", [
        {"utf8": text.encode("utf-8", "surrogatepass").hex(), "repr": repr(text)}
        for text in string_samples() if not 0xD800 <= (ord(text) if len(text) == 1 else 0) <= 0xDFFF
    ])
    write_json("reserved_keys.json", [
        {"key": key, "value_yaml": yaml.safe_dump({"value": value}), "round_trips": round_trips_in_mmengine(key, value)}
        for key, value in RESERVED_KEY_PROBES
    ])


if __name__ == "__main__":
    main()
