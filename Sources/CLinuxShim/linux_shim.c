#define _GNU_SOURCE
#include <fcntl.h>

#include "linux_shim.h"

int visdrop_start_writeback(int fd) { return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); }

int visdrop_set_lease(int fd, int type) { return fcntl(fd, F_SETLEASE, type); }
