/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NESTVM_SHADOW_IOMMUFD_H
#define NESTVM_SHADOW_IOMMUFD_H

#include "backend_shadow.h"

/* The shadow backend's ops on a real iommufd; the context is a pointer to the fd. */
extern const struct shadow_iommufd_ops shadow_iommufd_real;

#endif
