/* Shared by the hostile programs: the symbolic name of an errno value ("ENOENT"), which
 * is what their output contract prints and the integration tests match. */
#ifndef CODECANVAS_HOSTILE_H
#define CODECANVAS_HOSTILE_H

#include <string.h>

static inline const char *errName(int e)
{
    const char *n = strerrorname_np(e);
    return n != NULL ? n : "E?";
}

#endif
