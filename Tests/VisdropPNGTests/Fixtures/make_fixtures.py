#!/usr/bin/env python3
"""Writes the fixtures of VisdropPNGTests; every expected value comes from numpy or the PNG spec.

Run from anywhere: `python3 Tests/VisdropPNGTests/Fixtures/make_fixtures.py` (numpy only).

- conversion/NAME.npy + conversion/NAME.expected.npy, listed in conversion/cases.json:
  an array dropped by a user and the pixels (H, W, C) the PNG must hold, computed with
  torchvision's `save_image` formula `x.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)`
  evaluated in the array's own dtype (numpy rounds float16/float32 arithmetic to the operand
  dtype exactly like torch's CPU kernels), NaN -> 0.
- conversion/rejected.json + conversion/NAME.npy: arrays that must be refused, with the reason.
- decode/NAME.png + decode/NAME.expected.npy, listed in decode/cases.json: PNGs written here with
  zlib + struct (palette, low-bit gray, 16-bit, gray+alpha, Adam7 interlacing) and the pixels
  libpng must return (palette expanded to RGB/RGBA, low-bit gray scaled to 8 bits as the spec says);
  decode/rejected.json lists broken PNGs and the text their error message must contain.

mmengine/ holds copies of /work/shared/mmengine-reference/images (not written by this script).
"""

import json
import struct
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
RNG = np.random.default_rng(20240611)


def torchvision_bytes(array):
    """torchvision.utils.save_image's conversion, in the array's own floating-point precision."""
    kind = array.dtype.type
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = array * kind(255)  # grid.mul(255)
        scaled = scaled + kind(0.5)  # .add_(0.5)
        clamped = np.clip(scaled, kind(0), kind(255))  # .clamp_(0, 255), NaN stays NaN
    clamped = np.where(np.isnan(clamped), kind(0), clamped)
    return clamped.astype(np.uint8)  # .to(torch.uint8) truncates toward zero


def as_hwc(pixels):
    return pixels[:, :, np.newaxis] if pixels.ndim == 2 else pixels


def float_specials(dtype):
    """Values around every rounding boundary k/510 plus out-of-range and non-finite values."""
    kind = np.dtype(dtype).type
    boundaries = (np.arange(0, 512, dtype=np.float64) / 510).astype(dtype)
    with np.errstate(over="ignore"):
        below = np.nextafter(boundaries, kind(-np.inf))
        above = np.nextafter(boundaries, kind(np.inf))
    extremes = np.array(
        [-np.inf, -1e30 if dtype != np.float16 else -60000, -1.0, -0.5 / 255, -0.0, 0.0, 0.5 / 255,
         1.0, 1.0 + 0.5 / 255, 2.0, 255.0, 1e30 if dtype != np.float16 else 60000, np.inf, np.nan, -np.nan],
        dtype=np.float64,
    ).astype(dtype)
    return np.concatenate([boundaries, below, above, extremes]).astype(dtype)


def conversion_cases():
    """(name, input array, expected pixels, bit depth)."""
    cases = []

    def add(name, array, expected, bit_depth=8):
        cases.append((name, array, as_hwc(expected), bit_depth))

    u8 = lambda shape: RNG.integers(0, 256, size=shape, dtype=np.uint8)  # noqa: E731
    gray = u8((5, 7))
    add("uint8_gray_hw", gray, gray)
    gray1 = u8((5, 7, 1))
    add("uint8_gray_hw1", gray1, gray1)
    rgb = u8((4, 6, 3))
    add("uint8_rgb", rgb, rgb)
    # Last dimension 4 wins over a first dimension of 3: this is HWC RGBA, not CHW.
    rgba = u8((3, 5, 4))
    add("uint8_rgba_first_dim_3", rgba, rgba)
    big = u8((64, 48, 3))
    add("uint8_rgb_64x48", big, big)

    mask = RNG.integers(0, 2, size=(4, 5)).astype(bool)
    add("bool_gray", mask, np.where(mask, 255, 0).astype(np.uint8))
    mask3 = RNG.integers(0, 2, size=(3, 6, 3)).astype(bool)
    add("bool_rgb", mask3, np.where(mask3, 255, 0).astype(np.uint8))

    depth16 = np.array([[0, 1, 255, 256], [0x0102, 0x8000, 0xFF00, 65535], [1000, 2000, 40000, 12345]],
                       dtype=np.uint16)
    add("uint16_gray", depth16, depth16, 16)
    depth16_rgba = RNG.integers(0, 65536, size=(2, 3, 4), dtype=np.uint16)
    add("uint16_rgba", depth16_rgba, depth16_rgba, 16)
    depth16_chw = RNG.integers(0, 65536, size=(3, 2, 5), dtype=np.uint16)
    add("uint16_chw3", depth16_chw, np.transpose(depth16_chw, (1, 2, 0)), 16)

    for dtype, name in [(np.float32, "float32"), (np.float64, "float64"), (np.float16, "float16")]:
        values = float_specials(dtype)
        values = np.concatenate([values, np.zeros((-len(values)) % 8, dtype=dtype)])
        grid = values.reshape(-1, 8)
        add(f"{name}_boundaries_gray", grid, torchvision_bytes(grid))
    every_half = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).reshape(256, 256)
    add("float16_every_bit_pattern", every_half, torchvision_bytes(every_half))
    noise = RNG.normal(0.5, 0.4, size=(6, 5, 3)).astype(np.float32)
    add("float32_rgb_noise", noise, torchvision_bytes(noise))
    noise4 = RNG.normal(0.5, 0.4, size=(5, 6, 4))
    add("float64_rgba_noise", noise4, torchvision_bytes(noise4))

    chw1 = u8((1, 5, 6))
    add("uint8_chw1", chw1, np.transpose(chw1, (1, 2, 0)))
    chw3 = RNG.normal(0.5, 0.4, size=(3, 5, 6)).astype(np.float32)
    add("float32_chw3", chw3, np.transpose(torchvision_bytes(chw3), (1, 2, 0)))
    chw4 = u8((4, 5, 7))
    add("uint8_chw4", chw4, np.transpose(chw4, (1, 2, 0)))
    # The last dimension (2) is not a channel count, the first (3) is: channel-first 5x2 RGB.
    chw_last2 = u8((3, 5, 2))
    add("uint8_chw3_last_dim_2", chw_last2, np.transpose(chw_last2, (1, 2, 0)))
    return cases


def rejected_cases():
    """(name, array, reason) for arrays that must not become images."""
    cases = []
    for dtype in ["int8", "int16", "int32", "int64", "uint32", "uint64"]:
        cases.append((f"{dtype}_gray", np.ones((4, 5), dtype=dtype), "unsupportedElementType"))
    cases.append(("int64_rgb", np.ones((2, 2, 3), dtype=np.int64), "unsupportedElementType"))
    cases.append(("uint8_0d", np.array(7, dtype=np.uint8), "unsupportedShape"))
    cases.append(("uint8_1d", np.arange(5, dtype=np.uint8), "unsupportedShape"))
    cases.append(("uint8_4d_batch", np.zeros((1, 4, 5, 3), dtype=np.uint8), "unsupportedShape"))
    # (4, 5, 2) would be channel-first RGBA (first dimension 4); here no dimension is a channel count.
    cases.append(("uint8_two_channels_last", np.zeros((6, 5, 2), dtype=np.uint8), "unsupportedShape"))
    cases.append(("float32_two_channels_last", np.zeros((6, 5, 2), dtype=np.float32), "unsupportedShape"))
    cases.append(("uint8_no_channel_dim", np.zeros((5, 6, 7), dtype=np.uint8), "unsupportedShape"))
    cases.append(("uint8_zero_height", np.zeros((0, 5), dtype=np.uint8), "emptyImage"))
    cases.append(("uint8_zero_width_rgb", np.zeros((5, 0, 3), dtype=np.uint8), "emptyImage"))
    cases.append(("float32_zero_width_chw", np.zeros((3, 4, 0), dtype=np.float32), "emptyImage"))
    return cases


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_file(width, height, bit_depth, color_type, scanlines, interlace=0, extra=b""):
    header = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + extra
            + png_chunk(b"IDAT", zlib.compress(scanlines, 9)) + png_chunk(b"IEND", b""))


def pack_rows(values, bit_depth):
    """Rows of samples (H, N) -> PNG scanlines with filter byte 0 (big-endian, MSB-first packing)."""
    out = bytearray()
    for row in values:
        out.append(0)
        if bit_depth == 16:
            out += row.astype(">u2").tobytes()
        elif bit_depth == 8:
            out += row.astype(np.uint8).tobytes()
        else:
            per_byte = 8 // bit_depth
            padded = np.concatenate([row, np.zeros((-len(row)) % per_byte, dtype=row.dtype)])
            for start in range(0, len(padded), per_byte):
                byte = 0
                for value in padded[start:start + per_byte]:
                    byte = (byte << bit_depth) | int(value)
                out.append(byte)
    return bytes(out)


def adam7_scanlines(pixels, bit_depth):
    """An (H, W, C) image split into the 7 Adam7 passes, each as filter-0 scanlines."""
    out = b""
    for x0, y0, dx, dy in [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                           (0, 1, 1, 2)]:
        sub = pixels[y0::dy, x0::dx]
        if sub.size:
            out += pack_rows(sub.reshape(sub.shape[0], -1), bit_depth)
    return out


def decode_cases():
    """(name, PNG bytes, expected pixels (H, W, C), bit depth)."""
    cases = []
    palette = RNG.integers(0, 256, size=(4, 3), dtype=np.uint8)
    indices = RNG.integers(0, 4, size=(5, 9), dtype=np.uint8)
    cases.append(("palette_2bit", png_file(9, 5, 2, 3, pack_rows(indices, 2), extra=png_chunk(b"PLTE", palette.tobytes())),
                  palette[indices], 8))
    palette8 = RNG.integers(0, 256, size=(200, 3), dtype=np.uint8)
    alpha = RNG.integers(0, 256, size=200, dtype=np.uint8)
    indices8 = RNG.integers(0, 200, size=(6, 7), dtype=np.uint8)
    extra = png_chunk(b"PLTE", palette8.tobytes()) + png_chunk(b"tRNS", alpha.tobytes())
    rgba = np.concatenate([palette8[indices8], alpha[indices8][:, :, np.newaxis]], axis=2)
    cases.append(("palette_8bit_trns", png_file(7, 6, 8, 3, pack_rows(indices8, 8), extra=extra), rgba, 8))
    for bits in (1, 2, 4):
        levels = RNG.integers(0, 1 << bits, size=(4, 11), dtype=np.uint8)
        scale = 255 // ((1 << bits) - 1)  # the spec's left-bit-replication equals v * 255 / (2^bits - 1)
        cases.append((f"gray_{bits}bit", png_file(11, 4, bits, 0, pack_rows(levels, bits)),
                      (levels * scale).astype(np.uint8)[:, :, np.newaxis], 8))
    gray16 = RNG.integers(0, 65536, size=(3, 5), dtype=np.uint16)
    cases.append(("gray_16bit", png_file(5, 3, 16, 0, pack_rows(gray16, 16)), gray16[:, :, np.newaxis], 16))
    gray_alpha = RNG.integers(0, 256, size=(4, 3, 2), dtype=np.uint8)
    cases.append(("gray_alpha_8bit", png_file(3, 4, 8, 4, pack_rows(gray_alpha.reshape(4, -1), 8)), gray_alpha, 8))
    rgba16 = RNG.integers(0, 65536, size=(2, 3, 4), dtype=np.uint16)
    cases.append(("rgba_16bit", png_file(3, 2, 16, 6, pack_rows(rgba16.reshape(2, -1), 16)), rgba16, 16))
    rgb_interlaced = RNG.integers(0, 256, size=(11, 13, 3), dtype=np.uint8)
    cases.append(("rgb_adam7", png_file(13, 11, 8, 2, adam7_scanlines(rgb_interlaced, 8), interlace=1),
                  rgb_interlaced, 8))
    return cases


def rejected_pngs():
    """(name, bytes, text libpng's error message must contain)."""
    rgb_rows = pack_rows(RNG.integers(0, 256, size=(10, 30), dtype=np.uint8), 8)
    valid = png_file(10, 10, 8, 2, rgb_rows)
    header_only = valid[:33]
    two_rows = png_file(10, 10, 8, 2, rgb_rows[: 2 * 31])
    bad_depth = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 3, 2, 0, 0, 0))
    not_zlib = header_only + png_chunk(b"IDAT", b"this is not a zlib stream") + png_chunk(b"IEND", b"")
    huge = png_file(100000, 100000, 8, 0, zlib.compress(b"\0" * 64))
    # Found by Fuzz/FuzzImage: a zTXt header claiming ~1.5 GiB made libpng allocate that much and ask
    # for it in one read; the decoder must skip the chunk in small reads and fail at the end of the file.
    huge_chunk = header_only + struct.pack(">I", 0x5E000014) + b"zTXt" + b"Tx\xdacxq\x80!T\x81"
    bad_crc = bytearray(valid)
    bad_crc[20] ^= 0x01  # a byte of the IHDR height: the IHDR CRC no longer matches
    bad_idat_crc = bytearray(valid)
    bad_idat_crc[len(valid) - 13] ^= 0x01  # the last byte of the IDAT CRC (IEND's 12 bytes follow)
    return [
        # Messages from libpng 1.6 (png.c, pngrutil.c, pngrio.c) and zlib, quoted from their sources.
        ("text_file", b"just some text, certainly not a PNG\n", "Not a PNG file"),
        ("ihdr_crc", bytes(bad_crc), "IHDR: CRC error"),
        ("idat_crc", bytes(bad_idat_crc), "IDAT: CRC error"),
        ("bit_depth_3", bad_depth + png_chunk(b"IEND", b""), "Invalid IHDR data"),
        ("not_enough_image_data", two_rows, "Not enough image data"),
        ("idat_not_zlib", not_zlib, "incorrect header check"),
        # The shim's own checks: truncated input and a header claiming more pixels than the data holds.
        ("header_only", header_only, "unexpected end of PNG data"),
        ("claims_100000x100000", huge, "100000x100000"),
        ("chunk_claims_1_5_gib", huge_chunk, "unexpected end of PNG data"),
    ]


def main():
    conversion = ROOT / "conversion"
    decode = ROOT / "decode"
    for folder in (conversion, decode):
        folder.mkdir(exist_ok=True)
        for old in folder.iterdir():
            old.unlink()

    listing = []
    for name, array, expected, bit_depth in conversion_cases():
        np.save(conversion / f"{name}.npy", array)
        np.save(conversion / f"{name}.expected.npy", expected)
        height, width, channels = expected.shape
        listing.append({"name": name, "dtype": str(array.dtype), "shape": list(array.shape), "height": height,
                        "width": width, "channels": channels, "bitDepth": bit_depth,
                        "expectedDtype": str(expected.dtype)})
    (conversion / "cases.json").write_text(json.dumps(listing, indent=1) + "\n")

    rejected = []
    for name, array, reason in rejected_cases():
        np.save(conversion / f"{name}.npy", array)
        rejected.append({"name": name, "dtype": str(array.dtype), "shape": list(array.shape), "reason": reason})
    (conversion / "rejected.json").write_text(json.dumps(rejected, indent=1) + "\n")

    decoded = []
    for name, data, expected, bit_depth in decode_cases():
        (decode / f"{name}.png").write_bytes(data)
        np.save(decode / f"{name}.expected.npy", expected)
        height, width, channels = expected.shape
        decoded.append({"name": name, "height": height, "width": width, "channels": channels,
                        "bitDepth": bit_depth, "expectedDtype": str(expected.dtype)})
    (decode / "cases.json").write_text(json.dumps(decoded, indent=1) + "\n")

    refused = []
    for name, data, message in rejected_pngs():
        (decode / f"{name}.png").write_bytes(data)
        refused.append({"name": name, "messageContains": message})
    (decode / "rejected.json").write_text(json.dumps(refused, indent=1) + "\n")


if __name__ == "__main__":
    main()
