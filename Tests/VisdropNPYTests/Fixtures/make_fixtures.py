#!/usr/bin/env python3
"""Writes the VisdropNPY test fixtures with numpy, the reference implementation of the .npy format.

Run from anywhere: python3 Tests/VisdropNPYTests/Fixtures/make_fixtures.py
(copies the mmengine reference images from /work/shared/mmengine-reference/images when present;
pass another folder as the first argument).

Layout:
  arrays/NAME.npy + arrays/NAME.json   readable arrays; the JSON holds what numpy reads back:
      dtype (numpy name), shape, fortran_order, big_endian, version, numpy_save (true when the file
      is exactly numpy.save's output for a little-endian C-order array), values (C order, one string of
      space-separated tokens: integers in decimal, bools as 0/1, floats as float.hex() so NaN, inf, -0.0
      and every bit survive).
  errors/NAME.npy + errors/manifest.json   broken or unsupported files: the error case the reader must
      raise (with the fields the spec determines) and whether numpy itself rejects the file.
"""
import io
import json
import os
import re
import shutil
import struct
import sys
import warnings

import numpy as np
from numpy.lib import _format_impl
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))
ARRAYS = os.path.join(HERE, "arrays")
ERRORS = os.path.join(HERE, "errors")
MMENGINE_IMAGES = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/mmengine-reference/images"
MAGIC = b"\x93NUMPY"


def npy_bytes(array, version=None):
    buffer = io.BytesIO()
    if version is None:
        np.save(buffer, array, allow_pickle=False)
    else:
        npformat.write_array(buffer, array, version=version, allow_pickle=False)
    return buffer.getvalue()


def raw_npy(header_text, data=b"", version=(1, 0), align=64, encoding="latin1", newline=True):
    """A .npy file with a hand-written header (padded like numpy unless align is None)."""
    header = header_text.encode(encoding)
    prelude = 10 if version == (1, 0) else 12
    if align is not None:
        total = prelude + len(header) + (1 if newline else 0)
        header += b" " * ((-total) % align)
    if newline:
        header += b"\n"
    length = struct.pack("<H" if version == (1, 0) else "<I", len(header))
    return MAGIC + bytes(version) + length + header + data


def value_strings(array):
    values = []
    for value in array.ravel(order="C").tolist():
        if isinstance(value, bool):
            values.append(str(int(value)))
        elif isinstance(value, int):
            values.append(str(value))
        else:
            values.append(float(value).hex())
    return values


def load(raw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.load(io.BytesIO(raw), allow_pickle=False)


def read_header_facts(raw):
    stream = io.BytesIO(raw)
    version = npformat.read_magic(stream)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        shape, fortran, dtype = _format_impl._read_array_header(stream, version)
    return version, fortran, dtype


def write_array_fixture(name, raw, numpy_save=False):
    """Stores raw .npy bytes and the sidecar describing what numpy reads from them.

    numpy_save: the bytes come from numpy.save; the sidecar keeps the flag only for the little-endian
    C-order files that NPYWriter must reproduce byte for byte."""
    array = load(raw)
    version, fortran, dtype = read_header_facts(raw)
    big_endian = dtype.byteorder == ">" or (dtype.byteorder == "=" and sys.byteorder == "big")
    sidecar = {
        "dtype": array.dtype.name,
        "shape": list(array.shape),
        "fortran_order": bool(fortran),
        "big_endian": bool(big_endian and dtype.itemsize > 1),
        "version": list(version),
        "numpy_save": bool(numpy_save and not fortran and not big_endian),
        "values": " ".join(value_strings(array)),
    }
    with open(os.path.join(ARRAYS, name + ".npy"), "wb") as f:
        f.write(raw)
    with open(os.path.join(ARRAYS, name + ".json"), "w") as f:
        json.dump(sidecar, f)
        f.write("\n")


def save_fixture(name, array, version=None):
    raw = npy_bytes(array, version)
    assert np.array_equal(load(raw), array, equal_nan=array.dtype.kind == "f")
    write_array_fixture(name, raw, numpy_save=version is None)


def extremes(dtype):
    if dtype.kind == "b":
        return np.array([True, False, True, True, False, False], dtype=dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.array([info.min, info.min + 1, 0, 1, info.max // 3, info.max], dtype=dtype)
    info = np.finfo(dtype)
    return np.array([-1.5, float(info.smallest_subnormal), 1 / 3, -0.0, float(info.max), -np.inf], dtype=dtype)


def make_arrays():
    kinds = ["b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8"]
    for kind in kinds:
        orders = ["|"] if kind[1] == "1" else ["<", ">"]
        for order in orders:
            dtype = np.dtype(order + kind)
            name = f"dtype_{dtype.name}_{'big' if order == '>' else 'little'}"
            save_fixture(name, extremes(dtype).reshape(2, 3))

    float_specials = [np.nan, np.inf, -np.inf, -0.0, 2.0**-24, 1023 * 2.0**-24, 2.0**-14, 65504.0, -65504.0,
                      0.1, 1 / 3, 1.0]
    for order, label in [("<", "little"), (">", "big")]:
        save_fixture(f"float16_specials_{label}", np.array(float_specials, dtype=order + "f2"))
    for kind in ["f4", "f8"]:
        values = [np.nan, -np.nan, np.inf, -np.inf, -0.0, float(np.finfo(kind).smallest_subnormal),
                  float(np.finfo(kind).tiny), 1e-7, 123456.789]
        save_fixture(f"{np.dtype(kind).name}_specials_big", np.array(values, dtype=">" + kind))

    # Dimensions 0 to 4, C and Fortran order, mixed byte orders.
    save_fixture("scalar_float64", np.array(3.25, dtype="<f8"))
    save_fixture("scalar_int32_big", np.array(-7, dtype=">i4"))
    save_fixture("scalar_bool", np.array(True))
    save_fixture("vector_uint16_big", np.arange(5, dtype=">u2") * 4099)
    save_fixture("empty_uint8", np.zeros((0, 3), dtype="|u1"))
    save_fixture("empty_float32_fortran", np.asfortranarray(np.zeros((2, 0, 4), dtype=">f4")))
    grid = np.arange(12).reshape(3, 4)
    save_fixture("matrix_float32_fortran", np.asfortranarray((grid * 0.5 - 2).astype("<f4")))
    save_fixture("matrix_int64_big_fortran", np.asfortranarray((grid * -(10**15) + 7).astype(">i8")))
    cube = np.arange(24).reshape(2, 3, 4)
    save_fixture("cube_int16", (cube * 1000 - 12000).astype("<i2"))
    save_fixture("cube_uint8_fortran", np.asfortranarray((cube * 11).astype("|u1")))
    save_fixture("cube_float16_big_fortran", np.asfortranarray((cube / 7 - 1).astype(">f2")))
    hyper = np.arange(24).reshape(2, 3, 2, 2)
    save_fixture("hyper_uint32", (hyper * 178956970).astype("<u4"))
    save_fixture("hyper_float64_big_fortran", np.asfortranarray((hyper / 3 - 4).astype(">f8")))
    save_fixture("hyper_bool_fortran", np.asfortranarray(hyper % 3 == 0))
    save_fixture("singleton_dims_fortran", np.asfortranarray(np.arange(12, dtype="<i4").reshape(1, 3, 1, 4)))
    image = np.arange(60).reshape(4, 5, 3)
    save_fixture("image_uint8_fortran", np.asfortranarray((image * 4).astype("|u1")))
    save_fixture("image_float32_big", (image / 59).astype(">f4"))
    # Format versions 2.0 and 3.0 (numpy only picks them for huge or non-Latin-1 headers: force them).
    save_fixture("version2_float32", (grid / 4).astype("<f4"), version=(2, 0))
    save_fixture("version3_int16_big_fortran", np.asfortranarray((cube[:2, :2, :2] - 5).astype(">i2")),
                 version=(3, 0))

    # Header spellings numpy accepts although numpy.save never writes them.
    data6 = np.arange(6, dtype="<i2").tobytes()
    variants = {
        "header_double_quotes": raw_npy('{"shape": (2, 3), "fortran_order": False, "descr": "<i2"}', data6),
        "header_whitespace": raw_npy("{ 'descr' :'<i2' ,\n\t'fortran_order':True,'shape':( 2 , 3 , ) , }", data6),
        "header_no_newline": raw_npy("{'descr': '<i2', 'fortran_order': False, 'shape': (6,)}", data6,
                                     newline=False),
        "header_align16": raw_npy("{'descr': '<i2', 'fortran_order': False, 'shape': (3, 2), }", data6, align=16),
        "header_python2_long": raw_npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2L, 3L), }", data6),
        "header_native_order": raw_npy("{'descr': '=i2', 'fortran_order': False, 'shape': (2, 3), }", data6),
        "header_no_order_char": raw_npy("{'descr': 'i2', 'fortran_order': False, 'shape': (2, 3), }", data6),
        "header_negative_zero_dim": raw_npy("{'descr': '<i2', 'fortran_order': False, 'shape': (-0, 3), }"),
        "header_version3_utf8": raw_npy("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }",
                                        data6, version=(3, 0), encoding="utf8"),
        "bool_nonzero_bytes": raw_npy("{'descr': '|b1', 'fortran_order': False, 'shape': (5,), }",
                                      bytes([0, 1, 2, 128, 255])),
    }
    for name, raw in variants.items():
        write_array_fixture(name, raw)


def make_errors():
    good = npy_bytes(np.arange(6, dtype="<f4").reshape(2, 3))
    good_header_end = 10 + struct.unpack("<H", good[8:10])[0]
    cases = []

    def case(name, raw, error, **fields):
        try:
            load(raw)
            numpy_rejects, numpy_message = False, None
        except Exception as exc:  # numpy raises ValueError, EOFError, OverflowError...
            message = re.sub(r" at 0x[0-9a-f]+", "", f"{type(exc).__name__}: {exc}")  # no addresses
            numpy_rejects, numpy_message = True, message[:300]
        with open(os.path.join(ERRORS, name + ".npy"), "wb") as f:
            f.write(raw)
        cases.append({"file": name + ".npy", "error": error, "fields": fields,
                      "numpy_rejects": numpy_rejects, "numpy_message": numpy_message})

    def header(text, data=b"", **options):
        return raw_npy(text, data, **options)

    f4 = "'descr': '<f4', 'fortran_order': False"
    case("empty_file", b"", "truncatedHeader", needed=10, available=0)
    case("bad_magic", b"\x93NUMPZ" + good[6:], "badMagic")
    case("png_file", b"\x89PNG\r\n\x1a\n" + bytes(40), "badMagic")
    case("truncated_prelude", good[:8], "truncatedHeader", needed=10, available=8)
    case("truncated_header", good[:40], "truncatedHeader", needed=good_header_end, available=40)
    case("version_4_0", MAGIC + b"\x04\x00" + good[8:], "unsupportedVersion", major=4, minor=0)
    case("version_1_1", MAGIC + b"\x01\x01" + good[8:], "unsupportedVersion", major=1, minor=1)
    case("truncated_data", good[:-4], "dataSizeMismatch", expected=24, actual=20)
    case("trailing_data", good + b"\x00\x00\x00", "dataSizeMismatch", expected=24, actual=27)
    case("header_length_4gib", MAGIC + b"\x02\x00" + b"\xff\xff\xff\xff" + good[10:], "headerTooLong",
         length=0xFFFFFFFF, limit=65536)
    case("header_length_beyond_file", MAGIC + b"\x01\x00" + struct.pack("<H", 60000) + good[10:],
         "truncatedHeader", needed=60010, available=len(good))
    case("shape_product_overflow", header("{%s, 'shape': (4294967296, 4294967296), }" % f4), "shapeOverflow",
         shape="(4294967296, 4294967296)")
    case("shape_bytes_overflow", header("{%s, 'shape': (4611686018427387904,), }" % f4), "shapeOverflow",
         shape="(4611686018427387904,)")
    case("shape_entry_overflow", header("{%s, 'shape': (99999999999999999999999, 1), }" % f4),
         "shapeOverflow", shape="(99999999999999999999999, 1)")
    case("shape_terabytes", header("{'descr': '<f8', 'fortran_order': False, 'shape': (1000000, 1000000), }",
                                   bytes(16)), "dataSizeMismatch", expected=8 * 10**12, actual=16)
    case("too_many_dimensions", header("{%s, 'shape': (%s), }" % (f4, "1, " * 33), bytes(4)),
         "tooManyDimensions", count=33, limit=32)
    unsupported = {
        "dtype_object": "|O", "dtype_complex64": "<c8", "dtype_unicode": "<U3", "dtype_bytes": "|S2",
        "dtype_datetime": "<M8[ns]", "dtype_float128": "<f16", "dtype_void": "|V4", "dtype_int3": "<i3",
        "dtype_name": "float32",
    }
    for name, descr in unsupported.items():
        case(name, header("{'descr': '%s', 'fortran_order': False, 'shape': (1,), }" % descr, bytes(16)),
             "unsupportedDType", descr=repr(descr))
    structured = "[('x', '<i4'), ('y', [('a', '<f8')])]"
    case("dtype_structured", header("{'descr': %s, 'fortran_order': False, 'shape': (1,), }" % structured,
                                    bytes(12)), "unsupportedDType", descr=structured)
    malformed = {
        "missing_key": "{'descr': '<f4', 'fortran_order': False, }",
        "unknown_key": "{%s, 'shape': (6,), 'extra': 1, }" % f4,
        "duplicate_key": "{%s, 'shape': (6,), 'shape': (6,), }" % f4,
        "string_escape": "{'descr': '<\\x662', 'fortran_order': False, 'shape': (6,), }",
        "unterminated_string": "{'descr': '<f4, 'fortran_order': False, 'shape': (6,), }",
        "nested_garbage": "{%s, 'shape': (6, {1: [2, (3,)]}), }" % f4,
        "deep_nesting": "{%s, 'shape': %s6%s, }" % (f4, "(" * 40, ")" * 40),
        "shape_not_tuple": "{%s, 'shape': (6), }" % f4,
        "shape_list": "{%s, 'shape': [6], }" % f4,
        "shape_negative": "{%s, 'shape': (-6,), }" % f4,
        "shape_float": "{%s, 'shape': (6.0,), }" % f4,
        "shape_bool": "{%s, 'shape': (True,), }" % f4,
        "fortran_order_int": "{'descr': '<f4', 'fortran_order': 0, 'shape': (6,), }",
        "descr_int": "{'descr': 4, 'fortran_order': False, 'shape': (6,), }",
        "not_a_dict": "[('descr', '<f4')]",
        "text_after_dict": "{%s, 'shape': (6,), } x" % f4,
        "function_call": "{'descr': __import__('os').getcwd(), 'fortran_order': False, 'shape': (6,), }",
        "missing_colon": "{'descr' '<f4', 'fortran_order': False, 'shape': (6,), }",
        "missing_comma": "{'descr': '<f4' 'fortran_order': False, 'shape': (6,), }",
        "unclosed_dict": "{%s, 'shape': (6,), " % f4,
        "non_string_key": "{%s, 'shape': (6,), 7: 1}" % f4,
        "empty_header": "",
    }
    for name, text in malformed.items():
        case(name, header(text, bytes(24)), "malformedHeader")
    case("version3_invalid_utf8", MAGIC + b"\x03\x00" + good[8:10] + b"\x00\x00" + good[10:26] + b"\xff"
         + good[27:], "malformedHeader")
    with open(os.path.join(ERRORS, "manifest.json"), "w") as f:
        json.dump(cases, f, indent=1)
        f.write("\n")


def copy_mmengine_images():
    if not os.path.isdir(MMENGINE_IMAGES):
        print(f"skipping mmengine images: {MMENGINE_IMAGES} not found", file=sys.stderr)
        return
    for entry in sorted(os.listdir(MMENGINE_IMAGES)):
        if entry.endswith(".npy"):
            with open(os.path.join(MMENGINE_IMAGES, entry), "rb") as f:
                raw = f.read()
            write_array_fixture("mmengine_" + entry[:-4], raw, numpy_save=True)


def main():
    for folder in (ARRAYS, ERRORS):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
    make_arrays()
    make_errors()
    copy_mmengine_images()


if __name__ == "__main__":
    main()
