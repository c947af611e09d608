#include <inotifytools/inotifytools.h>
#include <inotifytools/inotify.h>

/* The event's name is a flexible array member, which Swift does not import. */
static inline const char *visdrop_inotify_event_name(const struct inotify_event *event) {
    return event->len > 0 ? event->name : "";
}
