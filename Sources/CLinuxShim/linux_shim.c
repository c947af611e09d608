#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "linux_shim.h"

int visdrop_start_writeback(int fd) { return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); }

int visdrop_set_lease(int fd, int type) { return fcntl(fd, F_SETLEASE, type); }

int visdrop_get_lease(int fd) { return fcntl(fd, F_GETLEASE); }

int visdrop_rename_no_replace(int from_dir, const char *from, int to_dir, const char *to) {
    return renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE);
}

int visdrop_name_this_thread(const char *name) {
    char shortened[16];
    strncpy(shortened, name, sizeof shortened - 1);
    shortened[sizeof shortened - 1] = 0;
    return pthread_setname_np(pthread_self(), shortened);
}

int visdrop_set_this_thread_nice(int value) { return setpriority(PRIO_PROCESS, gettid(), value); }

int visdrop_open_unnamed(const char *directory, unsigned int mode) {
    return open(directory, O_TMPFILE | O_WRONLY | O_CLOEXEC, (mode_t)mode);
}

int visdrop_link_descriptor(int fd, const char *path) {
    char handle[32];
    snprintf(handle, sizeof handle, "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, handle, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

int visdrop_file_system_type(const char *path, unsigned long long *type) {
    struct statfs info;
    if (statfs(path, &info) != 0) return -1;
    *type = (unsigned long long)(unsigned int)info.f_type;
    return 0;
}

long visdrop_extended_attribute_names_size(int fd) { return (long)flistxattr(fd, NULL, 0); }

int visdrop_set_mmap_threshold(int bytes) { return mallopt(M_MMAP_THRESHOLD, bytes); }
