#include "png_shim.h"

#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

_Static_assert(VISDROP_PNG_FILTER_NONE == PNG_FILTER_NONE, "filter mask mismatch");
_Static_assert(VISDROP_PNG_FILTER_SUB == PNG_FILTER_SUB, "filter mask mismatch");
_Static_assert(VISDROP_PNG_FILTER_UP == PNG_FILTER_UP, "filter mask mismatch");
_Static_assert(VISDROP_PNG_FILTER_AVG == PNG_FILTER_AVG, "filter mask mismatch");
_Static_assert(VISDROP_PNG_FILTER_PAETH == PNG_FILTER_PAETH, "filter mask mismatch");
_Static_assert(VISDROP_PNG_FILTER_ALL == PNG_ALL_FILTERS, "filter mask mismatch");
_Static_assert(VISDROP_PNG_STRATEGY_DEFAULT == Z_DEFAULT_STRATEGY, "strategy mismatch");
_Static_assert(VISDROP_PNG_STRATEGY_FILTERED == Z_FILTERED, "strategy mismatch");
_Static_assert(VISDROP_PNG_STRATEGY_HUFFMAN_ONLY == Z_HUFFMAN_ONLY, "strategy mismatch");
_Static_assert(VISDROP_PNG_STRATEGY_RLE == Z_RLE, "strategy mismatch");
_Static_assert(VISDROP_PNG_STRATEGY_FIXED == Z_FIXED, "strategy mismatch");

/// Deflate cannot expand data by more than this factor (258-byte matches coded in ~2 bits).
#define VISDROP_MAX_DEFLATE_RATIO 1032u

/// Where libpng's error and warning callbacks write.
typedef struct error_sink {
    char *message;
    size_t capacity;
} error_sink;

/// The input of a decode: libpng pulls bytes from here through read_from_memory.
typedef struct memory_reader {
    const uint8_t *data;
    size_t length;
    size_t offset;
} memory_reader;

__attribute__((format(printf, 3, 4))) static void write_message(char *message, size_t capacity,
                                                                  const char *format, ...) {
    if (message == NULL || capacity == 0) {
        return;
    }
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(message, capacity, format, arguments);
    va_end(arguments);
}

/// libpng error callback: keep the message, then unwind to the setjmp in this file.
__attribute__((noreturn)) static void on_libpng_error(png_structp png, png_const_charp message) {
    error_sink *sink = (error_sink *)png_get_error_ptr(png);
    if (sink != NULL) {
        write_message(sink->message, sink->capacity, "%s", message != NULL ? message : "unknown libpng error");
    }
    png_longjmp(png, 1);
}

/// libpng warning callback: warnings are not errors and must not reach stderr.
static void on_libpng_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void write_to_buffer(png_structp png, png_bytep data, size_t length) {
    visdrop_png_buffer *buffer = (visdrop_png_buffer *)png_get_io_ptr(png);
    if (length > SIZE_MAX - buffer->length) {
        png_error(png, "encoded PNG does not fit in memory");
    }
    size_t needed = buffer->length + length;
    if (needed > buffer->capacity) {
        size_t capacity = buffer->capacity > 0 ? buffer->capacity : 8192;
        while (capacity < needed) {
            capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
        }
        uint8_t *grown = (uint8_t *)realloc(buffer->bytes, capacity);
        if (grown == NULL) {
            png_error(png, "out of memory while growing the PNG output buffer");
        }
        buffer->bytes = grown;
        buffer->capacity = capacity;
    }
    memcpy(buffer->bytes + buffer->length, data, length);
    buffer->length = needed;
}

static void flush_buffer(png_structp png) { (void)png; }

static void read_from_memory(png_structp png, png_bytep destination, size_t length) {
    memory_reader *reader = (memory_reader *)png_get_io_ptr(png);
    size_t remaining = reader->length - reader->offset;
    if (length > remaining) {
        char message[160];
        snprintf(message, sizeof message,
                 "unexpected end of PNG data: %zu bytes needed at offset %zu but only %zu remain", length,
                 reader->offset, remaining);
        png_error(png, message);
    }
    memcpy(destination, reader->data + reader->offset, length);
    reader->offset += length;
}

static int is_little_endian(void) {
    const uint16_t probe = 1;
    uint8_t first_byte;
    memcpy(&first_byte, &probe, 1);
    return first_byte == 1;
}

void visdrop_png_buffer_free(visdrop_png_buffer *buffer) {
    if (buffer == NULL) {
        return;
    }
    free(buffer->bytes);
    buffer->bytes = NULL;
    buffer->length = 0;
    buffer->capacity = 0;
}

void visdrop_png_image_free(visdrop_png_image *image) {
    if (image == NULL) {
        return;
    }
    free(image->pixels);
    memset(image, 0, sizeof *image);
}

static int check_encode_arguments(const uint8_t *pixels, size_t pixels_length, uint32_t width, uint32_t height,
                                  int channels, int bit_depth, int compression_level, int compression_strategy,
                                  int filter_flags, char *error_message, size_t error_capacity,
                                  size_t *row_bytes) {
    if (width == 0 || height == 0 || width > PNG_UINT_31_MAX || height > PNG_UINT_31_MAX) {
        write_message(error_message, error_capacity, "image size %ux%u is outside PNG's 1...2147483647 range",
                      width, height);
        return 0;
    }
    if (channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16)) {
        write_message(error_message, error_capacity,
                      "%d channels of %d bits are not supported (1-4 channels of 8 or 16 bits are)", channels,
                      bit_depth);
        return 0;
    }
    if (compression_level < 0 || compression_level > 9 || compression_strategy < 0 || compression_strategy > 4) {
        write_message(error_message, error_capacity,
                      "compression level %d / strategy %d out of range (0-9 / 0-4)", compression_level,
                      compression_strategy);
        return 0;
    }
    if (filter_flags != VISDROP_PNG_FILTER_LIBPNG_DEFAULT &&
        (filter_flags <= 0 || (filter_flags & ~VISDROP_PNG_FILTER_ALL) != 0)) {
        write_message(error_message, error_capacity, "filter mask 0x%x is not a set of PNG_FILTER_* flags",
                      (unsigned)filter_flags);
        return 0;
    }
    size_t bytes_per_pixel = (size_t)channels * (size_t)(bit_depth / 8);
    if (width > SIZE_MAX / bytes_per_pixel || (size_t)width * bytes_per_pixel > SIZE_MAX / height) {
        write_message(error_message, error_capacity, "image size %ux%u does not fit in memory", width, height);
        return 0;
    }
    *row_bytes = (size_t)width * bytes_per_pixel;
    if (pixels == NULL || pixels_length != *row_bytes * height) {
        write_message(error_message, error_capacity,
                      "pixel buffer holds %zu bytes but a %ux%u image of %d channels at %d bits needs %zu",
                      pixels == NULL ? (size_t)0 : pixels_length, width, height, channels, bit_depth,
                      *row_bytes * height);
        return 0;
    }
    return 1;
}

int visdrop_png_encode(const uint8_t *pixels, size_t pixels_length, uint32_t width, uint32_t height,
                       int channels, int bit_depth, int compression_level, int compression_strategy,
                       int filter_flags, visdrop_png_buffer *out, char *error_message,
                       size_t error_capacity) {
    if (error_message != NULL && error_capacity > 0) {
        error_message[0] = '\0';
    }
    if (out == NULL) {
        write_message(error_message, error_capacity, "no output buffer given");
        return VISDROP_PNG_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof *out);
    size_t row_bytes = 0;
    if (!check_encode_arguments(pixels, pixels_length, width, height, channels, bit_depth, compression_level,
                                compression_strategy, filter_flags, error_message, error_capacity,
                                &row_bytes)) {
        return VISDROP_PNG_INVALID_ARGUMENT;
    }

    error_sink sink = {error_message, error_capacity};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, on_libpng_error, on_libpng_warning);
    if (png == NULL) {
        write_message(error_message, error_capacity, "libpng could not create a write structure");
        return VISDROP_PNG_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        write_message(error_message, error_capacity, "libpng could not create an info structure");
        return VISDROP_PNG_OUT_OF_MEMORY;
    }
    // Neither `png` nor `info` changes between here and a longjmp, so both are valid afterwards.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        visdrop_png_buffer_free(out);
        return VISDROP_PNG_LIBPNG_ERROR;
    }

    png_set_write_fn(png, out, write_to_buffer, flush_buffer);
    // libpng's default limit of 1,000,000 applies to writing too; PNG itself allows 2^31-1.
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    png_set_compression_level(png, compression_level);
    png_set_compression_strategy(png, compression_strategy);
    if (filter_flags != VISDROP_PNG_FILTER_LIBPNG_DEFAULT) {
        png_set_filter(png, PNG_FILTER_TYPE_BASE, filter_flags);
    }
    static const int color_types[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                      PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_IHDR(png, info, width, height, bit_depth, color_types[channels - 1], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bit_depth == 16 && is_little_endian()) {
        png_set_swap(png);
    }
    for (uint32_t row = 0; row < height; row++) {
        png_write_row(png, pixels + (size_t)row * row_bytes);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return VISDROP_PNG_OK;
}

/// Rejects headers that claim more pixel data than `length` compressed bytes can hold.
static void check_plausible_size(png_structp png, png_uint_32 width, png_uint_32 height, int bit_depth,
                                 int channels, size_t length) {
    // Width and height are at most 2^31-1 and bits per pixel at most 64: no overflow in 64 bits.
    uint64_t bits_per_pixel = (uint64_t)bit_depth * (uint64_t)channels;
    uint64_t filtered_row = ((uint64_t)width * bits_per_pixel + 7) / 8 + 1;
    uint64_t needed = filtered_row * (uint64_t)height;
    uint64_t possible = ((uint64_t)length + 1) * VISDROP_MAX_DEFLATE_RATIO;
    if (needed > possible || needed > SIZE_MAX) {
        char message[200];
        snprintf(message, sizeof message,
                 "image size %ux%u needs %llu bytes of pixel data, more than %zu bytes of PNG can hold",
                 (unsigned)width, (unsigned)height, (unsigned long long)needed, length);
        png_error(png, message);
    }
}

int visdrop_png_decode(const uint8_t *data, size_t length, visdrop_png_image *out, char *error_message,
                       size_t error_capacity) {
    if (error_message != NULL && error_capacity > 0) {
        error_message[0] = '\0';
    }
    if (out == NULL || (data == NULL && length > 0)) {
        write_message(error_message, error_capacity, "no input or output given");
        return VISDROP_PNG_INVALID_ARGUMENT;
    }
    memset(out, 0, sizeof *out);

    error_sink sink = {error_message, error_capacity};
    memory_reader reader = {data, length, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &sink, on_libpng_error, on_libpng_warning);
    if (png == NULL) {
        write_message(error_message, error_capacity, "libpng could not create a read structure");
        return VISDROP_PNG_OUT_OF_MEMORY;
    }
    png_infop info = png_create_info_struct(png);
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        write_message(error_message, error_capacity, "libpng could not create an info structure");
        return VISDROP_PNG_OUT_OF_MEMORY;
    }
    // `out` points to the caller's memory, so the pixels allocated below are freed here too.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        visdrop_png_image_free(out);
        return VISDROP_PNG_LIBPNG_ERROR;
    }

    png_set_read_fn(png, &reader, read_from_memory);
    // Accept every size PNG allows (the encoder writes them); check_plausible_size bounds memory.
    png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
    // Skip every chunk but IHDR, PLTE, tRNS, IDAT and IEND (the pixels need no others). libpng allocates
    // a text, sPLT, pCAL, sCAL or eXIf chunk's claimed length (up to 2 GiB, its limit is only a
    // warning) and an iCCP profile's claimed size before reading them; skipped chunks are read in
    // small pieces, so a truncated file fails at its end instead.
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);
    png_uint_32 width = 0;
    png_uint_32 height = 0;
    int bit_depth = 0;
    int color_type = 0;
    png_get_IHDR(png, info, &width, &height, &bit_depth, &color_type, NULL, NULL, NULL);
    check_plausible_size(png, width, height, bit_depth, png_get_channels(png, info), length);

    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (bit_depth == 16 && is_little_endian()) {
        png_set_swap(png);
    }
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t row_bytes = png_get_rowbytes(png, info);
    out->width = width;
    out->height = height;
    out->channels = png_get_channels(png, info);
    out->bit_depth = png_get_bit_depth(png, info);
    if (row_bytes == 0 || row_bytes > SIZE_MAX / height) {
        png_error(png, "decoded image does not fit in memory");
    }
    out->byte_count = row_bytes * height;
    // Zeroed, so that every byte is defined even before all interlace passes have run.
    out->pixels = (uint8_t *)calloc(out->byte_count, 1);
    if (out->pixels == NULL) {
        png_error(png, "out of memory while allocating the decoded pixels");
    }
    for (int pass = 0; pass < passes; pass++) {
        for (png_uint_32 row = 0; row < height; row++) {
            png_read_row(png, out->pixels + (size_t)row * row_bytes, NULL);
        }
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return VISDROP_PNG_OK;
}
