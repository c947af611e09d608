/* The harness's scripted sequence for the C writer (writers/tests/run_writer_tests.py).
 * Modes: sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES */
#include "../../c/visdrop.h"

#include <math.h>
#include <stdbool.h>

#define CHECK(call)                                                                       \
    do {                                                                                  \
        if ((call) != 0) {                                                                \
            fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #call, visdrop_last_error()); \
            exit(1);                                                                      \
        }                                                                                 \
    } while (0)

static const char *const LAYOUT_NAMES[7] = {"hw", "hw1", "hw3", "hw4", "c1hw", "c3hw", "c4hw"};
static const size_t LAYOUT_SHAPES[7][3] = {{5, 6, 0}, {5, 6, 1}, {5, 6, 3}, {5, 6, 4}, {1, 5, 6}, {3, 5, 6}, {4, 5, 6}};

static void sequence(const char *drop, const char *run_name) {
    visdrop_run *run;
    CHECK(visdrop_open(&run, drop, run_name));

    visdrop_record *config = visdrop_record_new();
    visdrop_record_begin_object(config, "model");
    visdrop_record_string(config, "type", "ResNet");
    visdrop_record_int(config, "depth", 50);
    visdrop_record_begin_object(config, "norm_cfg");
    visdrop_record_string(config, "type", "BN");
    visdrop_record_float(config, "eps", 1e-05);
    visdrop_record_bool(config, "requires_grad", 1);
    visdrop_record_end_object(config);
    visdrop_record_end_object(config);
    visdrop_record_begin_object(config, "optimizer");
    visdrop_record_float(config, "lr", 0.02);
    visdrop_record_float(config, "momentum", 0.9);
    visdrop_record_float(config, "weight_decay", 0.0001);
    visdrop_record_end_object(config);
    visdrop_record_int(config, "max_epochs", 12);
    visdrop_record_float(config, "scale", 1.0);
    visdrop_record_begin_array(config, "flags");
    visdrop_record_bool(config, NULL, 1);
    visdrop_record_bool(config, NULL, 0);
    visdrop_record_null(config, NULL);
    visdrop_record_end_array(config);
    visdrop_record_string(config, "name", "run α");
    CHECK(visdrop_add_config(run, config));
    visdrop_record_free(config);

    CHECK(visdrop_add_scalar(run, "loss", 0.5, 1));
    CHECK(visdrop_add_scalar_int(run, "count", 1, 2));
    CHECK(visdrop_add_scalar(run, "ratio", 1.0, 3));
    CHECK(visdrop_add_scalar(run, "nan", NAN, 4));
    CHECK(visdrop_add_scalar(run, "inf", INFINITY, 5));
    CHECK(visdrop_add_scalar(run, "ninf", -INFINITY, 6));
    CHECK(visdrop_add_scalar(run, "small", 1e-5, 7));
    CHECK(visdrop_add_scalar(run, "negzero", -0.0, 8));
    CHECK(visdrop_add_scalar(run, "big", 1e16, 9));
    CHECK(visdrop_add_scalar(run, "tiny", 5e-324, 10));
    CHECK(visdrop_add_scalar(run, "third", 0.1 + 0.2, 11));
    CHECK(visdrop_add_scalar_int(run, "bigstep", 3, 1099511627776LL));

    visdrop_record *r = visdrop_record_new();
    visdrop_record_float(r, "train/loss", 0.25);
    visdrop_record_int(r, "train/acc", 1);
    visdrop_record_float(r, "lr", 0.001);
    CHECK(visdrop_add_scalars(run, r, 12, NULL));
    visdrop_record_free(r);

    r = visdrop_record_new();
    visdrop_record_float(r, "a", 1.5);
    visdrop_record_int(r, "step", 99);
    CHECK(visdrop_add_scalars(run, r, 13, NULL));
    visdrop_record_free(r);

    r = visdrop_record_new();
    visdrop_record_json(r, "bigint", "18446744073709551617");
    visdrop_record_int(r, "negbig", INT64_MIN);
    visdrop_record_uint(r, "maxu64", UINT64_MAX);
    visdrop_record_json(r, "huge", "1000000000000000000000000000000");
    CHECK(visdrop_add_scalars(run, r, 14, NULL));
    visdrop_record_free(r);

    r = visdrop_record_new();
    visdrop_record_begin_object(r, "nested");
    visdrop_record_begin_object(r, "inner");
    visdrop_record_int(r, "x", 1);
    visdrop_record_float(r, "y", 2.5);
    visdrop_record_end_object(r);
    visdrop_record_begin_array(r, "list");
    visdrop_record_int(r, NULL, 1);
    visdrop_record_float(r, NULL, 2.0);
    visdrop_record_null(r, NULL);
    visdrop_record_bool(r, NULL, true);
    visdrop_record_bool(r, NULL, false);
    visdrop_record_string(r, NULL, "s");
    visdrop_record_end_array(r);
    visdrop_record_end_object(r);
    visdrop_record_string(r, "text", "naïve \"q\" \\ \n\t\x01 ключ 😀");
    visdrop_record_bool(r, "flag", true);
    visdrop_record_null(r, "none");
    CHECK(visdrop_add_scalars(run, r, 15, NULL));
    visdrop_record_free(r);

    r = visdrop_record_new();
    visdrop_record_float(r, "val/acc", 0.91);
    visdrop_record_float(r, "val/f1", 1.0);
    CHECK(visdrop_add_scalars(run, r, 16, "val.json"));
    visdrop_record_free(r);

    r = visdrop_record_new();
    visdrop_record_float(r, "val/acc", NAN);
    visdrop_record_int(r, "epoch", 2);
    visdrop_record_float(r, "max", 1.7976931348623157e308);
    CHECK(visdrop_add_scalars(run, r, 17, "val.json"));
    visdrop_record_free(r);

    CHECK(visdrop_add_scalar(run, "last", -2.5e-300, 18));

    r = visdrop_record_new();
    CHECK(visdrop_add_scalars(run, r, 19, NULL));
    visdrop_record_free(r);

    r = visdrop_record_new();
    visdrop_record_float(r, "e21", 1e21);
    visdrop_record_float(r, "em7", 1e-7);
    visdrop_record_float(r, "f32", 0.1f);
    CHECK(visdrop_add_scalars(run, r, 20, NULL));
    visdrop_record_free(r);

    int step = 0;
    for (int dtype = 0; dtype < 4; dtype++) {
        for (int layout = 0; layout < 7; layout++, step++) {
            int ndim = LAYOUT_SHAPES[layout][2] == 0 ? 2 : 3;
            size_t count = LAYOUT_SHAPES[layout][0] * LAYOUT_SHAPES[layout][1] * (ndim == 3 ? LAYOUT_SHAPES[layout][2] : 1);
            uint8_t bytes[120];
            uint16_t words[120];
            float floats[120];
            const void *data = bytes;
            size_t byte_count = count;
            const char *dtype_name = "uint8";
            for (size_t i = 0; i < count; i++) {
                bytes[i] = (uint8_t)((i * 37 + 11) % 256);
                words[i] = (uint16_t)((i * 4099 + 7) % 65536);
                floats[i] = i % 13 == 5 ? NAN : (float)((double)((i * 37) % 101) / 80.0 - 0.1);
            }
            if (dtype == 1) data = words, byte_count = 2 * count, dtype_name = "uint16";
            if (dtype == 2) data = floats, byte_count = 4 * count, dtype_name = "float32";
            if (dtype == 3) {
                for (size_t i = 0; i < count; i++) bytes[i] = (i % 3 == 0) || (i % 7 == 1);
                dtype_name = "bool";
            }
            char name[64];
            snprintf(name, sizeof name, "%s_%s", dtype_name, LAYOUT_NAMES[layout]);
            CHECK(visdrop_add_image(run, name, data, byte_count, LAYOUT_SHAPES[layout], ndim, (visdrop_dtype)dtype, step));
        }
    }
    visdrop_close(run);

    char other[512];
    snprintf(other, sizeof other, "%s-yaml", run_name);
    CHECK(visdrop_open(&run, drop, other));
    CHECK(visdrop_add_config_yaml(run, "model:\n  type: ResNet\n  depth: 50\nlr: 0.02\nsteps: [8, 11]\nname: yaml run\n"));
    visdrop_close(run);
    snprintf(other, sizeof other, "%s-jsontext", run_name);
    CHECK(visdrop_open(&run, drop, other));
    CHECK(visdrop_add_config_json(run, "{\"work_dir\": \"./work\", \"seed\": 42, \"ratio\": 0.5, \"list\": [1, 2.5, \"x\"]}"));
    visdrop_close(run);
}

static int expect_failure(const char *check, int code) {
    if (code == 0) {
        printf("FAIL %s: no error reported\n", check);
        return 1;
    }
    fprintf(stderr, "%s: %s\n", check, visdrop_last_error());
    return 0;
}

static void errors(const char *scratch) {
    char path[1024];
    visdrop_run *run = NULL;
    int failed = 0;
    struct stat status;

    snprintf(path, sizeof path, "%s/missing", scratch);
    failed |= expect_failure("missing_drop", visdrop_open(&run, path, "r"));
    if (stat(path, &status) == 0) printf("FAIL missing_drop: the missing drop folder was created\n"), failed = 1;
    else if (!failed) printf("ok missing_drop\n");

    snprintf(path, sizeof path, "%s/plain-file", scratch);
    if (!expect_failure("drop_is_file", visdrop_open(&run, path, "r"))) printf("ok drop_is_file\n");
    else failed = 1;

    snprintf(path, sizeof path, "%s/readonly", scratch);
    int code = visdrop_open(&run, path, "r");
    if (code == 0) {
        code = visdrop_add_scalar(run, "x", 1.0, 0);
        visdrop_close(run);
    }
    if (!expect_failure("readonly_drop", code)) printf("ok readonly_drop\n");
    else failed = 1;

    snprintf(path, sizeof path, "%s/good", scratch);
    CHECK(visdrop_open(&run, path, "r"));
    visdrop_record *record = visdrop_record_new();
    visdrop_record_float(record, "x", 1.0);
    int bad = expect_failure("bad_file_path", visdrop_add_scalars(run, record, 0, "val.txt")) |
              expect_failure("bad_file_path", visdrop_add_scalars(run, record, 0, "scalars.json")) |
              expect_failure("bad_file_path", visdrop_add_scalars(run, record, 0, "a/b.json"));
    if (!bad) printf("ok bad_file_path\n");
    failed |= bad;
    visdrop_record_free(record);

    uint8_t pixels[60] = {0};
    size_t two_channels[3] = {5, 6, 2}, gray[2] = {5, 6};
    bad = expect_failure("bad_image", visdrop_add_image(run, "x", pixels, 60, two_channels, 3, VISDROP_UINT8, 0)) |
          expect_failure("bad_image", visdrop_add_image(run, "x", pixels, 59, gray, 2, VISDROP_UINT8, 0)) |
          expect_failure("bad_image", visdrop_add_image(run, "../x", pixels, 30, gray, 2, VISDROP_UINT8, 0));
    if (!bad) printf("ok bad_image\n");
    failed |= bad;
    visdrop_close(run);

    CHECK(visdrop_open(&run, path, "r2"));
    snprintf(path, sizeof path, "%s/good/r2", scratch);
    rmdir(path);
    if (!expect_failure("vanished_run", visdrop_add_scalar(run, "x", 1.0, 0))) printf("ok vanished_run\n");
    else failed = 1;
    visdrop_close(run);
    exit(failed);
}

struct writer_thread {
    visdrop_run *run;
    int writer, thread, count;
};

static void *write_records(void *argument) {
    struct writer_thread *job = (struct writer_thread *)argument;
    for (int i = 0; i < job->count; i++) {
        visdrop_record *record = visdrop_record_new();
        visdrop_record_int(record, "writer", job->writer);
        visdrop_record_int(record, "thread", job->thread);
        visdrop_record_int(record, "i", i);
        CHECK(visdrop_add_scalars(job->run, record, i, i % 5 == 0 ? "every5.json" : NULL));
        visdrop_record_free(record);
    }
    return NULL;
}

static void concurrent(const char *drop, const char *run_name, int writer, int count) {
    visdrop_run *run;
    CHECK(visdrop_open(&run, drop, run_name));
    pthread_t threads[2];
    struct writer_thread jobs[2];
    for (int t = 0; t < 2; t++) {
        jobs[t] = (struct writer_thread){run, writer, t, count};
        pthread_create(&threads[t], NULL, write_records, &jobs[t]);
    }
    for (int t = 0; t < 2; t++) pthread_join(threads[t], NULL);
    visdrop_close(run);
}

static double seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static void bench(const char *drop, const char *run_name, int records, int images) {
    visdrop_run *run;
    CHECK(visdrop_open(&run, drop, run_name));
    double start = seconds();
    for (int i = 0; i < records; i++) {
        visdrop_record *record = visdrop_record_new();
        visdrop_record_float(record, "loss", 0.25);
        visdrop_record_float(record, "acc", 0.5);
        CHECK(visdrop_add_scalars(run, record, i, NULL));
        visdrop_record_free(record);
    }
    double record_seconds = seconds() - start;
    static uint8_t pixels[64 * 64 * 3];
    for (size_t i = 0; i < sizeof pixels; i++) pixels[i] = (uint8_t)(i * 7);
    size_t shape[3] = {64, 64, 3};
    start = seconds();
    for (int i = 0; i < images; i++) CHECK(visdrop_add_image(run, "bench", pixels, sizeof pixels, shape, 3, VISDROP_UINT8, i));
    double image_seconds = seconds() - start;
    printf("bench records_per_s=%.1f images_per_s=%.1f\n", records / record_seconds, images / image_seconds);
    visdrop_close(run);
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "sequence") == 0) sequence(argv[2], argv[3]);
    else if (argc >= 3 && strcmp(argv[1], "errors") == 0) errors(argv[2]);
    else if (argc >= 6 && strcmp(argv[1], "concurrent") == 0) concurrent(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    else if (argc >= 6 && strcmp(argv[1], "bench") == 0) bench(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
    else {
        fprintf(stderr, "usage: %s sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES\n", argv[0]);
        return 64;
    }
    return 0;
}
