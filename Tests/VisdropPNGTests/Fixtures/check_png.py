#!/usr/bin/env python3
"""Independent check of PNG files written by visdrop: zlib + struct + numpy, no libpng.

Usage: check_png.py FILE.png EXPECTED.npy [FILE.png EXPECTED.npy ...]

For each pair: the signature, every chunk's CRC, the IHDR fields (size, bit depth, colour type
derived from the expected (H, W, C) array's shape and dtype), the zlib stream and all five row
filters are checked, and the decoded samples must equal the expected array. Prints one line per
file and exits with 1 if any file fails.
"""

import struct
import sys
import zlib

import numpy as np

COLOR_TYPES = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> PNG colour type


def chunks(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("bad signature")
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"CRC mismatch in {kind!r}")
        yield kind, body
        offset += 12 + length


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def unfilter(raw, height, stride, bpp):
    rows = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        start = y * (stride + 1)
        kind = raw[start]
        line = np.frombuffer(raw[start + 1:start + 1 + stride], dtype=np.uint8).astype(np.int64)
        if kind == 0:
            out = line
        elif kind == 2:
            out = (line + previous) & 0xFF
        elif kind == 1:
            out = np.empty(stride, dtype=np.int64)
            for lane in range(bpp):  # Sub is a running sum along each byte lane
                out[lane::bpp] = np.cumsum(line[lane::bpp]) & 0xFF
        elif kind in (3, 4):
            out = np.zeros(stride, dtype=np.int64)
            for i in range(stride):
                left = int(out[i - bpp]) if i >= bpp else 0
                up = int(previous[i])
                upper_left = int(previous[i - bpp]) if i >= bpp else 0
                predictor = (left + up) // 2 if kind == 3 else paeth(left, up, upper_left)
                out[i] = (int(line[i]) + predictor) & 0xFF
        else:
            raise ValueError(f"unknown filter type {kind} in row {y}")
        rows[y] = out
        previous = out
    return rows


def check(png_path, expected_path):
    expected = np.load(expected_path)
    height, width, channels = expected.shape
    sample_bytes = expected.dtype.itemsize
    data = open(png_path, "rb").read()
    parts = list(chunks(data))
    if parts[0][0] != b"IHDR" or parts[-1][0] != b"IEND":
        raise ValueError("IHDR must come first and IEND last")
    header = struct.unpack(">IIBBBBB", parts[0][1])
    wanted = (width, height, 8 * sample_bytes, COLOR_TYPES[channels], 0, 0, 0)
    if header != wanted:
        raise ValueError(f"IHDR {header} != {wanted}")
    raw = zlib.decompress(b"".join(body for kind, body in parts if kind == b"IDAT"))
    stride = width * channels * sample_bytes
    if len(raw) != height * (stride + 1):
        raise ValueError(f"{len(raw)} decompressed bytes, expected {height * (stride + 1)}")
    rows = unfilter(raw, height, stride, channels * sample_bytes)
    samples = np.frombuffer(rows.tobytes(), dtype=">u2" if sample_bytes == 2 else np.uint8)
    decoded = samples.reshape(height, width, channels)
    if not np.array_equal(decoded, expected):
        bad = np.argwhere(decoded != expected)[0]
        raise ValueError(f"pixel {tuple(bad)}: {decoded[tuple(bad)]} != {expected[tuple(bad)]}")


def main(arguments):
    failed = False
    for png_path, expected_path in zip(arguments[::2], arguments[1::2]):
        try:
            check(png_path, expected_path)
            print(f"OK {png_path}")
        except Exception as error:  # report every file, then fail
            print(f"FAIL {png_path}: {error}")
            failed = True
    return 1 if failed or len(arguments) % 2 or not arguments else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
