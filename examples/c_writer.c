/*
 * A minimal visdrop writer in C, with no library: it writes the .npy header itself.
 *
 * Build: cc -O2 -o c_writer examples/c_writer.c
 * Usage: c_writer DROP_DIR [RUN] [STEPS]
 *
 * Drops, into DROP_DIR/RUN/: one scalar record per step (loss_<step>.json) and a
 * 24x32 RGB uint8 gradient per step (grad_<step>.npy). Each file is written under
 * a temporary name and renamed, so visdrop never sees half a file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { HEIGHT = 24, WIDTH = 32, CHANNELS = 3 };

static int finish(FILE *file, const char *temporary, const char *final_path) {
    if (fclose(file) != 0 || rename(temporary, final_path) != 0) {
        perror(final_path);
        return -1;
    }
    return 0;
}

/* NPY 1.0: magic, version, little-endian header length, a Python dict literal padded
 * with spaces and ending in a newline so the data starts at a multiple of 64 bytes. */
static int write_npy(const char *dir, const char *name, int step) {
    char temporary[2048], final_path[2048], header[128];
    snprintf(temporary, sizeof temporary, "%s/.%s_%d.npy.tmp", dir, name, step);
    snprintf(final_path, sizeof final_path, "%s/%s_%d.npy", dir, name, step);
    int length = snprintf(header, sizeof header,
                          "{'descr': '|u1', 'fortran_order': False, 'shape': (%d, %d, %d), }",
                          HEIGHT, WIDTH, CHANNELS);
    int total = 10 + length + 1;
    int padding = (64 - total % 64) % 64;
    unsigned short header_length = (unsigned short)(length + padding + 1);
    FILE *file = fopen(temporary, "wb");
    if (!file) { perror(temporary); return -1; }
    fwrite("\x93NUMPY\x01\x00", 1, 8, file);
    unsigned char little_endian[2] = {header_length & 0xff, header_length >> 8};
    fwrite(little_endian, 1, 2, file);
    fwrite(header, 1, (size_t)length, file);
    for (int i = 0; i < padding; i++) fputc(' ', file);
    fputc('\n', file);
    for (int y = 0; y < HEIGHT; y++)
        for (int x = 0; x < WIDTH; x++) {
            unsigned char pixel[CHANNELS] = {(unsigned char)(x * 8), (unsigned char)(y * 10),
                                             (unsigned char)(step * 50)};
            fwrite(pixel, 1, CHANNELS, file);
        }
    return finish(file, temporary, final_path);
}

static int write_scalar(const char *dir, int step) {
    char temporary[2048], final_path[2048];
    snprintf(temporary, sizeof temporary, "%s/.loss_%d.json.tmp", dir, step);
    snprintf(final_path, sizeof final_path, "%s/loss_%d.json", dir, step);
    FILE *file = fopen(temporary, "w");
    if (!file) { perror(temporary); return -1; }
    fprintf(file, "{\"loss\": %d.5, \"step\": %d}\n", step, step);
    return finish(file, temporary, final_path);
}

int main(int argc, char **argv) {
    const char *drop = argc > 1 ? argv[1] : "drop";
    const char *run = argc > 2 ? argv[2] : "c_run";
    int steps = argc > 3 ? atoi(argv[3]) : 3;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s", drop, run);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) { perror(dir); return 1; }
    for (int step = 0; step < steps; step++) {
        if (write_scalar(dir, step) != 0 || write_npy(dir, "grad", step) != 0) return 1;
    }
    return 0;
}
