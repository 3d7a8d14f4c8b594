// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the layout of every uAPI definition listed in uapi.def. Built twice: against our
 * compat header (-DUSE_COMPAT) and against the real 6.12 headers; the two outputs must match.
 */
#include <stddef.h>
#include <stdio.h>

#ifdef USE_COMPAT
#include "iommu/uapi_compat.h"
#else
#include <linux/iommufd.h>
#include <linux/vfio.h>
#include "iommufd_test.h"
#endif

#define SIZE(s) printf("sizeof(struct %s) = %zu\n", #s, sizeof(struct s));
#define FIELD(s, f)                                                                  \
	printf("struct %s.%s: offset %zu size %zu\n", #s, #f, offsetof(struct s, f), \
	       sizeof(((struct s *)0)->f));
#define CONST(c) printf("%s = %#llx\n", #c, (unsigned long long)(c));

int main(void)
{
#include "uapi.def"
	return 0;
}
