#ifndef VISDROP_PNG_SHIM_H
#define VISDROP_PNG_SHIM_H

// The only C code of visdrop: a thin layer over libpng that owns libpng's
// setjmp/longjmp error handling, so that a longjmp never crosses a Swift frame.
// Every function returns VISDROP_PNG_OK or an error code, and on error writes a
// NUL-terminated message (libpng's own message when libpng reported the error)
// into the caller's `error_message` buffer.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Result codes of the shim functions.
enum {
    VISDROP_PNG_OK = 0,
    /// An argument was out of range; nothing was handed to libpng.
    VISDROP_PNG_INVALID_ARGUMENT = 1,
    /// libpng (or one of the shim's callbacks) reported an error.
    VISDROP_PNG_LIBPNG_ERROR = 2,
    /// A libpng structure could not be created.
    VISDROP_PNG_OUT_OF_MEMORY = 3,
};

/// Row filter masks; the same values as libpng's PNG_FILTER_* macros.
enum {
    VISDROP_PNG_FILTER_NONE = 0x08,
    VISDROP_PNG_FILTER_SUB = 0x10,
    VISDROP_PNG_FILTER_UP = 0x20,
    VISDROP_PNG_FILTER_AVG = 0x40,
    VISDROP_PNG_FILTER_PAETH = 0x80,
    VISDROP_PNG_FILTER_ALL = 0xF8,
    /// Leave libpng's own filter choice in place.
    VISDROP_PNG_FILTER_LIBPNG_DEFAULT = -1,
};

/// zlib compression strategies; the same values as zlib's Z_* constants.
enum {
    VISDROP_PNG_STRATEGY_DEFAULT = 0,
    VISDROP_PNG_STRATEGY_FILTERED = 1,
    VISDROP_PNG_STRATEGY_HUFFMAN_ONLY = 2,
    VISDROP_PNG_STRATEGY_RLE = 3,
    VISDROP_PNG_STRATEGY_FIXED = 4,
};

/// A growable, malloc'd byte buffer holding an encoded PNG.
typedef struct visdrop_png_buffer {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
} visdrop_png_buffer;

/// A decoded image: rows packed without padding, 16-bit samples in native byte order.
typedef struct visdrop_png_image {
    uint8_t *pixels;
    size_t byte_count;
    uint32_t width;
    uint32_t height;
    /// 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    int channels;
    /// 8 or 16.
    int bit_depth;
} visdrop_png_image;

/// Encodes `height` rows of `width` pixels into a PNG held in `out`.
///
/// `pixels` holds exactly width * height * channels samples (`pixels_length`
/// bytes), 8-bit samples as bytes and 16-bit samples as native uint16.
/// `compression_level` is zlib's 0-9, `compression_strategy` one of
/// VISDROP_PNG_STRATEGY_*, `filter_flags` a mask of VISDROP_PNG_FILTER_* or
/// VISDROP_PNG_FILTER_LIBPNG_DEFAULT. On success the caller owns `out` and
/// releases it with visdrop_png_buffer_free; on error `out` is empty.
int visdrop_png_encode(const uint8_t *pixels, size_t pixels_length, uint32_t width, uint32_t height,
                       int channels, int bit_depth, int compression_level, int compression_strategy,
                       int filter_flags, visdrop_png_buffer *out, char *error_message,
                       size_t error_capacity);

/// The most bytes visdrop_png_encode_fast writes for such an image (about its raw size; the
/// pages past what it writes are never touched), or 0 when the image is out of range.
size_t visdrop_png_encode_fast_bound(uint32_t width, uint32_t height, int channels, int bit_depth);

/// Encodes like visdrop_png_encode with OpenCV's default settings (every row SUB-filtered,
/// zlib level 1 with Z_RLE) but with visdrop's own deflate coder instead of libpng and zlib:
/// the same kind of stream (literals and distance-1 runs in blocks of zlib's size), several
/// times faster, within a fraction of a percent of zlib's size. It writes straight into the
/// caller's `destination` of `capacity` >= visdrop_png_encode_fast_bound(...) bytes and sets
/// `*written`. Returns VISDROP_PNG_OK, or VISDROP_PNG_INVALID_ARGUMENT /
/// VISDROP_PNG_OUT_OF_MEMORY with no message (the caller falls back to visdrop_png_encode,
/// which explains). Images whose compressed data would exceed one PNG chunk (2 GiB) are
/// refused as invalid, for the same reason.
int visdrop_png_encode_fast(const uint8_t *pixels, size_t pixels_length, uint32_t width, uint32_t height,
                            int channels, int bit_depth, uint8_t *destination, size_t capacity,
                            size_t *written);

/// Releases the bytes of a buffer filled by visdrop_png_encode and empties it.
void visdrop_png_buffer_free(visdrop_png_buffer *buffer);

/// Decodes a complete PNG held in memory.
///
/// Palette images are expanded to RGB (RGBA when they carry a tRNS chunk) and
/// gray images of 1, 2 or 4 bits to 8 bits; other images keep their channels
/// and ignore tRNS. 16-bit samples come out as native uint16. Images whose
/// dimensions need more pixel data than `length` compressed bytes can hold are
/// rejected before any allocation. On success the caller owns `out` and releases it with
/// visdrop_png_image_free; on error `out` is empty.
int visdrop_png_decode(const uint8_t *data, size_t length, visdrop_png_image *out, char *error_message,
                       size_t error_capacity);

/// Releases the pixels of an image filled by visdrop_png_decode and empties it.
void visdrop_png_image_free(visdrop_png_image *image);

#ifdef __cplusplus
}
#endif

#endif
