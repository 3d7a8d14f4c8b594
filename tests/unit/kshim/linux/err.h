/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KSHIM_LINUX_ERR_H
#define KSHIM_LINUX_ERR_H
#include <errno.h>
#include <stdbool.h>
#define ERR_PTR(e) ((void *)(long)(e))
#define PTR_ERR(p) ((long)(p))
#define IS_ERR(p) ((unsigned long)(p) >= (unsigned long)-4095)
#endif
