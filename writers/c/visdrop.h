/*
 * visdrop.h — a header-only C99 writer for visdrop's drop folder (POSIX).
 *
 * Mirrors mmengine's LocalVisBackend: open a run, then add_scalar, add_scalars,
 * add_image and add_config. Every file is written under a dotfile name and renamed
 * into place, so the agent never sees half a file; scalar and temporary names carry
 * the process id, the thread, a counter and a random number, so processes and
 * threads never collide. All functions are safe to call from several threads.
 *
 *   #include "visdrop.h"      // C99 or later, or C++; POSIX (Linux, macOS, BSD)
 *   visdrop_run *run;
 *   if (visdrop_open(&run, "drop", "run1") != 0) { fprintf(stderr, "%s\n", visdrop_last_error()); }
 *   visdrop_add_scalar(run, "loss", 0.25, 100);
 *   visdrop_close(run);
 *
 * Errors: every function returns 0 on success and an errno value on failure (EINVAL
 * for bad arguments); visdrop_last_error() then describes what failed and where (a
 * message per thread, kept by this translation unit's copy of the functions).
 *
 * Integers and floats stay apart: visdrop_record_int writes an integer, and
 * visdrop_record_float a float (always with '.' or an exponent, 17 significant
 * digits at most, NaN/Infinity/-Infinity as those tokens), as Python's json does.
 */
#ifndef VISDROP_H
#define VISDROP_H

#if !defined(_POSIX_C_SOURCE) && !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE)
#define _POSIX_C_SOURCE 200809L
#endif

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/** Element types of an image. */
typedef enum {
    VISDROP_UINT8,   /**< uint8_t samples, as they are */
    VISDROP_UINT16,  /**< uint16_t samples, filed as a 16-bit PNG */
    VISDROP_FLOAT32, /**< float samples, clamped to [0, 1], x255, rounded half up */
    VISDROP_BOOL     /**< one byte per sample, 0 or not: 0 or 255 */
} visdrop_dtype;

/** An open run: the folder DROP/<run_path> the agent files into OUT/<run_path>. */
typedef struct visdrop_run {
    char *directory;
} visdrop_run;

/** A JSON object under construction (a scalar record or a config), keys in insertion order.
 *  Build it with visdrop_record_* calls; a failed call is remembered and reported by the
 *  visdrop_add_* call that uses the record. Keys must be unique within an object. */
typedef struct visdrop_record {
    char *text;
    size_t length, capacity;
    int depth;            /* open objects and arrays, the record itself included */
    int has_step;         /* the top level has a "step" key */
    int error;            /* first failure (errno value), 0 if none */
    unsigned char first[64]; /* per depth: nothing written yet */
    unsigned char is_array[64];
} visdrop_record;

#if defined(__GNUC__)
#define VISDROP__THREAD_LOCAL __thread
#define VISDROP__UNUSED __attribute__((unused))
#else
#define VISDROP__THREAD_LOCAL
#define VISDROP__UNUSED
#endif

#ifdef O_CLOEXEC
#define VISDROP__O_CLOEXEC O_CLOEXEC
#else
#define VISDROP__O_CLOEXEC 0
#endif

static VISDROP__THREAD_LOCAL char visdrop__message[1024];

/** What the last failed call of this thread did wrong, and where. */
static VISDROP__UNUSED const char *visdrop_last_error(void) { return visdrop__message; }

static int visdrop__fail(int code, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(visdrop__message, sizeof visdrop__message, format, arguments);
    va_end(arguments);
    return code;
}

/* ---- unique names: pid, thread, counter, random ---- */

static unsigned long long visdrop__counter;
static pthread_mutex_t visdrop__counter_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long visdrop__random;
static pthread_once_t visdrop__random_once = PTHREAD_ONCE_INIT;

static void visdrop__make_random(void) {
    unsigned long long value = 0;
    FILE *source = fopen("/dev/urandom", "rb");
    if (!source || fread(&value, sizeof value, 1, source) != 1) {
        value = ((unsigned long long)time(NULL) * 6364136223846793005ULL) ^ (unsigned long long)clock()
                ^ (unsigned long long)(uintptr_t)&visdrop__counter;
    }
    if (source) fclose(source);
    visdrop__random = value & 0xffffffffULL;
}

/* "<pid>-<thread>-<counter>-<random>", unique in this process and, with the random part,
 * across processes (also in other PID namespaces sharing the drop folder). */
static void visdrop__unique(char *out, size_t size) {
    unsigned long long count;
    pthread_once(&visdrop__random_once, visdrop__make_random);
#if defined(__GNUC__)
    count = __atomic_fetch_add(&visdrop__counter, 1ULL, __ATOMIC_RELAXED);
#else
    pthread_mutex_lock(&visdrop__counter_lock);
    count = visdrop__counter++;
    pthread_mutex_unlock(&visdrop__counter_lock);
#endif
    (void)visdrop__counter_lock;
    unsigned long thread = 0;
#if defined(__linux__)
    thread = (unsigned long)pthread_self() % 1000000007UL;
#endif
    snprintf(out, size, "%ld-%lu-%llu-%08llx", (long)getpid(), thread, count, visdrop__random);
}

/* ---- files ---- */

static char *visdrop__join(const char *directory, const char *name) {
    size_t a = strlen(directory), b = strlen(name);
    char *path = (char *)malloc(a + b + 2);
    if (!path) return NULL;
    memcpy(path, directory, a);
    path[a] = '/';
    memcpy(path + a + 1, name, b + 1);
    return path;
}

/* Writes the parts under a unique dotfile name in the run folder, then renames it to name. */
static int visdrop__drop(const visdrop_run *run, const char *name, const void *const *parts,
                         const size_t *lengths, int count) {
    char unique[96], temporary_name[128];
    visdrop__unique(unique, sizeof unique);
    snprintf(temporary_name, sizeof temporary_name, ".visdrop-%s.tmp", unique);
    char *temporary = visdrop__join(run->directory, temporary_name);
    char *final_path = visdrop__join(run->directory, name);
    int code = 0, fd = -1;
    if (!temporary || !final_path) {
        code = visdrop__fail(ENOMEM, "visdrop: out of memory writing %s", name);
        goto done;
    }
    fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | VISDROP__O_CLOEXEC, 0644);
    if (fd < 0) {
        code = visdrop__fail(errno, "visdrop: cannot create %s: %s", temporary, strerror(errno));
        goto done;
    }
    for (int i = 0; i < count && code == 0; i++) {
        const char *bytes = (const char *)parts[i];
        size_t left = lengths[i];
        while (left > 0) {
            ssize_t written = write(fd, bytes, left);
            if (written < 0 && errno == EINTR) continue;
            if (written < 0) {
                code = visdrop__fail(errno, "visdrop: cannot write %s: %s", temporary, strerror(errno));
                break;
            }
            bytes += written;
            left -= (size_t)written;
        }
    }
    if (close(fd) != 0 && code == 0)
        code = visdrop__fail(errno, "visdrop: cannot close %s: %s", temporary, strerror(errno));
    if (code == 0 && rename(temporary, final_path) != 0)
        code = visdrop__fail(errno, "visdrop: cannot rename %s to %s: %s", temporary, final_path,
                             strerror(errno));
    if (code != 0) unlink(temporary);
done:
    free(temporary);
    free(final_path);
    return code;
}

/* A file or folder name the agent files: not empty, no '/', not a dotfile, not work in progress. */
static int visdrop__plain_name(const char *name, size_t length) {
    if (length == 0 || name[0] == '.' || memchr(name, '/', length) || memchr(name, '\0', length)) return 0;
    if (name[length - 1] == '~') return 0;
    if (length >= 4 && memcmp(name + length - 4, ".tmp", 4) == 0) return 0;
    if (length >= 5 && memcmp(name + length - 5, ".part", 5) == 0) return 0;
    return 1;
}

/** Opens the run `run_path` ("" for the drop folder itself; "a/b" for nested runs) in the
 *  existing folder `drop_dir`, creating the run's folders (never drop_dir itself). On success
 *  stores a run in *out, to be freed with visdrop_close. */
static VISDROP__UNUSED int visdrop_open(visdrop_run **out, const char *drop_dir, const char *run_path) {
    struct stat status;
    *out = NULL;
    if (!drop_dir || !*drop_dir) return visdrop__fail(EINVAL, "visdrop: the drop folder is empty");
    if (!run_path) run_path = "";
    if (stat(drop_dir, &status) != 0)
        return visdrop__fail(errno, "visdrop: drop folder %s: %s", drop_dir, strerror(errno));
    if (!S_ISDIR(status.st_mode))
        return visdrop__fail(ENOTDIR, "visdrop: drop folder %s is not a folder", drop_dir);
    if (run_path[0] == '/')
        return visdrop__fail(EINVAL, "visdrop: run path %s must be relative to the drop folder", run_path);
    size_t drop_length = strlen(drop_dir), run_length = strlen(run_path);
    char *directory = (char *)malloc(drop_length + run_length + 2);
    if (!directory) return visdrop__fail(ENOMEM, "visdrop: out of memory");
    memcpy(directory, drop_dir, drop_length + 1);
    const char *component = run_path;
    while (*component) {
        const char *end = strchr(component, '/');
        size_t length = end ? (size_t)(end - component) : strlen(component);
        if (!visdrop__plain_name(component, length)) {
            free(directory);
            return visdrop__fail(EINVAL,
                                 "visdrop: run path %s: each part must be a plain name (not empty, "
                                 "not starting with '.', not ending in .tmp, .part or ~)",
                                 run_path);
        }
        size_t now = strlen(directory);
        directory[now] = '/';
        memcpy(directory + now + 1, component, length);
        directory[now + 1 + length] = '\0';
        if (mkdir(directory, 0755) != 0 && errno != EEXIST) {
            int code = visdrop__fail(errno, "visdrop: cannot create run folder %s: %s", directory, strerror(errno));
            free(directory);
            return code;
        }
        component += length;
        if (*component == '/') component++;
    }
    if (stat(directory, &status) != 0 || !S_ISDIR(status.st_mode) || access(directory, W_OK | X_OK) != 0) {
        int code = errno ? errno : ENOTDIR;
        visdrop__fail(code, "visdrop: run folder %s is not a writable folder: %s", directory, strerror(code));
        free(directory);
        return code;
    }
    visdrop_run *run = (visdrop_run *)malloc(sizeof *run);
    if (!run) {
        free(directory);
        return visdrop__fail(ENOMEM, "visdrop: out of memory");
    }
    run->directory = directory;
    *out = run;
    return 0;
}

/** Frees a run from visdrop_open (NULL is fine). */
static VISDROP__UNUSED void visdrop_close(visdrop_run *run) {
    if (!run) return;
    free(run->directory);
    free(run);
}

/* ---- JSON records ---- */

static int visdrop__append(visdrop_record *record, const char *bytes, size_t length) {
    if (record->error) return record->error;
    if (record->length + length + 1 > record->capacity) {
        size_t capacity = record->capacity ? record->capacity : 256;
        while (capacity < record->length + length + 1) capacity *= 2;
        char *text = (char *)realloc(record->text, capacity);
        if (!text) return record->error = ENOMEM;
        record->text = text;
        record->capacity = capacity;
    }
    memcpy(record->text + record->length, bytes, length);
    record->length += length;
    record->text[record->length] = '\0';
    return 0;
}

/* Appends s as a JSON string; s must be valid UTF-8 (checked). */
static int visdrop__append_string(visdrop_record *record, const char *s) {
    const unsigned char *p = (const unsigned char *)s;
    visdrop__append(record, "\"", 1);
    while (*p) {
        unsigned char c = *p;
        if (c < 0x80) {
            char escaped[8];
            if (c == '"' || c == '\\') {
                escaped[0] = '\\';
                escaped[1] = (char)c;
                visdrop__append(record, escaped, 2);
            } else if (c < 0x20) {
                snprintf(escaped, sizeof escaped, "\\u%04x", c);
                visdrop__append(record, escaped, 6);
            } else {
                visdrop__append(record, (const char *)p, 1);
            }
            p++;
            continue;
        }
        int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
        unsigned long point = c & (0x3F >> extra);
        int valid = extra > 0 && c < 0xF5 && c != 0xC0 && c != 0xC1;
        for (int i = 1; valid && i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80) valid = 0;
            else point = point << 6 | (p[i] & 0x3F);
        }
        if (valid && ((extra == 2 && (point < 0x800 || (point >= 0xD800 && point <= 0xDFFF))) ||
                      (extra == 3 && (point < 0x10000 || point > 0x10FFFF))))
            valid = 0;
        if (!valid) {
            if (!record->error) {
                record->error = EILSEQ;
                visdrop__fail(EILSEQ, "visdrop: string is not valid UTF-8: %.40s", s);
            }
            return EILSEQ;
        }
        visdrop__append(record, (const char *)p, (size_t)extra + 1);
        p += extra + 1;
    }
    return visdrop__append(record, "\"", 1);
}

/* The separator and key before a value at the current depth. */
static int visdrop__key(visdrop_record *record, const char *key) {
    if (!record) return visdrop__fail(EINVAL, "visdrop: no record (visdrop_record_new failed?)");
    if (record->error) return record->error;
    int level = record->depth - 1;
    if ((key != NULL) == record->is_array[level]) {
        record->error = EINVAL;
        return visdrop__fail(EINVAL, record->is_array[level]
                                         ? "visdrop: a value inside an array takes no key (pass NULL)"
                                         : "visdrop: a value inside an object needs a key");
    }
    if (!record->first[level]) visdrop__append(record, ", ", 2);
    record->first[level] = 0;
    if (key) {
        if (record->depth == 1 && strcmp(key, "step") == 0) record->has_step = 1;
        visdrop__append_string(record, key);
        visdrop__append(record, ": ", 2);
    }
    return record->error;
}

/** Starts an empty record (or config). Free it with visdrop_record_free. */
static VISDROP__UNUSED visdrop_record *visdrop_record_new(void) {
    visdrop_record *record = (visdrop_record *)calloc(1, sizeof *record);
    if (!record) return NULL;
    record->depth = 1;
    record->first[0] = 1;
    if (visdrop__append(record, "{", 1) != 0) {
        free(record);
        return NULL;
    }
    return record;
}

/** Frees a record (NULL is fine). */
static VISDROP__UNUSED void visdrop_record_free(visdrop_record *record) {
    if (!record) return;
    free(record->text);
    free(record);
}

/** Adds an integer. key is NULL inside an array. */
static VISDROP__UNUSED int visdrop_record_int(visdrop_record *record, const char *key, long long value) {
    char text[32];
    int code = visdrop__key(record, key);
    if (code) return code;
    return visdrop__append(record, text, (size_t)snprintf(text, sizeof text, "%lld", value));
}

/** Adds an unsigned integer (up to 2^64 - 1). */
static VISDROP__UNUSED int visdrop_record_uint(visdrop_record *record, const char *key, unsigned long long value) {
    char text[32];
    int code = visdrop__key(record, key);
    if (code) return code;
    return visdrop__append(record, text, (size_t)snprintf(text, sizeof text, "%llu", value));
}

/* A double as JSON text that reads back to the same double: the shortest of 15, 16 or 17
 * significant digits that round-trips, always with '.' or an exponent. */
static size_t visdrop__format_double(double value, char *text, size_t size) {
    if (isnan(value)) return (size_t)snprintf(text, size, "NaN");
    if (isinf(value)) return (size_t)snprintf(text, size, value > 0 ? "Infinity" : "-Infinity");
    int length = 0;
    for (int digits = 15; digits <= 17; digits++) {
        length = snprintf(text, size, "%.*g", digits, value);
        if (strtod(text, NULL) == value) break;
    }
    int has_point = 0;
    for (int i = 0; i < length; i++) {
        char c = text[i];
        if (c == 'e') has_point = 1;
        else if (!(c >= '0' && c <= '9') && c != '-' && c != '+') text[i] = '.', has_point = 1; /* any locale */
    }
    if (!has_point && (size_t)length + 2 < size) text[length++] = '.', text[length++] = '0', text[length] = '\0';
    return (size_t)length;
}

/** Adds a float (NaN and infinities become NaN, Infinity, -Infinity). */
static VISDROP__UNUSED int visdrop_record_float(visdrop_record *record, const char *key, double value) {
    char text[40];
    int code = visdrop__key(record, key);
    if (code) return code;
    return visdrop__append(record, text, visdrop__format_double(value, text, sizeof text));
}

/** Adds true or false. */
static VISDROP__UNUSED int visdrop_record_bool(visdrop_record *record, const char *key, int value) {
    int code = visdrop__key(record, key);
    if (code) return code;
    return value ? visdrop__append(record, "true", 4) : visdrop__append(record, "false", 5);
}

/** Adds null. */
static VISDROP__UNUSED int visdrop_record_null(visdrop_record *record, const char *key) {
    int code = visdrop__key(record, key);
    if (code) return code;
    return visdrop__append(record, "null", 4);
}

/** Adds a UTF-8 string. */
static VISDROP__UNUSED int visdrop_record_string(visdrop_record *record, const char *key, const char *value) {
    int code = visdrop__key(record, key);
    if (code) return code;
    return visdrop__append_string(record, value);
}

/** Adds a value given as JSON text, as it is: for integers beyond 64 bits
 *  ("100000000000000000000"). The text must be one valid JSON value (not checked). */
static VISDROP__UNUSED int visdrop_record_json(visdrop_record *record, const char *key, const char *json) {
    int code = visdrop__key(record, key);
    if (code) return code;
    return visdrop__append(record, json, strlen(json));
}

static int visdrop__open(visdrop_record *record, const char *key, int is_array) {
    int code = visdrop__key(record, key);
    if (code) return code;
    if (record->depth >= 64) {
        record->error = EINVAL;
        return visdrop__fail(EINVAL, "visdrop: records nest at most 63 deep");
    }
    record->first[record->depth] = 1;
    record->is_array[record->depth] = (unsigned char)is_array;
    record->depth++;
    return visdrop__append(record, is_array ? "[" : "{", 1);
}

static int visdrop__close(visdrop_record *record, int is_array) {
    if (!record) return visdrop__fail(EINVAL, "visdrop: no record");
    if (record->error) return record->error;
    if (record->depth < 2 || record->is_array[record->depth - 1] != is_array) {
        record->error = EINVAL;
        return visdrop__fail(EINVAL, "visdrop: visdrop_record_end_%s without its begin", is_array ? "array" : "object");
    }
    record->depth--;
    return visdrop__append(record, is_array ? "]" : "}", 1);
}

/** Starts a nested object (key NULL inside an array); end it with visdrop_record_end_object. */
static VISDROP__UNUSED int visdrop_record_begin_object(visdrop_record *record, const char *key) {
    return visdrop__open(record, key, 0);
}
/** Ends the innermost nested object. */
static VISDROP__UNUSED int visdrop_record_end_object(visdrop_record *record) { return visdrop__close(record, 0); }
/** Starts an array; values inside take key NULL; end it with visdrop_record_end_array. */
static VISDROP__UNUSED int visdrop_record_begin_array(visdrop_record *record, const char *key) {
    return visdrop__open(record, key, 1);
}
/** Ends the innermost array. */
static VISDROP__UNUSED int visdrop_record_end_array(visdrop_record *record) { return visdrop__close(record, 1); }

static int visdrop__check_record(const visdrop_record *record) {
    if (!record) return visdrop__fail(EINVAL, "visdrop: no record");
    if (record->error) {
        if (record->error != EILSEQ && record->error != EINVAL)
            visdrop__fail(record->error, "visdrop: building the record failed: %s", strerror(record->error));
        return record->error;
    }
    if (record->depth != 1) return visdrop__fail(EINVAL, "visdrop: the record has an unclosed object or array");
    return 0;
}

/** mmengine's add_scalars: appends the record (with "step": step added last unless it has a
 *  "step") to scalars.json and, if file_path is not NULL, to file_path (a name ending in
 *  .json, not scalars.json) in the run's output folder. */
static VISDROP__UNUSED int visdrop_add_scalars(const visdrop_run *run, const visdrop_record *record,
                                               long long step, const char *file_path) {
    char unique[96], name[512], tail[48];
    int code = visdrop__check_record(record);
    if (code) return code;
    if (!run) return visdrop__fail(EINVAL, "visdrop: no run");
    visdrop__unique(unique, sizeof unique);
    if (file_path) {
        size_t length = strlen(file_path);
        if (length < 6 || strcmp(file_path + length - 5, ".json") != 0 || strcmp(file_path, "scalars.json") == 0 ||
            strcmp(file_path, "config.json") == 0 || !visdrop__plain_name(file_path, length) ||
            strchr(file_path, '@') || length > 300)
            return visdrop__fail(EINVAL,
                                 "visdrop: file_path %s must be a plain file name ending in .json (not "
                                 "scalars.json or config.json, no '/' or '@')",
                                 file_path);
        snprintf(name, sizeof name, "scalars-%s@%s", unique, file_path);
    } else {
        snprintf(name, sizeof name, "scalars-%s.json", unique);
    }
    size_t tail_length = record->has_step ? (size_t)snprintf(tail, sizeof tail, "}\n")
                                          : (size_t)snprintf(tail, sizeof tail, "%s\"step\": %lld}\n",
                                                             record->first[0] ? "" : ", ", step);
    const void *parts[2] = {record->text, tail};
    size_t lengths[2] = {record->length, tail_length};
    return visdrop__drop(run, name, parts, lengths, 2);
}

/** mmengine's add_scalar: {name: value, "step": step} with a float value. */
static VISDROP__UNUSED int visdrop_add_scalar(const visdrop_run *run, const char *name, double value, long long step) {
    visdrop_record *record = visdrop_record_new();
    if (!record) return visdrop__fail(ENOMEM, "visdrop: out of memory");
    visdrop_record_float(record, name, value);
    int code = visdrop_add_scalars(run, record, step, NULL);
    visdrop_record_free(record);
    return code;
}

/** add_scalar with an integer value. */
static VISDROP__UNUSED int visdrop_add_scalar_int(const visdrop_run *run, const char *name, long long value,
                                                  long long step) {
    visdrop_record *record = visdrop_record_new();
    if (!record) return visdrop__fail(ENOMEM, "visdrop: out of memory");
    visdrop_record_int(record, name, value);
    int code = visdrop_add_scalars(run, record, step, NULL);
    visdrop_record_free(record);
    return code;
}

/* ---- images ---- */

/** mmengine's add_image: files `data` as vis_image/<name>_<step>.png. `shape` has `ndim`
 *  sizes: (H, W) gray, (H, W, C) or channel-first (C, H, W) with C = 1 (gray), 3 (RGB) or 4
 *  (RGBA); the agent reads a 3-D shape as (H, W, C) when its last size is 1, 3 or 4. `data`
 *  holds the samples in C order, native byte order, `byte_count` bytes in all. */
static VISDROP__UNUSED int visdrop_add_image(const visdrop_run *run, const char *name, const void *data,
                                             size_t byte_count, const size_t *shape, int ndim,
                                             visdrop_dtype dtype, long long step) {
    static const unsigned one = 1;
    const int little = *(const unsigned char *)&one == 1;
    const char *descr;
    size_t item;
    switch (dtype) {
    case VISDROP_UINT8: descr = "|u1", item = 1; break;
    case VISDROP_BOOL: descr = "|b1", item = 1; break;
    case VISDROP_UINT16: descr = little ? "<u2" : ">u2", item = 2; break;
    case VISDROP_FLOAT32: descr = little ? "<f4" : ">f4", item = 4; break;
    default: return visdrop__fail(EINVAL, "visdrop: image %s: unknown dtype %d", name ? name : "", (int)dtype);
    }
    if (!run) return visdrop__fail(EINVAL, "visdrop: no run");
    if (!name || !visdrop__plain_name(name, strlen(name)) || strlen(name) > 200)
        return visdrop__fail(EINVAL, "visdrop: image name '%s' must be a plain file name (no '/', not starting with '.')",
                             name ? name : "");
    if (step < 0) return visdrop__fail(EINVAL, "visdrop: image %s: step %lld is negative", name, step);
    if (ndim != 2 && ndim != 3) return visdrop__fail(EINVAL, "visdrop: image %s: %d dimensions (2 or 3 wanted)", name, ndim);
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] == 0) return visdrop__fail(EINVAL, "visdrop: image %s: a size of 0 in its shape", name);
        if (count > SIZE_MAX / shape[i]) return visdrop__fail(EINVAL, "visdrop: image %s: shape too large", name);
        count *= shape[i];
    }
    if (ndim == 3) {
        int last_ok = shape[2] == 1 || shape[2] == 3 || shape[2] == 4;
        int first_ok = shape[0] == 1 || shape[0] == 3 || shape[0] == 4;
        if (!last_ok && !first_ok)
            return visdrop__fail(EINVAL,
                                 "visdrop: image %s: shape (%zu, %zu, %zu) has no channel size 1, 3 or 4 first or last",
                                 name, shape[0], shape[1], shape[2]);
    }
    if (count > SIZE_MAX / item || count * item != byte_count)
        return visdrop__fail(EINVAL, "visdrop: image %s: %zu bytes given, the shape and dtype need %zu", name,
                             byte_count, count * item);
    char header[192], shape_text[96];
    if (ndim == 2) snprintf(shape_text, sizeof shape_text, "(%zu, %zu)", shape[0], shape[1]);
    else snprintf(shape_text, sizeof shape_text, "(%zu, %zu, %zu)", shape[0], shape[1], shape[2]);
    /* NPY 1.0: magic, version, header length (little-endian), dict padded to 64 with spaces + \n. */
    int dict = snprintf(header + 10, sizeof header - 10, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                        descr, shape_text);
    size_t total = 10 + (size_t)dict + 1;
    size_t padded = (total + 63) / 64 * 64;
    memcpy(header, "\x93NUMPY\x01\x00", 8);
    header[8] = (char)((padded - 10) & 0xff);
    header[9] = (char)((padded - 10) >> 8);
    memset(header + 10 + dict, ' ', padded - total);
    header[padded - 1] = '\n';
    char file_name[256];
    snprintf(file_name, sizeof file_name, "%s_%lld.npy", name, step);
    const void *parts[2] = {header, data};
    size_t lengths[2] = {padded, byte_count};
    return visdrop__drop(run, file_name, parts, lengths, 2);
}

/* ---- configs ---- */

/** mmengine's add_config from a record built with visdrop_record_*: dropped as config.json. */
static VISDROP__UNUSED int visdrop_add_config(const visdrop_run *run, const visdrop_record *config) {
    int code = visdrop__check_record(config);
    if (code) return code;
    if (!run) return visdrop__fail(EINVAL, "visdrop: no run");
    const void *parts[2] = {config->text, "}\n"};
    size_t lengths[2] = {config->length, 2};
    return visdrop__drop(run, "config.json", parts, lengths, 2);
}

/** add_config from JSON text (one object), dropped as config.json as it is. */
static VISDROP__UNUSED int visdrop_add_config_json(const visdrop_run *run, const char *json_text) {
    if (!run || !json_text) return visdrop__fail(EINVAL, "visdrop: no run or no text");
    const void *parts[1] = {json_text};
    size_t lengths[1] = {strlen(json_text)};
    return visdrop__drop(run, "config.json", parts, lengths, 1);
}

/** add_config from YAML text, dropped as config.yaml as it is. */
static VISDROP__UNUSED int visdrop_add_config_yaml(const visdrop_run *run, const char *yaml_text) {
    if (!run || !yaml_text) return visdrop__fail(EINVAL, "visdrop: no run or no text");
    const void *parts[1] = {yaml_text};
    size_t lengths[1] = {strlen(yaml_text)};
    return visdrop__drop(run, "config.yaml", parts, lengths, 1);
}

#endif /* VISDROP_H */
