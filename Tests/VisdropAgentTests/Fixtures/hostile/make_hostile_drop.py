"""Writes one hostile drop file for HostileDropTests: python3 make_hostile_drop.py CASE PATH [ARG].

The .npy headers are written by numpy's own header writers (numpy.lib.format), so the files are
exactly what a real (but lying or broken) writer could produce; only the promises are hostile.

Cases:
  npy-terabytes      a valid v1.0 header promising a (1000000, 1000000, 3) uint8 array (3 TB),
                     followed by 64 bytes of data
  npy-overflow       a valid header whose shape's element count overflows 64 bits
  npy-header-4gib    a v2.0 file whose header length field says 0xFFFFFFFF (4 GiB)
  json-deep          a JSON array nested 200,000 deep (valid JSON, 400 kB)
  yaml-alias-bomb    "billion laughs": 9 aliases of 9 aliases ... 9 levels deep (9**9 strings)
  junk SIZE          SIZE bytes of junk: 64 KiB of random bytes, then a hole (a sparse file)
  python-marker M    a config.py that would create the file M if it were ever executed
"""
import os
import struct
import sys

import numpy as np
from numpy.lib import format as npy_format


def npy_with_header(path, header, data=b"", version=(1, 0)):
    with open(path, "wb") as f:
        if version == (1, 0):
            npy_format.write_array_header_1_0(f, header)
        else:
            npy_format.write_array_header_2_0(f, header)
        f.write(data)


def main():
    case, path = sys.argv[1], sys.argv[2]
    if case == "npy-terabytes":
        header = {"descr": "|u1", "fortran_order": False, "shape": (1_000_000, 1_000_000, 3)}
        npy_with_header(path, header, bytes(64))
    elif case == "npy-overflow":
        header = {"descr": "<u2", "fortran_order": False, "shape": (2**62, 2**62, 3)}
        npy_with_header(path, header, bytes(64))
    elif case == "npy-header-4gib":
        header = {"descr": "|u1", "fortran_order": False, "shape": (4, 4)}
        npy_with_header(path, header, bytes(16), version=(2, 0))
        with open(path, "r+b") as f:
            f.seek(8)  # magic (6) and version (2), then the 4-byte little-endian header length
            f.write(struct.pack("<I", 0xFFFFFFFF))
    elif case == "json-deep":
        depth = 200_000
        with open(path, "w") as f:
            f.write("[" * depth + "]" * depth)
    elif case == "yaml-alias-bomb":
        lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        names = "abcdefghi"
        for previous, name in zip(names, names[1:]):
            lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
    elif case == "junk":
        size = int(sys.argv[3])
        with open(path, "wb") as f:
            f.write(os.urandom(min(size, 64 * 1024)))
            f.truncate(size)
    elif case == "python-marker":
        marker = sys.argv[3]
        with open(path, "w") as f:
            f.write("import pathlib\n")
            f.write(f"pathlib.Path({marker!r}).write_text('executed')\n")
            f.write("lr = 0.02\n")
    else:
        sys.exit(f"unknown case {case}")


if __name__ == "__main__":
    main()
