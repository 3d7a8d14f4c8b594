/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NESTVM_UTIL_H
#define NESTVM_UTIL_H

#include <stddef.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

/*
 * For functions that explain their failure in a caller's buffer: formats the one-line reason
 * into @err and returns @ret, so "return errmsg(err, len, -EINVAL, ...)" reads as one step.
 */
int errmsg(char *err, size_t errlen, int ret, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
