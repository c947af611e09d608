#ifndef VISDROP_LINUX_SHIM_H
#define VISDROP_LINUX_SHIM_H

/// Linux calls Glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not set.

/// fcntl(fd, F_SETLEASE, type) with type F_RDLCK (0) or F_UNLCK (2). Returns 0 or -1 with errno set.
int visdrop_set_lease(int fd, int type);

/// fcntl(fd, F_GETLEASE): the lease this process holds on the file — F_RDLCK (0) while a read
/// lease stands, F_UNLCK (2) once a writer's open has begun to break it. Returns -1 with errno set.
int visdrop_get_lease(int fd);

/// renameat2(from_dir, from, to_dir, to, RENAME_NOREPLACE): rename unless `to` exists (EEXIST).
/// Returns 0 or -1 with errno set (EINVAL where the file system cannot refuse to replace).
int visdrop_rename_no_replace(int from_dir, const char *from, int to_dir, const char *to);

/// sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE): start writing the file's dirty pages now,
/// without waiting, so a later fdatasync finds them written. Returns 0 or -1 with errno set.
int visdrop_start_writeback(int fd);

/// pthread_setname_np(pthread_self(), name): name the calling thread (at most 15 bytes are kept).
/// Returns 0 or an error number.
int visdrop_name_this_thread(const char *name);

/// setpriority(PRIO_PROCESS, gettid(), value): the calling thread's nice value (Linux schedules
/// threads apart). Returns 0 or -1 with errno set.
int visdrop_set_this_thread_nice(int value);

/// open(directory, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode): a new file with no name yet, in the
/// file system of `directory`. Returns the descriptor, or -1 with errno set (EOPNOTSUPP, EISDIR or
/// EINVAL where the file system cannot).
int visdrop_open_unnamed(const char *directory, unsigned int mode);

/// linkat(AT_FDCWD, "/proc/self/fd/<fd>", AT_FDCWD, path, AT_SYMLINK_FOLLOW): give the file open
/// at `fd` (from visdrop_open_unnamed) the name `path`, which must not exist. Returns 0 or -1 with
/// errno set.
int visdrop_link_descriptor(int fd, const char *path);

/// statfs(path)'s f_type: the magic number of the file system holding `path` (linux/magic.h).
/// Returns 0 and stores it in *type, or -1 with errno set.
int visdrop_file_system_type(const char *path, unsigned long long *type);

/// flistxattr(fd, NULL, 0): how many bytes the names of the file's extended attributes take (0
/// when it has none). Returns that size, or -1 with errno set.
long visdrop_extended_attribute_names_size(int fd);

/// mallopt(M_MMAP_THRESHOLD, bytes): allocations of at least `bytes` are mapped on their own and
/// given back to the system when freed (fixing the threshold also stops glibc from raising it).
/// Returns 1 on success, 0 on failure.
int visdrop_set_mmap_threshold(int bytes);

#endif
