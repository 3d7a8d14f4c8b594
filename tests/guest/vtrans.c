// SPDX-License-Identifier: GPL-2.0
#include <linux/virtio_mmio.h>

#include "lib.h"
#include "vtrans.h"

bool vtrans_find(uint32_t virtio_id, struct vtrans *t)
{
	memset(t, 0, sizeof(*t));
	if (vmmio_find(virtio_id, 0, &t->mmio)) {
		t->kind = VTRANS_MMIO;
		return true;
	}
	t->kind = VTRANS_PCI;
	return vpci_find(virtio_id, &t->pci);
}

uint32_t vtrans_config32(const struct vtrans *t, unsigned int offset)
{
	return t->kind == VTRANS_PCI ? vpci_config32(&t->pci, offset)
				     : vmmio_config32(&t->mmio, offset);
}

uint64_t vtrans_config64(const struct vtrans *t, unsigned int offset)
{
	return t->kind == VTRANS_PCI ? vpci_config64(&t->pci, offset)
				     : vmmio_config64(&t->mmio, offset);
}

uint32_t vtrans_status(const struct vtrans *t)
{
	return t->kind == VTRANS_PCI ? vpci_status(&t->pci) : vmmio_status(&t->mmio);
}

void vtrans_reset(const struct vtrans *t)
{
	if (t->kind == VTRANS_PCI)
		vpci_reset(&t->pci);
	else
		vmmio_reset(&t->mmio);
}

uint64_t vtrans_device_features(const struct vtrans *t)
{
	return t->kind == VTRANS_PCI ? vpci_device_features(&t->pci)
				     : vmmio_device_features(&t->mmio);
}

bool vtrans_negotiate(const struct vtrans *t, uint64_t features)
{
	return t->kind == VTRANS_PCI ? vpci_negotiate(&t->pci, features)
				     : vmmio_negotiate(&t->mmio, features);
}

uint32_t vtrans_queue_max(const struct vtrans *t, unsigned int index)
{
	return t->kind == VTRANS_PCI ? vpci_queue_max(&t->pci, index)
				     : vmmio_queue_max(&t->mmio, index);
}

bool vtrans_queue_setup(struct vtrans *t, unsigned int index, const struct virtq *vq)
{
	return t->kind == VTRANS_PCI ? vpci_queue_setup(&t->pci, index, vq)
				     : vmmio_queue_setup(&t->mmio, index, vq);
}

void vtrans_driver_ok(const struct vtrans *t)
{
	if (t->kind == VTRANS_PCI)
		vpci_driver_ok(&t->pci);
	else
		vmmio_driver_ok(&t->mmio);
}

uint32_t vtrans_probe_read(const struct vtrans *t)
{
	return t->kind == VTRANS_PCI ? vpci_probe_read(&t->pci)
				     : vmmio_read(&t->mmio, VIRTIO_MMIO_MAGIC_VALUE);
}

const char *vtrans_probe_name(const struct vtrans *t)
{
	return t->kind == VTRANS_PCI ? "(read num_queues)" : "(read MagicValue)";
}

void vtrans_notify(const struct vtrans *t, unsigned int index)
{
	if (t->kind == VTRANS_PCI)
		vpci_notify(&t->pci, index);
	else
		vmmio_write(&t->mmio, VIRTIO_MMIO_QUEUE_NOTIFY, index);
}

void vtrans_kick(const struct vtrans *t, unsigned int index, struct virtq *vq)
{
	if (t->kind == VTRANS_PCI)
		vpci_kick(&t->pci, index, vq);
	else
		vmmio_kick(&t->mmio, index, vq);
}
