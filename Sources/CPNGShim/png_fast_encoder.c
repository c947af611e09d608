// visdrop's own PNG writer for OpenCV's default settings: every row SUB-filtered, and a
// deflate stream of literals and distance-1 runs of the previous byte (what zlib writes with
// Z_RLE at any level), in dynamic Huffman blocks of at most 16383 symbols (where zlib at its
// default memLevel ends a block), or stored blocks where those would be smaller.
//
// zlib spends most of its time in generic match bookkeeping and symbol tallying; this coder
// finds runs eight bytes at a time, counts symbols in one pass and writes them branch-free in
// a second, so it runs several times faster while its files stay within a fraction of a
// percent of zlib's. No libpng, no setjmp. Used only by PNGEncoder; libpng writes every
// other combination of filter and strategy and reads everything. Kept by measurement: on the
// benchmark's images it ran 3.8-4.1x faster than libdeflate 1.14 at levels 1-3 (512x512 and
// 1920x1080) with files 0.5-5.8 % smaller (README, "Performance"; visdrop-bench
// --deflate-compare). The checksums are zlib's.

#include "png_shim.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
    /// Symbols per block: zlib's lit_bufsize - 1 at memLevel 8.
    BLOCK_SYMBOLS = 16383,
    /// Filtered bytes collected before they are split into symbols (more than MAX_RUN).
    WINDOW_BYTES = 65536,
    /// A block of more bytes is never stored: its Huffman coding is always smaller.
    MAX_STORED_BYTES = 65535,
    LITLEN_SYMBOLS = 286,
    FIXED_LITLEN_SYMBOLS = 288,
    DISTANCE_SYMBOLS = 30,
    CODE_LENGTH_SYMBOLS = 19,
    MAX_CODE_BITS = 15,
    MAX_CODE_LENGTH_BITS = 7,
    MIN_RUN = 3,
    MAX_RUN = 258,
    END_OF_BLOCK = 256,
};

// MARK: - Checksums

// CRC-32 (PNG chunks) and Adler-32 (the zlib trailer) are zlib's crc32_z and adler32_z.

// MARK: - Output

/// The growing output and the bits not yet written to it (at most 7 between calls).
typedef struct output {
    uint8_t *bytes;
    size_t length;
    size_t capacity;
    uint64_t bits;
    unsigned bit_count;
} output;

/// Whether `more` bytes fit past the end, plus the 8 the branch-free bit writer may touch.
/// The caller sized the buffer with visdrop_png_encode_fast_bound, so this always holds; it is
/// checked anyway, so that a wrong bound fails cleanly instead of writing past the buffer.
static int reserve(const output *out, size_t more) {
    return out->capacity >= out->length && more <= out->capacity - out->length &&
           8 <= out->capacity - out->length - more;
}

/// A bit writer in local variables, so the compiler keeps it in registers in the hot loop.
typedef struct bit_writer {
    uint8_t *position;
    uint64_t bits;
    unsigned count;
} bit_writer;

static inline bit_writer begin_bits(const output *out) {
    bit_writer writer = {out->bytes + out->length, out->bits, out->bit_count};
    return writer;
}

static inline void end_bits(output *out, const bit_writer *writer) {
    out->length = (size_t)(writer->position - out->bytes);
    out->bits = writer->bits;
    out->bit_count = writer->count;
}

/// Appends `count` bits (at most 56), least significant first, without branches: all 8 bytes
/// of the buffer are stored and the position advances by the complete ones.
static inline void put_bits(bit_writer *writer, uint64_t value, unsigned count) {
    writer->bits |= value << writer->count;
    writer->count += count;
    uint64_t little_endian = writer->bits;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    little_endian = __builtin_bswap64(little_endian);
#endif
    memcpy(writer->position, &little_endian, 8);
    unsigned whole = writer->count & ~7u;
    writer->position += whole >> 3;
    writer->bits >>= whole;
    writer->count -= whole;
}

/// Writes out the pending bits, padding the last byte with zeros.
static void align_to_byte(output *out) {
    if (out->bit_count > 0) {
        out->bytes[out->length++] = (uint8_t)out->bits;
    }
    out->bits = 0;
    out->bit_count = 0;
}

static void put_u32_big_endian(uint8_t *p, uint32_t value) {
    p[0] = (uint8_t)(value >> 24);
    p[1] = (uint8_t)(value >> 16);
    p[2] = (uint8_t)(value >> 8);
    p[3] = (uint8_t)value;
}

// MARK: - Huffman codes

typedef struct symbol_frequency {
    uint32_t key;  // frequency in, then code length out
    uint16_t symbol;
} symbol_frequency;

/// Sorts `a` by frequency, then symbol, ascending (a total order: symbols are distinct).
///
/// A stable LSD radix sort over the symbol's two bytes (skipped when the symbols ascend already,
/// as they do unless filler symbols were added) and then only the key's bytes in use: for a
/// small image, qsort's calls through a comparator cost more than the rest of the code building.
static void sort_by_frequency(symbol_frequency *a, int n) {
    symbol_frequency scratch[LITLEN_SYMBOLS];
    uint32_t max_key = 0;
    int symbols_ascend = 1;
    for (int i = 0; i < n; i++) {
        if (a[i].key > max_key) max_key = a[i].key;
        if (i > 0 && a[i].symbol < a[i - 1].symbol) symbols_ascend = 0;
    }
    symbol_frequency *from = a;
    symbol_frequency *to = scratch;
    for (int pass = symbols_ascend ? 2 : 0; pass < 6; pass++) {
        const int is_symbol = pass < 2;
        const unsigned shift = (unsigned)(is_symbol ? pass : pass - 2) * 8;
        if (!is_symbol && shift > 0 && (max_key >> shift) == 0) break;
        unsigned start[257] = {0};
        for (int i = 0; i < n; i++) {
            const unsigned byte = ((is_symbol ? from[i].symbol : from[i].key) >> shift) & 255;
            start[byte + 1]++;
        }
        for (int byte = 0; byte < 256; byte++) start[byte + 1] += start[byte];
        for (int i = 0; i < n; i++) {
            const unsigned byte = ((is_symbol ? from[i].symbol : from[i].key) >> shift) & 255;
            to[start[byte]++] = from[i];
        }
        symbol_frequency *swap = from;
        from = to;
        to = swap;
    }
    if (from != a) memcpy(a, from, (size_t)n * sizeof a[0]);
}

/// Moffat and Katajainen's in-place minimum-redundancy code lengths for keys sorted ascending.
static void minimum_redundancy_lengths(symbol_frequency *a, int n) {
    int root = 0;
    int leaf = 2;
    a[0].key += a[1].key;
    for (int next = 1; next < n - 1; next++) {
        if (leaf >= n || a[root].key < a[leaf].key) {
            a[next].key = a[root].key;
            a[root++].key = (uint32_t)next;
        } else {
            a[next].key = a[leaf++].key;
        }
        if (leaf >= n || (root < next && a[root].key < a[leaf].key)) {
            a[next].key += a[root].key;
            a[root++].key = (uint32_t)next;
        } else {
            a[next].key += a[leaf++].key;
        }
    }
    a[n - 2].key = 0;
    for (int next = n - 3; next >= 0; next--) {
        a[next].key = a[a[next].key].key + 1;
    }
    int available = 1;
    int used = 0;
    uint32_t depth = 0;
    root = n - 2;
    int next = n - 1;
    while (available > 0) {
        while (root >= 0 && a[root].key == depth) {
            used++;
            root--;
        }
        while (available > used) {
            a[next--].key = depth;
            available--;
        }
        available = 2 * used;
        depth++;
        used = 0;
    }
}

/// Code lengths (at most `max_bits`) for `count` symbols; at least two symbols get a code.
static void build_code_lengths(const uint32_t *frequencies, int count, unsigned max_bits, uint8_t *lengths) {
    symbol_frequency sorted[LITLEN_SYMBOLS];
    int used = 0;
    for (int symbol = 0; symbol < count; symbol++) {
        lengths[symbol] = 0;
        if (frequencies[symbol] > 0) {
            sorted[used].key = frequencies[symbol];
            sorted[used].symbol = (uint16_t)symbol;
            used++;
        }
    }
    // Decoders want a complete code: with fewer than two symbols, add unused ones.
    for (int symbol = 0; used < 2 && symbol < count; symbol++) {
        if (frequencies[symbol] == 0) {
            sorted[used].key = 1;
            sorted[used].symbol = (uint16_t)symbol;
            used++;
        }
    }
    sort_by_frequency(sorted, used);
    minimum_redundancy_lengths(sorted, used);

    // Count codes per length, then shorten the longest to max_bits and repair the Kraft sum.
    int per_length[33] = {0};
    for (int i = 0; i < used; i++) {
        per_length[sorted[i].key > 32 ? 32 : sorted[i].key]++;
    }
    for (unsigned bits = max_bits + 1; bits <= 32; bits++) {
        per_length[max_bits] += per_length[bits];
    }
    uint32_t total = 0;
    for (unsigned bits = max_bits; bits > 0; bits--) {
        total += (uint32_t)per_length[bits] << (max_bits - bits);
    }
    while (total != (1u << max_bits)) {
        per_length[max_bits]--;
        for (unsigned bits = max_bits - 1; bits > 0; bits--) {
            if (per_length[bits] > 0) {
                per_length[bits]--;
                per_length[bits + 1] += 2;
                break;
            }
        }
        total--;
    }
    // The most frequent symbols (at the end of `sorted`) get the shortest codes.
    int index = used;
    for (unsigned bits = 1; bits <= max_bits; bits++) {
        for (int n = per_length[bits]; n > 0; n--) {
            lengths[sorted[--index].symbol] = (uint8_t)bits;
        }
    }
}

/// Canonical codes for the lengths, bit-reversed for the least-significant-first bit writer.
static void build_codes(const uint8_t *lengths, int count, uint16_t *codes) {
    uint16_t per_length[MAX_CODE_BITS + 1] = {0};
    for (int symbol = 0; symbol < count; symbol++) {
        per_length[lengths[symbol]]++;
    }
    per_length[0] = 0;
    uint16_t next[MAX_CODE_BITS + 1] = {0};
    uint16_t code = 0;
    for (int bits = 1; bits <= MAX_CODE_BITS; bits++) {
        code = (uint16_t)((code + per_length[bits - 1]) << 1);
        next[bits] = code;
    }
    for (int symbol = 0; symbol < count; symbol++) {
        unsigned length = lengths[symbol];
        codes[symbol] = 0;
        if (length == 0) {
            continue;
        }
        unsigned value = next[length]++;
        unsigned reversed = 0;
        for (unsigned bit = 0; bit < length; bit++) {
            reversed = (reversed << 1) | ((value >> bit) & 1);
        }
        codes[symbol] = (uint16_t)reversed;
    }
}

// MARK: - Splitting into symbols

/// The length symbol (257...285) and extra bits of every run length 3...258.
typedef struct length_code {
    uint16_t symbol;
    uint8_t extra_bits;
    uint16_t extra_value;
} length_code;

static length_code length_codes[MAX_RUN + 1];
static pthread_once_t length_codes_once = PTHREAD_ONCE_INIT;

static void make_length_codes(void) {
    static const uint16_t base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                      31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const uint8_t extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                      2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    for (int code = 0; code < 29; code++) {
        int last = code == 28 ? MAX_RUN : base[code] + (1 << extra[code]) - 1;
        if (code == 27) {
            last = 257;  // 258 has a code of its own
        }
        for (int length = base[code]; length <= last; length++) {
            length_codes[length].symbol = (uint16_t)(257 + code);
            length_codes[length].extra_bits = extra[code];
            length_codes[length].extra_value = (uint16_t)(length - base[code]);
        }
    }
}

/// The block being built: its symbols (a literal byte 0...255, or 256 + the length of a run
/// of the previous byte), their counts, and its bytes while it may still be stored.
typedef struct block {
    uint16_t symbols[BLOCK_SYMBOLS];
    int count;
    /// Literal counts in four tables (a byte and the next go to different tables, so
    /// repeated bytes do not wait on each other's increment); summed when the block ends.
    uint32_t literals[4][256];
    uint32_t lengths[LITLEN_SYMBOLS];
    uint32_t runs;
    size_t byte_count;
    uint8_t stored[MAX_STORED_BYTES];
} block;

static void reset_block(block *b) {
    memset(b->literals, 0, sizeof b->literals);
    memset(b->lengths, 0, sizeof b->lengths);
    b->count = 0;
    b->runs = 0;
    b->byte_count = 0;
}

static inline uint64_t load_u64(const uint8_t *p) {
    uint64_t value;
    memcpy(&value, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    value = __builtin_bswap64(value);
#endif
    return value;
}

/// Bit 7 of each byte is set where the bytes of x and y are equal (exact: no carries between bytes).
static inline uint64_t equal_bytes(uint64_t x, uint64_t y) {
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
    uint64_t v = x ^ y;
    return ~(((v & low7) + low7) | v | low7);
}

/// One step of Z_RLE: a run if the next MIN_RUN bytes equal the byte before them, else a literal.
static inline size_t take_symbol(const uint8_t *data, size_t i, size_t end, int has_previous, block *b) {
    uint8_t byte = data[i];
    if (has_previous && byte == data[i - 1] && i + MIN_RUN <= end && data[i + 1] == byte &&
        data[i + 2] == byte) {
        size_t limit = end - i < MAX_RUN ? end - i : MAX_RUN;
        size_t run = MIN_RUN;
        while (run < limit && data[i + run] == byte) {
            run++;
        }
        b->symbols[b->count++] = (uint16_t)(256 + run);
        b->lengths[length_codes[run].symbol]++;
        b->runs++;
        return run;
    }
    b->symbols[b->count++] = byte;
    b->literals[0][byte]++;
    return 1;
}

/// Splits data[start..<end] into the block's symbols until the block is full; returns the end
/// of what was taken. data[start - 1] is the previous byte of the stream when `has_previous`
/// (and readable memory in any case).
static size_t take_symbols(const uint8_t *data, size_t start, size_t end, int has_previous, block *b) {
    size_t i = start;
    if (!has_previous && i < end && b->count < BLOCK_SYMBOLS) {
        i += take_symbol(data, i, end, 0, b);
    }
    // Eight bytes at a time while no run can start among them: a run starts at k when
    // d[k-1] == d[k] == d[k+1] == d[k+2], which three byte-wise comparisons show at once.
    while (i + 10 <= end && b->count + 8 <= BLOCK_SYMBOLS) {
        uint64_t before = load_u64(data + i - 1);
        uint64_t here = load_u64(data + i);
        uint64_t next = load_u64(data + i + 1);
        uint64_t after = load_u64(data + i + 2);
        if ((equal_bytes(here, before) & equal_bytes(next, here) & equal_bytes(after, next)) == 0) {
            uint16_t *symbols = b->symbols + b->count;
            for (int k = 0; k < 8; k += 4) {
                symbols[k] = data[i + k];
                symbols[k + 1] = data[i + k + 1];
                symbols[k + 2] = data[i + k + 2];
                symbols[k + 3] = data[i + k + 3];
                b->literals[0][data[i + k]]++;
                b->literals[1][data[i + k + 1]]++;
                b->literals[2][data[i + k + 2]]++;
                b->literals[3][data[i + k + 3]]++;
            }
            b->count += 8;
            i += 8;
        } else {
            size_t group_end = i + 8;
            while (i < group_end && b->count < BLOCK_SYMBOLS) {
                i += take_symbol(data, i, end, 1, b);
            }
        }
    }
    while (i < end && b->count < BLOCK_SYMBOLS) {
        i += take_symbol(data, i, end, 1, b);
    }
    return i;
}

// MARK: - Writing blocks

/// The code-length sequence of a dynamic block header, run-length coded with symbols 16-18.
typedef struct header_codes {
    uint8_t symbols[LITLEN_SYMBOLS + DISTANCE_SYMBOLS];
    uint8_t extra[LITLEN_SYMBOLS + DISTANCE_SYMBOLS];
    int count;
    uint32_t frequencies[CODE_LENGTH_SYMBOLS];
} header_codes;

static void header_push(header_codes *h, uint8_t symbol, uint8_t extra) {
    h->symbols[h->count] = symbol;
    h->extra[h->count] = extra;
    h->count++;
    h->frequencies[symbol]++;
}

static void header_flush_repeats(header_codes *h, uint8_t length, int *repeats) {
    if (*repeats == 0) {
        return;
    }
    if (*repeats < 3) {
        for (int i = 0; i < *repeats; i++) {
            header_push(h, length, 0);
        }
    } else {
        header_push(h, 16, (uint8_t)(*repeats - 3));
    }
    *repeats = 0;
}

static void header_flush_zeros(header_codes *h, int *zeros) {
    if (*zeros == 0) {
        return;
    }
    if (*zeros < 3) {
        for (int i = 0; i < *zeros; i++) {
            header_push(h, 0, 0);
        }
    } else if (*zeros <= 10) {
        header_push(h, 17, (uint8_t)(*zeros - 3));
    } else {
        header_push(h, 18, (uint8_t)(*zeros - 11));
    }
    *zeros = 0;
}

static void encode_header_lengths(const uint8_t *lengths, int count, header_codes *h) {
    memset(h, 0, sizeof *h);
    int previous = -1;
    int repeats = 0;
    int zeros = 0;
    for (int i = 0; i < count; i++) {
        uint8_t length = lengths[i];
        if (length == 0) {
            header_flush_repeats(h, (uint8_t)previous, &repeats);
            if (++zeros == 138) {
                header_flush_zeros(h, &zeros);
            }
        } else {
            header_flush_zeros(h, &zeros);
            if (length != previous) {
                header_flush_repeats(h, (uint8_t)previous, &repeats);
                header_push(h, length, 0);
            } else if (++repeats == 6) {
                header_flush_repeats(h, (uint8_t)previous, &repeats);
            }
        }
        previous = length;
    }
    header_flush_repeats(h, (uint8_t)previous, &repeats);
    header_flush_zeros(h, &zeros);
}

static const uint8_t code_length_order[CODE_LENGTH_SYMBOLS] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                               11, 4,  12, 3, 13, 2, 14, 1, 15};
static const uint8_t header_extra_bits[CODE_LENGTH_SYMBOLS] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                               0, 0, 0, 0, 0, 0, 2, 3, 7};

/// Writes the block: dynamic Huffman, or stored when that is smaller.
static int write_block(output *out, block *b, int last) {
    uint32_t litlen[LITLEN_SYMBOLS];
    for (int symbol = 0; symbol < 256; symbol++) {
        litlen[symbol] = b->literals[0][symbol] + b->literals[1][symbol] + b->literals[2][symbol] +
                         b->literals[3][symbol];
    }
    for (int symbol = 256; symbol < LITLEN_SYMBOLS; symbol++) {
        litlen[symbol] = b->lengths[symbol];
    }
    litlen[END_OF_BLOCK] = 1;
    uint32_t distance[DISTANCE_SYMBOLS] = {b->runs};

    uint8_t dynamic_litlen_lengths[LITLEN_SYMBOLS];
    uint8_t *litlen_lengths = dynamic_litlen_lengths;
    uint8_t distance_lengths[DISTANCE_SYMBOLS];
    build_code_lengths(litlen, LITLEN_SYMBOLS, MAX_CODE_BITS, litlen_lengths);
    build_code_lengths(distance, DISTANCE_SYMBOLS, MAX_CODE_BITS, distance_lengths);
    int litlen_count = LITLEN_SYMBOLS;
    while (litlen_count > 257 && litlen_lengths[litlen_count - 1] == 0) {
        litlen_count--;
    }
    int distance_count = DISTANCE_SYMBOLS;
    while (distance_count > 1 && distance_lengths[distance_count - 1] == 0) {
        distance_count--;
    }
    // The header lists both alphabets' lengths in one sequence (a copy: the codes need them apart).
    uint8_t lengths[LITLEN_SYMBOLS + DISTANCE_SYMBOLS];
    memcpy(lengths, litlen_lengths, (size_t)litlen_count);
    memcpy(lengths + litlen_count, distance_lengths, (size_t)distance_count);

    header_codes header;
    encode_header_lengths(lengths, litlen_count + distance_count, &header);
    uint8_t header_lengths[CODE_LENGTH_SYMBOLS];
    build_code_lengths(header.frequencies, CODE_LENGTH_SYMBOLS, MAX_CODE_LENGTH_BITS, header_lengths);
    int header_count = CODE_LENGTH_SYMBOLS;
    while (header_count > 4 && header_lengths[code_length_order[header_count - 1]] == 0) {
        header_count--;
    }

    // The exact size of the dynamic block, to compare with storing the bytes as they are.
    uint64_t dynamic_bits = 3 + 5 + 5 + 4 + 3 * (uint64_t)header_count;
    for (int symbol = 0; symbol < CODE_LENGTH_SYMBOLS; symbol++) {
        dynamic_bits += (uint64_t)header.frequencies[symbol] * (header_lengths[symbol] + header_extra_bits[symbol]);
    }
    for (int symbol = 0; symbol < LITLEN_SYMBOLS; symbol++) {
        uint64_t extra = symbol >= 265 && symbol < 285 ? (uint64_t)(symbol - 261) / 4 : 0;
        dynamic_bits += (uint64_t)litlen[symbol] * (litlen_lengths[symbol] + extra);
    }
    dynamic_bits += (uint64_t)b->runs * distance_lengths[0];

    // Fixed Huffman codes (RFC 1951 3.2.6) win for small blocks, whose dynamic header dominates.
    // All 288 codes: the canonical codes of 144...255 depend on how many 8-bit codes there are.
    uint8_t fixed_litlen_lengths[FIXED_LITLEN_SYMBOLS];
    uint8_t fixed_distance_lengths[DISTANCE_SYMBOLS];
    for (int symbol = 0; symbol < FIXED_LITLEN_SYMBOLS; symbol++) {
        fixed_litlen_lengths[symbol] = symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : 8;
    }
    memset(fixed_distance_lengths, 5, sizeof fixed_distance_lengths);
    uint64_t fixed_bits = 3 + 5 * (uint64_t)b->runs;
    for (int symbol = 0; symbol < LITLEN_SYMBOLS; symbol++) {
        uint64_t extra = symbol >= 265 && symbol < 285 ? (uint64_t)(symbol - 261) / 4 : 0;
        fixed_bits += (uint64_t)litlen[symbol] * (fixed_litlen_lengths[symbol] + extra);
    }
    uint64_t coded_bits = fixed_bits < dynamic_bits ? fixed_bits : dynamic_bits;
    if (b->byte_count <= MAX_STORED_BYTES && 3 + 7 + 32 + 8 * (uint64_t)b->byte_count <= coded_bits) {
        if (!reserve(out, b->byte_count + 16)) {
            return 0;
        }
        bit_writer writer = begin_bits(out);
        put_bits(&writer, (uint32_t)(last ? 1 : 0), 3);  // BFINAL, BTYPE 00
        end_bits(out, &writer);
        align_to_byte(out);
        uint8_t *p = out->bytes + out->length;
        size_t length = b->byte_count;
        p[0] = (uint8_t)length;
        p[1] = (uint8_t)(length >> 8);
        p[2] = (uint8_t)~length;
        p[3] = (uint8_t)(~length >> 8);
        memcpy(p + 4, b->stored, length);
        out->length += 4 + length;
        return 1;
    }

    int fixed = fixed_bits <= dynamic_bits;
    if (fixed) {
        litlen_lengths = fixed_litlen_lengths;
        memcpy(distance_lengths, fixed_distance_lengths, sizeof distance_lengths);
    }
    if (!reserve(out, (size_t)((fixed ? fixed_bits : dynamic_bits) / 8) + 16)) {
        return 0;
    }

    uint16_t litlen_codes[FIXED_LITLEN_SYMBOLS];
    uint16_t distance_codes[DISTANCE_SYMBOLS];
    build_codes(litlen_lengths, fixed ? FIXED_LITLEN_SYMBOLS : LITLEN_SYMBOLS, litlen_codes);
    build_codes(distance_lengths, DISTANCE_SYMBOLS, distance_codes);

    bit_writer writer = begin_bits(out);
    if (fixed) {
        put_bits(&writer, (uint32_t)(last ? 1 : 0) | 1u << 1, 3);  // BFINAL, BTYPE 01
    } else {
        uint16_t header_codes_[CODE_LENGTH_SYMBOLS];
        build_codes(header_lengths, CODE_LENGTH_SYMBOLS, header_codes_);
        put_bits(&writer, (uint32_t)(last ? 1 : 0) | 2u << 1, 3);  // BFINAL, BTYPE 10
        put_bits(&writer, (uint32_t)(litlen_count - 257), 5);
        put_bits(&writer, (uint32_t)(distance_count - 1), 5);
        put_bits(&writer, (uint32_t)(header_count - 4), 4);
        for (int i = 0; i < header_count; i++) {
            put_bits(&writer, header_lengths[code_length_order[i]], 3);
        }
        for (int i = 0; i < header.count; i++) {
            uint8_t symbol = header.symbols[i];
            put_bits(&writer, header_codes_[symbol], header_lengths[symbol]);
            put_bits(&writer, header.extra[i], header_extra_bits[symbol]);
        }
    }

    // Each symbol's whole bit pattern in one table entry: code in the low bits, length on top.
    uint32_t literal_entries[256];
    for (int symbol = 0; symbol < 256; symbol++) {
        literal_entries[symbol] = (uint32_t)litlen_codes[symbol] | (uint32_t)litlen_lengths[symbol] << 24;
    }
    uint64_t run_entries[MAX_RUN + 1] = {0};
    if (b->runs > 0) {
        for (int run = MIN_RUN; run <= MAX_RUN; run++) {
            const length_code *code = &length_codes[run];
            unsigned length = litlen_lengths[code->symbol];
            uint64_t bits = litlen_codes[code->symbol] | (uint64_t)code->extra_value << length;
            length += code->extra_bits;
            bits |= (uint64_t)distance_codes[0] << length;
            length += distance_lengths[0];
            run_entries[run] = bits | (uint64_t)length << 56;
        }
    }
    const uint64_t low56 = (1ull << 56) - 1;
    int i = 0;
    // Two literals (at most 30 bits) per write where they come in pairs, as they mostly do.
    for (; i + 1 < b->count; i += 2) {
        unsigned first = b->symbols[i];
        unsigned second = b->symbols[i + 1];
        if ((first | second) < 256) {
            uint32_t a = literal_entries[first];
            uint32_t c = literal_entries[second];
            unsigned a_length = a >> 24;
            put_bits(&writer, (a & 0xFFFFFF) | (uint64_t)(c & 0xFFFFFF) << a_length, a_length + (c >> 24));
        } else {
            for (int k = i; k < i + 2; k++) {
                unsigned symbol = b->symbols[k];
                uint64_t entry = symbol < 256 ? (uint64_t)(literal_entries[symbol] & 0xFFFFFF) |
                                                    (uint64_t)(literal_entries[symbol] >> 24) << 56
                                              : run_entries[symbol - 256];
                put_bits(&writer, entry & low56, (unsigned)(entry >> 56));
            }
        }
    }
    for (; i < b->count; i++) {
        unsigned symbol = b->symbols[i];
        uint64_t entry = symbol < 256 ? (uint64_t)(literal_entries[symbol] & 0xFFFFFF) |
                                            (uint64_t)(literal_entries[symbol] >> 24) << 56
                                      : run_entries[symbol - 256];
        put_bits(&writer, entry & low56, (unsigned)(entry >> 56));
    }
    put_bits(&writer, litlen_codes[END_OF_BLOCK], litlen_lengths[END_OF_BLOCK]);
    end_bits(out, &writer);
    return 1;
}

// MARK: - PNG

/// One row, SUB-filtered, after its filter-type byte; 16-bit samples become big-endian first.
static void filter_row(const uint8_t *restrict row, size_t row_bytes, size_t pixel_bytes, int bit_depth,
                       uint8_t *restrict scratch, uint8_t *restrict filtered) {
    const uint8_t *source = row;
    if (bit_depth == 16) {
        for (size_t i = 0; i < row_bytes; i += 2) {
            uint16_t sample;
            memcpy(&sample, row + i, 2);
            scratch[i] = (uint8_t)(sample >> 8);
            scratch[i + 1] = (uint8_t)sample;
        }
        source = scratch;
    }
    filtered[0] = 1;  // SUB
    for (size_t i = 0; i < pixel_bytes; i++) {
        filtered[1 + i] = source[i];
    }
    for (size_t i = pixel_bytes; i < row_bytes; i++) {
        filtered[1 + i] = (uint8_t)(source[i] - source[i - pixel_bytes]);
    }
}

static void write_chunk_header(uint8_t *p, uint32_t length, const char *type) {
    put_u32_big_endian(p, length);
    memcpy(p + 4, type, 4);
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

size_t visdrop_png_encode_fast_bound(uint32_t width, uint32_t height, int channels, int bit_depth) {
    size_t filtered = filtered_size(width, height, channels, bit_depth);
    // Every block costs at most its bytes + 6 (a stored block: 3 bits, padding, LEN, NLEN; a
    // coded block is used only when smaller, and one of more than 65535 bytes always is), and
    // every block but the last holds BLOCK_SYMBOLS symbols of at least one byte each.
    size_t blocks = filtered / BLOCK_SYMBOLS + 2;
    size_t overhead = 6 * blocks + 128;  // + signature, IHDR, IDAT, IEND, zlib, writer slack
    if (filtered == 0 || filtered > SIZE_MAX - overhead) {
        return 0;
    }
    return filtered + overhead;
}

int visdrop_png_encode_fast(const uint8_t *pixels, size_t pixels_length, uint32_t width, uint32_t height,
                            int channels, int bit_depth, uint8_t *destination, size_t capacity,
                            size_t *written) {
    if (written != NULL) {
        *written = 0;
    }
    size_t filtered = filtered_size(width, height, channels, bit_depth);
    if (written == NULL || destination == NULL || pixels == NULL || filtered == 0 ||
        capacity < visdrop_png_encode_fast_bound(width, height, channels, bit_depth)) {
        return VISDROP_PNG_INVALID_ARGUMENT;
    }
    size_t pixel_bytes = (size_t)channels * (size_t)(bit_depth / 8);
    size_t row_bytes = (size_t)width * pixel_bytes;
    if (pixels_length != row_bytes * height) {
        return VISDROP_PNG_INVALID_ARGUMENT;
    }
    pthread_once(&length_codes_once, make_length_codes);

    // Filtered rows collect in `window` after one byte of history (the stream's previous byte);
    // what is split into symbols moves on, and the rest moves to the front.
    size_t window_capacity = 1 + WINDOW_BYTES + row_bytes + 1;
    uint8_t *window = (uint8_t *)malloc(window_capacity);
    uint8_t *scratch = bit_depth == 16 ? (uint8_t *)malloc(row_bytes) : NULL;
    block *current = (block *)malloc(sizeof *current);
    output out = {destination, 0, capacity, 0, 0};
    int status = VISDROP_PNG_OUT_OF_MEMORY;
    if (window == NULL || current == NULL || (bit_depth == 16 && scratch == NULL)) {
        goto done;
    }
    status = VISDROP_PNG_INVALID_ARGUMENT;  // from here on, only a wrong bound can fail

    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memcpy(out.bytes, signature, 8);
    uint8_t *ihdr = out.bytes + 8;
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
    size_t idat_start = 8 + 25;
    out.length = idat_start + 8;     // IDAT length and type, written once the length is known
    out.bytes[out.length++] = 0x78;  // zlib: deflate, 32 KiB window
    out.bytes[out.length++] = 0x01;  // fastest, no dictionary

    uint32_t adler = 1;
    int has_previous = 0;
    size_t filled = 0;  // filtered bytes in window[1...]
    uint32_t row = 0;
    reset_block(current);
    for (;;) {
        while (row < height && filled < WINDOW_BYTES) {
            filter_row(pixels + (size_t)row * row_bytes, row_bytes, pixel_bytes, bit_depth, scratch,
                       window + 1 + filled);
            filled += row_bytes + 1;
            row++;
        }
        // While rows remain, keep MAX_RUN bytes back so that no run is cut at the window's end.
        size_t end = row < height ? filled - MAX_RUN : filled;
        uint8_t *data = window + 1;
        size_t taken = 0;
        while (taken < end) {
            size_t next = take_symbols(data, taken, end, has_previous || taken > 0, current);
            size_t length = next - taken;
            if (current->byte_count + length <= MAX_STORED_BYTES) {
                memcpy(current->stored + current->byte_count, data + taken, length);
            }
            current->byte_count += length;
            taken = next;
            if (current->count == BLOCK_SYMBOLS && (taken < filled || row < height)) {
                if (!write_block(&out, current, 0)) {
                    goto done;
                }
                reset_block(current);
            }
        }
        adler = (uint32_t)adler32_z(adler, data, taken);
        if (taken > 0) {
            window[0] = data[taken - 1];
            has_previous = 1;
        }
        memmove(data, data + taken, filled - taken);
        filled -= taken;
        if (row == height && filled == 0) {
            break;
        }
    }
    if (!write_block(&out, current, 1)) {
        goto done;
    }
    if (!reserve(&out, 16 + 12 + 8)) {
        goto done;
    }
    align_to_byte(&out);
    put_u32_big_endian(out.bytes + out.length, adler);
    out.length += 4;

    size_t idat_length = out.length - idat_start - 8;
    if (idat_length > 0x7FFFFFFFu) {
        status = VISDROP_PNG_INVALID_ARGUMENT;  // larger than one chunk may be; libpng splits it
        goto done;
    }
    write_chunk_header(out.bytes + idat_start, (uint32_t)idat_length, "IDAT");
    put_u32_big_endian(out.bytes + out.length, (uint32_t)crc32_z(0, out.bytes + idat_start + 4, idat_length + 4));
    out.length += 4;
    write_chunk_header(out.bytes + out.length, 0, "IEND");
    put_u32_big_endian(out.bytes + out.length + 8, 0xAE426082u);
    out.length += 12;

    *written = out.length;
    status = VISDROP_PNG_OK;
done:
    free(current);
    free(scratch);
    free(window);
    return status;
}
