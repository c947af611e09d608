#!/usr/bin/env python3
"""Checks config.py files written by ConfigTextWriter against the real mmengine.

Usage: compare_config.py CONFIG_PY SOURCE [CONFIG_PY SOURCE ...]

For each pair, loads CONFIG_PY with mmengine's Config.fromfile(...).to_dict() and
compares it with SOURCE: json.load for .json, and for .yaml the value
YAMLConfigLoader promises, json.loads(json.dumps(yaml.safe_load(...))).
The comparison is exact: int vs float vs bool, -0.0 vs 0.0, NaN matches NaN.
It also checks that keys come out sorted by code point (top-level keys named
dict/float/globals last), which is the order the writer promises.

Prints "OK <config>" or "FAIL <config>: <difference>" per pair; exits 0 when all
match, 1 otherwise, 3 when python3 lacks mmengine or PyYAML.
"""
import json
import math
import sys

try:
    import yaml
    from mmengine.config import Config
except ImportError as error:
    print(f"MISSING {error}: run scripts/install-deps --test")
    sys.exit(3)

DEFAULT_INT_DIGITS = sys.int_info.default_max_str_digits
SHADOWING = {"dict", "float", "globals"}


def safe_repr(value):
    try:
        text = repr(value)
    except ValueError:
        return f"<int with {value.bit_length()} bits>"
    return text if len(text) < 200 else text[:200] + "..."


def load_source(path):
    sys.set_int_max_str_digits(0)
    try:
        with open(path, encoding="utf-8") as file:
            if path.endswith(".json"):
                return json.load(file)
            return json.loads(json.dumps(yaml.safe_load(file)))
    finally:
        sys.set_int_max_str_digits(DEFAULT_INT_DIGITS)


def difference(actual, expected, path):
    if type(actual) is not type(expected):
        return f"{path}: {type(actual).__name__} {safe_repr(actual)} != {type(expected).__name__} {safe_repr(expected)}"
    if isinstance(actual, float):
        if math.isnan(actual) and math.isnan(expected):
            return None
        if actual == expected and math.copysign(1, actual) == math.copysign(1, expected):
            return None
        return f"{path}: {actual!r} != {expected!r}"
    if isinstance(actual, dict):
        if set(actual) != set(expected):
            missing = sorted(set(expected) - set(actual))
            extra = sorted(set(actual) - set(expected))
            return f"{path}: keys missing {missing!r}, unexpected {extra!r}"
        for key in expected:
            found = difference(actual[key], expected[key], f"{path}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(actual, list):
        if len(actual) != len(expected):
            return f"{path}: {len(actual)} elements != {len(expected)}"
        for index, (left, right) in enumerate(zip(actual, expected)):
            found = difference(left, right, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if actual == expected else f"{path}: {safe_repr(actual)} != {safe_repr(expected)}"


def order_problem(value, path, top_level):
    if isinstance(value, dict):
        keys = list(value)
        if top_level:
            wanted = sorted(k for k in keys if k not in SHADOWING) + sorted(k for k in keys if k in SHADOWING)
        else:
            wanted = sorted(keys)
        if keys != wanted:
            return f"{path}: keys in order {keys!r}, expected {wanted!r}"
        children = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return None
    for child in children:
        found = order_problem(child, path + ".", False)
        if found:
            return found
    return None


def check(config_path, source_path):
    expected = load_source(source_path)
    try:
        actual = Config.fromfile(config_path).to_dict()
    except Exception as error:  # noqa: BLE001 - any failure to load is the finding
        return f"Config.fromfile failed: {type(error).__name__}: {error}"
    return difference(actual, expected, "config") or order_problem(actual, "config", True)


def main(arguments):
    if len(arguments) < 2 or len(arguments) % 2:
        print(__doc__)
        return 2
    failed = False
    for config_path, source_path in zip(arguments[::2], arguments[1::2]):
        problem = check(config_path, source_path)
        if problem:
            failed = True
            print(f"FAIL {config_path}: {problem}")
        else:
            print(f"OK {config_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
