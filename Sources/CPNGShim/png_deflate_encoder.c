// PNG writer for OpenCV's kind of settings (every row SUB-filtered) with libdeflate, a
// maintained whole-buffer deflate coder: the rows are filtered into one buffer, compressed in
// one call into the caller's buffer, and wrapped in PNG's chunks. No libpng, no setjmp.
// Used only by PNGEncoder; libpng writes every other combination of filter and strategy and
// reads everything. CRC-32 comes from zlib (libdeflate's zlib wrapper adds the Adler-32).

#include "png_shim.h"

#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
    /// Signature (8), IHDR chunk (25), IDAT length and type (8) and CRC (4), IEND chunk (12).
    PNG_OVERHEAD = 8 + 25 + 8 + 4 + 12,
    MAX_LEVEL = 12,
};

// MARK: - One compressor per thread and level

/// Each thread's compressors, allocated on first use (a compressor is not thread-safe and
/// costs tens to hundreds of KiB to set up, too much to redo for every 64×64 image).
typedef struct compressors {
    struct libdeflate_compressor *by_level[MAX_LEVEL + 1];
} compressors;

static pthread_key_t compressors_key;
static int compressors_key_status = -1;
static pthread_once_t compressors_key_once = PTHREAD_ONCE_INIT;

static void free_compressors(void *value) {
    compressors *all = (compressors *)value;
    for (int level = 0; level <= MAX_LEVEL; level++) {
        libdeflate_free_compressor(all->by_level[level]);
    }
    free(all);
}

static void make_compressors_key(void) {
    compressors_key_status = pthread_key_create(&compressors_key, free_compressors);
}

/// This thread's compressor for `level`, or NULL when out of memory.
static struct libdeflate_compressor *compressor_for(int level) {
    pthread_once(&compressors_key_once, make_compressors_key);
    if (compressors_key_status != 0) {
        return NULL;
    }
    compressors *all = (compressors *)pthread_getspecific(compressors_key);
    if (all == NULL) {
        all = (compressors *)calloc(1, sizeof *all);
        if (all == NULL) {
            return NULL;
        }
        if (pthread_setspecific(compressors_key, all) != 0) {
            free(all);
            return NULL;
        }
    }
    if (all->by_level[level] == NULL) {
        all->by_level[level] = libdeflate_alloc_compressor(level);
    }
    return all->by_level[level];
}

// MARK: - PNG

static void put_u32_big_endian(uint8_t *p, uint32_t value) {
    p[0] = (uint8_t)(value >> 24);
    p[1] = (uint8_t)(value >> 16);
    p[2] = (uint8_t)(value >> 8);
    p[3] = (uint8_t)value;
}

static void write_chunk_header(uint8_t *p, uint32_t length, const char *type) {
    put_u32_big_endian(p, length);
    memcpy(p + 4, type, 4);
}

/// One row, SUB-filtered, after its filter-type byte; 16-bit samples become big-endian first.
static void filter_row(const uint8_t *restrict row, size_t row_bytes, size_t pixel_bytes, int bit_depth,
                       uint8_t *restrict filtered) {
    filtered[0] = 1;  // SUB
    uint8_t *out = filtered + 1;
    if (bit_depth == 16) {
        for (size_t i = 0; i < row_bytes; i += 2) {
            uint16_t sample;
            memcpy(&sample, row + i, 2);
            out[i] = (uint8_t)(sample >> 8);
            out[i + 1] = (uint8_t)sample;
        }
        // Backwards, so that each byte's left neighbour is still unfiltered.
        for (size_t i = row_bytes; i-- > pixel_bytes;) {
            out[i] = (uint8_t)(out[i] - out[i - pixel_bytes]);
        }
        return;
    }
    memcpy(out, row, pixel_bytes);
    for (size_t i = pixel_bytes; i < row_bytes; i++) {
        out[i] = (uint8_t)(row[i] - row[i - pixel_bytes]);
    }
}

/// The filtered data's size ((row bytes + 1) * height), or 0 when it does not fit in size_t.
static size_t filtered_size(uint32_t width, uint32_t height, int channels, int bit_depth) {
    if (width == 0 || height == 0 || width > 0x7FFFFFFFu || height > 0x7FFFFFFFu || channels < 1 ||
        channels > 4 || (bit_depth != 8 && bit_depth != 16)) {
        return 0;
    }
    size_t pixel_bytes = (size_t)channels * (size_t)(bit_depth / 8);
    if (width > (SIZE_MAX - 1) / pixel_bytes || (size_t)width * pixel_bytes + 1 > SIZE_MAX / height) {
        return 0;
    }
    return ((size_t)width * pixel_bytes + 1) * height;
}

size_t visdrop_png_encode_deflate_bound(uint32_t width, uint32_t height, int channels, int bit_depth) {
    size_t filtered = filtered_size(width, height, channels, bit_depth);
    if (filtered == 0) {
        return 0;
    }
    // Any compressor of this build of libdeflate, at any level, stays within this.
    size_t compressed = libdeflate_zlib_compress_bound(NULL, filtered);
    if (compressed < filtered || compressed > SIZE_MAX - PNG_OVERHEAD) {
        return 0;
    }
    return compressed + PNG_OVERHEAD;
}

int visdrop_png_encode_deflate(const uint8_t *pixels, size_t pixels_length, uint32_t width, uint32_t height,
                               int channels, int bit_depth, int level, uint8_t *destination, size_t capacity,
                               size_t *written) {
    if (written != NULL) {
        *written = 0;
    }
    size_t filtered = filtered_size(width, height, channels, bit_depth);
    size_t bound = visdrop_png_encode_deflate_bound(width, height, channels, bit_depth);
    if (written == NULL || destination == NULL || pixels == NULL || filtered == 0 || bound == 0 ||
        capacity < bound || level < 0 || level > MAX_LEVEL) {
        return VISDROP_PNG_INVALID_ARGUMENT;
    }
    size_t pixel_bytes = (size_t)channels * (size_t)(bit_depth / 8);
    size_t row_bytes = (size_t)width * pixel_bytes;
    if (pixels_length != row_bytes * height) {
        return VISDROP_PNG_INVALID_ARGUMENT;
    }
    struct libdeflate_compressor *compressor = compressor_for(level);
    uint8_t *rows = (uint8_t *)malloc(filtered);
    if (compressor == NULL || rows == NULL) {
        free(rows);
        return VISDROP_PNG_OUT_OF_MEMORY;
    }
    for (uint32_t row = 0; row < height; row++) {
        filter_row(pixels + (size_t)row * row_bytes, row_bytes, pixel_bytes, bit_depth,
                   rows + (size_t)row * (row_bytes + 1));
    }

    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memcpy(destination, signature, 8);
    uint8_t *ihdr = destination + 8;
    write_chunk_header(ihdr, 13, "IHDR");
    static const uint8_t color_types[] = {0, 4, 2, 6};
    put_u32_big_endian(ihdr + 8, width);
    put_u32_big_endian(ihdr + 12, height);
    ihdr[16] = (uint8_t)bit_depth;
    ihdr[17] = color_types[channels - 1];
    ihdr[18] = 0;  // deflate
    ihdr[19] = 0;  // adaptive filtering
    ihdr[20] = 0;  // not interlaced
    put_u32_big_endian(ihdr + 21, (uint32_t)crc32_z(0, ihdr + 4, 17));

    uint8_t *idat = destination + 8 + 25;
    size_t idat_length =
        libdeflate_zlib_compress(compressor, rows, filtered, idat + 8, capacity - (PNG_OVERHEAD));
    free(rows);
    // 0: it did not fit, which the bound rules out; over 2^31 - 1: larger than one chunk may be
    // (libpng splits it). Either way the caller falls back to libpng.
    if (idat_length == 0 || idat_length > 0x7FFFFFFFu) {
        return VISDROP_PNG_INVALID_ARGUMENT;
    }
    write_chunk_header(idat, (uint32_t)idat_length, "IDAT");
    size_t length = 8 + 25 + 8 + idat_length;
    put_u32_big_endian(destination + length, (uint32_t)crc32_z(0, idat + 4, idat_length + 4));
    length += 4;
    write_chunk_header(destination + length, 0, "IEND");
    put_u32_big_endian(destination + length + 8, 0xAE426082u);
    length += 12;
    *written = length;
    return VISDROP_PNG_OK;
}
