#define _GNU_SOURCE
#include <fcntl.h>

#include "linux_shim.h"

int visdrop_set_lease(int fd, int type) { return fcntl(fd, F_SETLEASE, type); }
