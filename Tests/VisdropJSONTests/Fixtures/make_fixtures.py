#!/usr/bin/env python3
"""Regenerates the VisdropJSON test fixtures from python3's own json module.

Run from anywhere:  python3 Tests/VisdropJSONTests/Fixtures/make_fixtures.py

Writes, next to this script:
  roundtrip_cases.jsonl   {"name", "input", "expected"}: expected = json.dumps(json.loads(input.encode()))
  random_doubles.jsonl    the same shape plus "bits" (hex binary64) and "repr" (Python's repr of that double),
                          for special values and seeded random bit patterns (incl. subnormals)
  scalar_records.jsonl    {"name", "input", "expected"}: input = the text of a dropped scalar file (one object, or JSON
                          Lines), expected = the lines mmengine's add_scalars writes for its records (json.dumps after
                          setdefault('step', 0)), or null when the text holds no records (it is then rejected)
  errors.jsonl            {"name", "mode", "input_hex", "python"}: where Python's json rejects the input,
                          "python" = {"message", "offset" (bytes), "line", "column"}; otherwise null
  mmengine-scalars/       a verbatim copy of what the real mmengine 0.10.7 LocalVisBackend wrote
                          (/work/shared/mmengine-reference/scalars/), refreshed when that folder exists
"""

import json
import math
import os
import random
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MMENGINE_SCALARS = "/work/shared/mmengine-reference/scalars"


def expected_dump(text):
    # Our parser reads bytes, as json.loads(bytes) does (which also skips a UTF-8 byte order mark).
    return json.dumps(json.loads(text.encode("utf-8")))


NAMED_INPUTS = [
    ("sum 0.1+0.2", repr(0.1 + 0.2)),
    ("sum 0.1+0.2 exact decimal", "0.3000000000000000444089209850062616169452667236328125"),
    ("1e-05", "1e-05"),
    ("0.00001", "0.00001"),
    ("0.0001", "0.0001"),
    ("1e-4 spelled", "1e-4"),
    ("1e16", "1e16"),
    ("1e15", "1e15"),
    ("1e22", "1e22"),
    ("1e23", "1e23"),
    ("9999999999999998.0", "9999999999999998.0"),
    ("5e-324", "5e-324"),
    ("4.9e-324 rounds to min subnormal", "4.9e-324"),
    ("2e-324 rounds to zero", "2e-324"),
    ("min normal", "2.2250738585072014e-308"),
    ("max double", "1.7976931348623157e+308"),
    ("-0.0", "-0.0"),
    ("-0.0e0", "-0.0e0"),
    ("0e0", "0e0"),
    ("-0 integer", "-0"),
    ("0", "0"),
    ("1.0", "1.0"),
    ("-1.5", "-1.5"),
    ("100.0", "100.0"),
    ("3.0", "3.0"),
    ("123456789.12345679", "123456789.12345679"),
    ("2.5e+20", "2.5e+20"),
    ("1.5e-07", "1.5e-07"),
    ("1E+2", "1E+2"),
    ("1e-2", "1e-2"),
    ("1.5E300", "1.5E300"),
    ("1E400 overflows", "1E400"),
    ("-1e400 overflows", "-1e400"),
    ("long mantissa", "0." + "1" * 500),
    ("integer 2^53+1", "9007199254740993"),
    ("big integer", "12345678901234567890"),
    ("big negative integer", "-12345678901234567890123"),
    ("integer at python digit limit", "9" * 4300),
    ("negative integer at python digit limit", "-" + "9" * 4300),
    ("NaN", "NaN"),
    ("Infinity", "Infinity"),
    ("-Infinity", "-Infinity"),
    ("literals", "[true, false, null]"),
    ("e acute raw", '"\u00e9"'),
    ("e acute escaped", '"\\u00e9"'),
    ("e acute escaped uppercase hex", '"\\u00E9"'),
    ("emoji raw", '"\U0001F600"'),
    ("emoji escaped pair", '"\\ud83d\\ude00"'),
    ("max scalar", '"\U0010FFFF \\udbff\\udfff"'),
    ("BMP edge characters", '"\u0080\u009f\u00a0\u2028\u2029\ufeff\uffff"'),
    ("chinese key", '{"\u635f\u5931": 0.5}'),
    ("chinese key escaped", '{"\\u635f\\u5931": 0.5}'),
    ("nested", '{"a": [1, [2, [3, {"b": {"c": []}}]], {}], "d": {"e": [[], [[]]]}}'),
    ("empty array", "[]"),
    ("empty object", "{}"),
    ("empty string", '""'),
    ("whitespace everywhere", ' \t\r\n{ "a" :\n[ 1 ,\t2 ] , "b":{ } }\r\n '),
    ("quotes and backslashes", '"say \\"hi\\" \\\\ C:\\\\path\\\\"'),
    ("newline tab escapes", '"line1\\nline2\\ttab\\rcr"'),
    ("short escapes", '"\\b\\f\\n\\r\\t\\/\\"\\\\"'),
    ("all control characters", '"' + "".join("\\u%04x" % c for c in range(0x20)) + '\\u007f"'),
    ("raw delete character", '"a\x7fb"'),
    ("printable ascii", json.dumps("".join(chr(c) for c in range(0x20, 0x7F)))),
    ("duplicate keys", '{"a": 1, "b": 2, "a": 3}'),
    ("duplicate keys nested", '{"x": {"k": 1, "k": {"z": 2}}, "x": [1]}'),
    # JSONObject scans objects of up to 8 keys and indexes larger ones: cross that line.
    ("duplicate keys past eight", '{"k0": 0, "k1": 1, "k2": 2, "k3": 3, "k4": 4, "k5": 5, "k6": 6, '
     '"k7": 7, "k1": "again", "k8": 8, "k9": 9, "k8": [8], "k0": null}'),
    ("ninth key repeats the first", '{"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7, '
     '"h": 8, "a": 9, "i": 10}'),
    ("unicode escape in key", '{"caf\\u00e9": 1, "caf\u00e9": 2}'),
    # Python compares str code point by code point: keys that are merely canonically equivalent
    # (precomposed vs combining accent, as Swift's String == treats them) are different keys.
    ("canonically equivalent escaped keys", '{"caf\\u00e9": 1, "cafe\\u0301": 2}'),
    ("canonically equivalent raw keys", '{"caf\u00e9": 1, "cafe\u0301": 2, "caf\u00e9": 3, "\u212b": 4, "\u00c5": 5}'),
    ("canonically equivalent strings", '["\u212b", "\u00c5", "A\u030a"]'),
    ("byte order mark", "\ufeff[1]"),
    ("deep allowed nesting", "[" * 100 + "]" * 100),
    ("record", '{"loss": 0.30000000000000004, "lr": 1e-05, "step": 3}'),
]


def random_double_cases():
    rng = random.Random(20240601)
    cases = []

    def add(bits, style):
        (value,) = struct.unpack("<d", struct.pack("<Q", bits))
        if math.isnan(value) or math.isinf(value):
            text = json.dumps(value)
        elif style == "repr":
            text = repr(value)
        elif style == "e17":
            text = "%.17e" % value
        else:
            text = "%.25e" % value
        cases.append(
            {
                "name": "bits %016x %s" % (bits, style),
                "bits": "%016x" % bits,
                "repr": repr(value),
                "input": text,
                "expected": expected_dump(text),
            }
        )

    styles = ["repr", "e17", "e25"]
    for value in [0.0, -0.0, math.inf, -math.inf, math.nan, 1.0, -1.0, 0.1]:
        add(struct.unpack("<Q", struct.pack("<d", value))[0], "repr")
    for index in range(2400):  # any bit pattern
        add(rng.getrandbits(64), styles[index % 3])
    for index in range(900):  # subnormals (exponent field 0)
        add(rng.getrandbits(1) << 63 | rng.getrandbits(52), styles[index % 3])
    for index in range(900):  # short decimals around the fixed/scientific switch at 1e-4 and 1e16
        digits = rng.randint(1, 10 ** rng.randint(1, 17))
        exponent = rng.randint(-24, 20)
        (bits,) = struct.unpack("<Q", struct.pack("<d", float("%de%d" % (digits, exponent))))
        add(bits, styles[index % 3])
    for index in range(300):  # integral values and powers of ten
        value = float(rng.randint(1, 2 ** rng.randint(1, 70))) if index >= 40 else 10.0 ** (index - 20)
        (bits,) = struct.unpack("<Q", struct.pack("<d", value))
        add(bits, styles[index % 3])
    return cases


def python_error(data, mode):
    """Python's verdict: None when json accepts the input, else its message and location in bytes."""
    if mode == "document":
        chunks = [(0, data)]
    else:
        chunks, start = [], 0
        for line in data.split(b"\n"):
            chunks.append((start, line))
            start += len(line) + 1
    for start, chunk in chunks:
        if mode == "lines" and not chunk.strip(b" \t\r"):
            continue
        try:
            json.loads(chunk)  # decodes bytes as UTF-8 with "surrogatepass", like any json.loads(bytes)
        except UnicodeDecodeError as error:
            return location(data, start + error.start, "UnicodeDecodeError: " + error.reason)
        except json.JSONDecodeError as error:
            text = chunk.decode("utf-8", "surrogatepass")
            offset = start + len(text[: error.pos].encode("utf-8", "surrogatepass"))
            return location(data, offset, error.msg)
        except (ValueError, RecursionError) as error:
            return {"message": "%s: %s" % (type(error).__name__, error), "offset": None, "line": None, "column": None}
    return None


def location(data, offset, message):
    prefix = data[:offset]
    line_start = prefix.rfind(b"\n") + 1
    column = len(prefix[line_start:].decode("utf-8", "surrogatepass")) + 1
    return {"message": message, "offset": offset, "line": prefix.count(b"\n") + 1, "column": column}


ERROR_INPUTS = [
    ("empty input", "document", b""),
    ("whitespace only", "document", b"  \n "),
    ("truncated array", "document", b"[1, 2"),
    ("truncated object", "document", b'{"a": 1'),
    ("truncated after colon", "document", b'{"a":'),
    ("truncated key", "document", b"{"),
    ("unterminated string", "document", b'["abc'),
    ("unterminated after backslash", "document", b'"ab\\'),
    ("trailing garbage", "document", b"[1] x"),
    ("two values", "document", b"1 2"),
    ("bad escape", "document", b'"a\\x"'),
    ("bad unicode escape", "document", b'"\\u12G4"'),
    ("short unicode escape", "document", b'"\\u12"'),
    ("lone high surrogate", "document", b'"\\ud800"'),
    ("lone low surrogate", "document", b'"ab\\udc00"'),
    ("high surrogate then non-surrogate", "document", b'"\\ud800\\u0041"'),
    ("invalid UTF-8 byte in string", "document", b'"a\xffb"'),
    ("truncated UTF-8 sequence in string", "document", b'"\xc3"'),
    ("overlong UTF-8 in string", "document", b'"\xe0\x80\x80"'),
    ("invalid UTF-8 outside string", "document", b"[\xff]"),
    ("encoded surrogate in string", "document", b'"\xed\xa0\x80"'),
    ("leading zero", "document", b"01"),
    ("missing fraction digit", "document", b"1."),
    ("missing exponent digit", "document", b"[1e+]"),
    ("leading decimal point", "document", b".5"),
    ("leading plus", "document", b"+1"),
    ("lone minus", "document", b"-"),
    ("minus letter", "document", b"-x"),
    ("trailing comma in array", "document", b"[1,]"),
    ("trailing comma in object", "document", b'{"a":1,}'),
    ("truncated literal", "document", b"tru"),
    ("minus Inf", "document", b"-Inf"),
    ("raw newline in string", "document", b'"a\nb"'),
    ("number key", "document", b"{1: 2}"),
    ("missing colon", "document", b'{"a" 1}'),
    ("missing comma", "document", b'["a" 1]'),
    ("integer beyond python digit limit", "document", b"1" * 4301),
    ("multi-line missing colon", "document", b'{\n "a": 1,\n "b" 2\n}'),
    ("non-ASCII column", "document", '["\u00e9\u00e9", x]'.encode()),
    ("lines: bad third line", "lines", b'{"a": 1}\n\n{"b": }\n'),
    ("lines: two values on a line", "lines", b'{"a": 1}\n{"a": 1} {"b": 2}\n'),
    ("lines: value spanning lines", "lines", b'{"a": 1}\r\n{"a":\n1}\n'),
]


def scalar_lines(text):
    """What visdrop files for a scalar file: the whole text as one object, else one object per line."""
    data = text.encode("utf-8")
    try:
        values = [json.loads(data)]
    except ValueError:
        try:
            values = [json.loads(line) for line in data.split(b"\n") if line.strip(b" \t\r\n")]
        except ValueError:
            return None
    if not values or not all(isinstance(value, dict) for value in values):
        return None
    lines = []
    for record in values:
        record.setdefault("step", 0)
        lines.append(json.dumps(record) + "\n")
    return "".join(lines)


def training_record(step):
    return json.dumps({"loss": 2.5 / (step + 3), "acc": step % 1000 / 1000, "lr": 0.0001, "data_time": 0.0123, "step": step})


SCALAR_TEXTS = [
    ("100 training records", "".join(training_record(step) + "\n" for step in range(100))),
    ("one record, no newline", '{"loss": 0.5}'),
    ("step in the middle", '{"a": 1, "step": 7, "b": 2}\n'),
    ("step absent", '{"a": 1, "b": 2}\n'),
    ("empty object", "{}\n"),
    ("empty objects on lines", "{}\n{ }\n"),
    ("whitespace everywhere", ' \t{ "a" :1 ,\t"b":  2.5 }  \n\n  \n{"c":3}\r\n'),
    ("CRLF lines", '{"a": 1}\r\n{"a": 2}\r\n'),
    ("pretty-printed object", '{\n  "loss": 0.25,\n  "acc": 0.75\n}\n'),
    ("byte order mark", '\ufeff{"a": 1}\n{"a": 2}\n'),
    ("canonical short floats", '{"a": 0.5, "b": -1.25, "c": 0.0001, "d": 0.00012, "e": 123456789012345.0, "f": 0.0, "g": -0.0, "h": 3.0}\n'),
    ("floats with trailing zeros", '{"a": 1.50, "b": 0.10, "c": 2.000, "d": 0.0000}\n'),
    ("floats with exponents", '{"a": 1e-3, "b": 1E5, "c": 1.0e0, "d": 2.5e+20, "e": 1.5e-07, "f": 1e16, "g": 1e15}\n'),
    ("floats at the fixed-notation edges", '{"a": 0.00001, "b": 0.0001, "c": 1234567890123456.0, "d": 9999999999999998.0, "e": 100000000000000000.0}\n'),
    ("15, 16 and 17 significant digits", '{"a": 0.123456789012345, "b": 0.1234567890123456, "c": 0.12345678901234567, "d": 1.23456789012345, "e": 12345678.9012345}\n'),
    ("non-shortest long decimals", '{"a": 0.3000000000000000444089209850062616169452667236328125, "b": 0.10000000000000001, "c": 2.00000000000000000001}\n'),
    ("overflow, underflow, subnormal", '{"a": 1e400, "b": -1e400, "c": 2e-324, "d": 5e-324, "e": 2.2250738585072014e-308}\n'),
    ("integers", '{"a": 0, "b": -0, "c": 42, "d": -7, "e": 123456789012345678901234567890, "f": -123456789012345678901234567890}\n'),
    ("a 4300-digit integer", '{"a": ' + "9" * 4300 + "}\n"),
    ("a 4301-digit integer", '{"a": ' + "9" * 4301 + "}\n"),
    ("a negative 4300-digit integer", '{"a": -' + "9" * 4300 + "}\n"),
    ("literals", '{"a": true, "b": false, "c": null, "d": NaN, "e": Infinity, "f": -Infinity}\n'),
    ("plain strings", '{"name": "resnet-50 / run #3", "s": "", "t": "a b"}\n'),
    ("escaped strings", '{"a": "x\\/y", "b": "tab\\there", "c": "\\u00e9", "d": "quote\\"q", "e": "\\ud83d\\ude00"}\n'),
    ("non-ASCII strings", '{"caf\u00e9": "na\u00efve", "emoji": "\U0001F600"}\n'),
    ("escaped key", '{"a\\u0062": 1}\n'),
    ("step spelled with an escape", '{"st\\u0065p": 5, "a": 1}\n'),
    ("repeated key", '{"a": 1, "b": 2, "a": 3}\n'),
    ("repeated key through an escape", '{"a": 1, "\\u0061": 2}\n'),
    ("repeated step", '{"step": 1, "a": 0.5, "step": 2}\n'),
    ("nested values", '{"a": {"b": 1.50, "a": 2}, "c": [1, 2.50, "x"], "d": []}\n'),
    ("64 keys", "{" + ", ".join('"k%d": %d' % (index, index) for index in range(64)) + "}\n"),
    ("65 keys", "{" + ", ".join('"k%d": %d' % (index, index) for index in range(65)) + "}\n"),
    ("65 keys, one repeated", "{" + ", ".join('"k%d": %d' % (index % 64, index) for index in range(65)) + "}\n"),
    ("a plain line then a nested one", '{"a": 1}\n{"b": {"c": 2}}\n'),
    ("a plain line then an invalid one", '{"a": 1}\n{"b": }\n'),
    ("a plain line then an array", '{"a": 1}\n[1, 2]\n'),
    ("an array", "[1, 2]\n"),
    ("a number", "3\n"),
    ("only whitespace", " \n\t\n"),
    ("empty", ""),
    ("two objects on one line", '{"a": 1} {"b": 2}\n'),
    ("trailing comma", '{"a": 1,}\n'),
    ("missing value", '{"a": }\n'),
    ("unterminated", '{"a": 1\n'),
    ("single quotes", "{'a': 1}\n"),
    ("control character in a string", '{"a": "x\ty"}\n'),
    ("leading zero", '{"a": 01}\n'),
    ("bad literal", '{"a": tru}\n'),
    ("minus without digits", '{"a": -}\n'),
    ("exponent without digits", '{"a": 1e}\n'),
]


def random_scalar_texts(count):
    generator = random.Random(20261202)
    texts = []
    for index in range(count):
        lines = []
        for _ in range(generator.randint(1, 6)):
            record = {}
            for _ in range(generator.randint(0, 9)):
                key = generator.choice(["loss", "acc", "lr", "step", "time", "grad_norm", "k" + str(generator.randint(0, 20))])
                kind = generator.randint(0, 9)
                if kind < 3:
                    value = repr(struct.unpack("<d", struct.pack("<Q", generator.getrandbits(64)))[0])
                    if "nan" in value or "inf" in value:
                        value = "NaN"
                elif kind < 5:
                    value = "%.*g" % (generator.randint(1, 17), generator.uniform(-1e3, 1e3) * 10 ** generator.randint(-8, 8))
                elif kind < 6:
                    value = "%.*f" % (generator.randint(1, 8), generator.uniform(-100, 100))
                elif kind < 8:
                    value = str(generator.randint(-10 ** generator.randint(1, 25), 10 ** generator.randint(1, 25)))
                elif kind < 9:
                    value = json.dumps("".join(generator.choice("ab c/\\\"\u00e9") for _ in range(generator.randint(0, 4))))
                else:
                    value = generator.choice(["true", "false", "null", "Infinity", "-Infinity"])
                record[key] = value  # a later duplicate of a key replaces the text, as in most writers
                if generator.random() < 0.05:
                    record[key + " "] = value
            body = generator.choice([", ", ",", " , "]).join('"%s"%s%s' % (key, generator.choice([": ", ":", " : "]), value) for key, value in record.items())
            if generator.random() < 0.05 and record:
                first = next(iter(record))
                body += ', "%s": 1' % first  # a repeated key
            lines.append("{" + body + "}")
        texts.append(("random %d" % index, "\n".join(lines) + generator.choice(["", "\n"])))
    return texts


def write_jsonl(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="ascii", newline="\n") as file:
        for row in rows:
            file.write(json.dumps(row) + "\n")


def main():
    if os.path.isdir(MMENGINE_SCALARS):
        shutil.rmtree(os.path.join(HERE, "mmengine-scalars"), ignore_errors=True)
        shutil.copytree(MMENGINE_SCALARS, os.path.join(HERE, "mmengine-scalars"))
    write_jsonl(
        "roundtrip_cases.jsonl",
        [{"name": name, "input": text, "expected": expected_dump(text)} for name, text in NAMED_INPUTS],
    )
    write_jsonl("random_doubles.jsonl", random_double_cases())
    write_jsonl(
        "scalar_records.jsonl",
        [
            {"name": name, "input": text, "expected": scalar_lines(text)}
            for name, text in SCALAR_TEXTS + random_scalar_texts(600)
        ],
    )
    write_jsonl(
        "errors.jsonl",
        [
            {"name": name, "mode": mode, "input_hex": data.hex(), "python": python_error(data, mode)}
            for name, mode, data in ERROR_INPUTS
        ],
    )


if __name__ == "__main__":
    main()
