#ifndef VISDROP_LINUX_SHIM_H
#define VISDROP_LINUX_SHIM_H

/// Linux calls Glibc declares only under _GNU_SOURCE, which Swift's Glibc module does not set.

/// fcntl(fd, F_SETLEASE, type) with type F_RDLCK (0) or F_UNLCK (2). Returns 0 or -1 with errno set.
int visdrop_set_lease(int fd, int type);

#endif
