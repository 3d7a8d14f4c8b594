// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio_cmdline.h"

/* "virtio_mmio.device=0x200@0xd0000000:16 ": prefix, two 64-bit hex numbers, an irq. */
#define DEV_PARAM_MAX 80

/*
 * The devices go first: whatever follows a bare "--" in the user's command line is init's,
 * not the kernel's, so appending could hand them to init.
 */
char *virtio_cmdline_build(const char *cmdline, const struct virtio_cmdline_dev *devs,
			   unsigned int n)
{
	size_t size = (size_t)n * DEV_PARAM_MAX + strlen(cmdline) + 1, len = 0;
	char *out = malloc(size);

	if (!out)
		return NULL;
	for (unsigned int i = 0; i < n; i++)
		len += snprintf(out + len, size - len, "virtio_mmio.device=%#llx@%#llx:%u ",
				(unsigned long long)devs[i].size, (unsigned long long)devs[i].base,
				devs[i].irq);
	snprintf(out + len, size - len, "%s", cmdline);
	return out;
}
