/* What a claim rename costs while a writer renames files into the drop folder (issue 14).
 *
 * A rename between two directories takes the file system's one rename lock
 * (s_vfs_rename_mutex); a rename within one directory does not. This measures the CPU of N
 * renames of small files, made by this process, into another folder ("cross", what visdrop's
 * claim does) or to another name in the same folder ("same"), while a child process renames N
 * other files from a staging folder into a drop folder (what the benchmark's writer does), or
 * alone (WRITER=0). Then it deletes the N renamed files, as visdrop's trash sweeper does, and
 * gives the CPU and wall time per `unlink`: the files were flushed before (as the benchmark
 * flushes its staged files), so each deletion frees an allocated block, which a file system
 * mounted with `discard` discards there and then.
 *
 *   cc -O2 -o /tmp/rename-contention bench/rename-contention.c
 *   /tmp/rename-contention SCRATCH_FOLDER 20000 cross    # then: same
 *   WRITER=0 /tmp/rename-contention SCRATCH_FOLDER 20000 cross
 *
 * SCRATCH_FOLDER must not exist yet, on the file system to measure; it is left behind.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double cpu_seconds(void) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
           (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

static void make_folder(const char *root, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, name);
    if (mkdir(path, 0755) != 0) { perror(path); exit(1); }
}

static void make_file(const char *root, const char *folder, const char *prefix, int index) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s%d.json", root, folder, prefix, index);
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0644);
    if (fd < 0 || write(fd, "{\"loss\": 1.5, \"step\": 1}\n", 25) != 25) { perror(path); exit(1); }
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 4 || (strcmp(argv[3], "cross") != 0 && strcmp(argv[3], "same") != 0)) {
        fprintf(stderr, "usage: %s SCRATCH_FOLDER COUNT cross|same\n", argv[0]);
        return 2;
    }
    const char *root = argv[1];
    int count = atoi(argv[2]);
    int cross = strcmp(argv[3], "cross") == 0;
    int with_writer = !(getenv("WRITER") && strcmp(getenv("WRITER"), "0") == 0);
    if (mkdir(root, 0755) != 0) { perror(root); return 1; }
    make_folder(root, "stage");
    make_folder(root, "drop");
    make_folder(root, "mine");
    make_folder(root, "mine/.claim");
    for (int i = 0; i < count; i++) {
        make_file(root, "stage", "w", i);
        make_file(root, "mine", "m", i);
    }
    sync();
    char path[4096];
    snprintf(path, sizeof path, "%s/mine", root);
    int mine = open(path, O_RDONLY | O_DIRECTORY);
    snprintf(path, sizeof path, "%s/mine/.claim", root);
    int claim = open(path, O_RDONLY | O_DIRECTORY);
    if (mine < 0 || claim < 0) { perror("open"); return 1; }

    pid_t writer = 0;
    if (with_writer && (writer = fork()) == 0) {
        char from[4096], to[4096];
        for (int i = 0; i < count; i++) {
            snprintf(from, sizeof from, "%s/stage/w%d.json", root, i);
            snprintf(to, sizeof to, "%s/drop/w%d.json", root, i);
            rename(from, to);
        }
        _exit(0);
    }
    double start = cpu_seconds();
    struct timespec began, ended;
    clock_gettime(CLOCK_MONOTONIC, &began);
    for (int i = 0; i < count; i++) {
        char name[64], claimed[64];
        snprintf(name, sizeof name, "m%d.json", i);
        snprintf(claimed, sizeof claimed, ".claimed-m%d.json", i);
        int result = cross ? renameat2(mine, name, claim, name, RENAME_NOREPLACE)
                           : renameat2(mine, name, mine, claimed, RENAME_NOREPLACE);
        if (result != 0) { perror("renameat2"); return 1; }
    }
    clock_gettime(CLOCK_MONOTONIC, &ended);
    double cpu = cpu_seconds() - start;
    if (writer) waitpid(writer, NULL, 0);
    double wall = (ended.tv_sec - began.tv_sec) + (ended.tv_nsec - began.tv_nsec) / 1e9;
    printf("%s, %s: CPU %.1f us per rename, wall %.1f us\n", cross ? "into another folder" : "within the folder",
           with_writer ? "writer renaming across folders meanwhile" : "alone", cpu / count * 1e6,
           wall / count * 1e6);

    start = cpu_seconds();
    clock_gettime(CLOCK_MONOTONIC, &began);
    for (int i = 0; i < count; i++) {
        char name[64];
        snprintf(name, sizeof name, cross ? "m%d.json" : ".claimed-m%d.json", i);
        if (unlinkat(cross ? claim : mine, name, 0) != 0) { perror("unlinkat"); return 1; }
    }
    clock_gettime(CLOCK_MONOTONIC, &ended);
    cpu = cpu_seconds() - start;
    wall = (ended.tv_sec - began.tv_sec) + (ended.tv_nsec - began.tv_nsec) / 1e9;
    printf("then deleting them: CPU %.1f us per unlink, wall %.1f us\n", cpu / count * 1e6, wall / count * 1e6);
    return 0;
}
