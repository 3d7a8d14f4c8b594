// SPDX-License-Identifier: GPL-2.0
/*
 * The machine's devices: the legacy ones and the PCI host bridge, the virtio-mmio windows
 * (slot, interrupt, DMA view), the virtio-iommu, the virtio devices, and the routing of their
 * queue notifications (ioeventfds for the io loop, the invalq thread).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_mmio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "machine_internal.h"
#include "util.h"

int machine_add_devices(struct machine *m)
{
	struct vm *vm = &m->vm;
	int ret;

	serial_init(&m->com1, STDOUT_FILENO, &vm->irq, COM1_IRQ);
	rtc_init(&m->rtc, NULL);
	i8042_init(&m->kbc, &vm->ctl);
	acpi_pm_init(&m->pm, &vm->ctl, ACPI_S5_SLEEP_TYPE, ACPI_RESET_VALUE);
	pvpanic_init(&m->pvpanic, &vm->ctl);
	pci_host_init(&m->pci);
	m->devices_ready = true;

	ret = serial_attach(&vm->pio, COM1_PORT, &m->com1);
	if (!ret)
		ret = rtc_attach(&vm->pio, &m->rtc);
	if (!ret)
		ret = i8042_attach(&vm->pio, &m->kbc);
	if (!ret)
		ret = acpi_pm_attach(&vm->pio, &m->pm);
	if (!ret)
		ret = pvpanic_attach(&vm->pio, &m->pvpanic);
	if (!ret)
		ret = pci_host_attach(&m->pci, &vm->pio, &vm->mmio, PCI_ECAM_GPA);
	if (ret)
		pr_err("cannot place the legacy devices and the PCI host bridge on the buses: %s",
		       strerror(-ret));
	return ret;
}

/* The interrupt line of the virtio device in the window last handed out. */
static struct irq_sink *virtio_irq(struct machine *m)
{
	return &m->virtio_irqs[m->nvirtio - 1].sink;
}

/* The next virtio-mmio window and interrupt, described to the guest as an ACPI device. */
static int virtio_slot(struct machine *m, uint64_t *base, unsigned int *gsi)
{
	unsigned int i = m->nvirtio;
	struct acpi_device_desc *d = &m->virtio_desc[m->nacpi];

	if (i == VIRTIO_GSI_COUNT) {
		pr_err("too many virtio devices (at most %d)", VIRTIO_GSI_COUNT);
		return -ENOSPC;
	}
	*base = VIRTIO_MMIO_GPA + i * VIRTIO_MMIO_STRIDE;
	*gsi = VIRTIO_GSI_BASE + i;
	snprintf(m->acpi_names[i], sizeof(m->acpi_names[i]), "VR%02u", i);
	*d = (struct acpi_device_desc){
		.name = m->acpi_names[i],
		.hid = "LNRO0005",
		.uid = i,
		.mmio_base = *base,
		.mmio_size = VIRTIO_MMIO_STRIDE,
		.irq = *gsi,
		.irq_level = false, /* edge: an irqfd pulse per interrupt (see vm_irqfd_sink) */
	};
	m->nvirtio++;
	m->nacpi++;
	return vm_irqfd_sink_init(&m->vm, &m->virtio_irqs[i], *gsi);
}

/*
 * The DMA view of the device in the window at @base: guest-physical without a vIOMMU, else
 * translated for its endpoint (numbered by window, and listed in the VIOT).
 */
static const struct dma_space *device_dma(struct machine *m, uint64_t base)
{
	unsigned int slot = (base - VIRTIO_MMIO_GPA) / VIRTIO_MMIO_STRIDE;
	struct viommu_endpoint *ep;

	if (!m->viommu)
		return &m->dma;
	ep = viommu_add_endpoint(m->viommu, slot, VIOMMU_EP_EMULATED, NULL);
	if (!ep)
		return NULL;
	m->viot_endpoints[m->nviot++] = (struct acpi_viot_mmio_endpoint){ slot, base };
	m->dmas[slot] = viommu_endpoint_dma(ep, &m->vm.mem);
	return &m->dmas[slot];
}

/* Where the next virtio device goes: its window, interrupt and DMA view. */
struct virtio_window {
	uint64_t base;
	unsigned int gsi;
	struct irq_sink *irq;
	const struct dma_space *dma;
};

static int virtio_window_next(struct machine *m, struct virtio_window *w)
{
	int ret = virtio_slot(m, &w->base, &w->gsi);

	if (ret)
		return ret;
	w->irq = virtio_irq(m);
	w->dma = device_dma(m, w->base);
	return w->dma ? 0 : -ENOMEM;
}

/* Puts the device, initialised for @w, in its window on the MMIO bus. */
static int virtio_window_fill(struct machine *m, const struct virtio_window *w,
			      struct virtio_mmio_dev *dev, const char *name)
{
	m->virtio_devs[m->nvirtio - 1] = dev;
	return virtio_mmio_attach(&m->vm.mmio, w->base, dev, name);
}

/* The vIOMMU takes the first window; its own DMA (its queues) is not translated. */
static int machine_add_viommu(struct machine *m)
{
	struct viommu_params params;
	struct virtio_window w;
	int ret = virtio_window_next(m, &w);

	if (ret)
		return ret;
	viommu_default_params(&params);
	/* Its own emulated backend serves the virtio devices: mappings, or guest tables. */
	m->viommu = viommu_create(&params, &m->vm.mem);
	if (!m->viommu) {
		pr_err("virtio-iommu: out of memory");
		return -ENOMEM;
	}
	viommu_virtio_init(&m->viommu_dev, m->viommu, w.dma, w.irq, w.gsi);
	m->has_viommu_dev = true;
	/*
	 * A driver waits for each request (Linux spins on the used ring): serving it on the
	 * vCPU that notified saves waking the io loop (README: tools/bench/viommu and
	 * passthrough). The invalq keeps its own thread.
	 */
	m->viommu_dev.mmio.notify_on_vcpu = true;
	return virtio_window_fill(m, &w, &m->viommu_dev.mmio, "virtio-iommu");
}

static int machine_add_net(struct machine *m, const char *tap, const struct virtio_window *w)
{
	char err[256];
	uint8_t mac[6];
	int fd, ret;

	ret = virtio_net_open_tap(tap, &fd, err, sizeof(err));
	if (ret) {
		pr_err("%s", err);
		return ret;
	}
	virtio_net_default_mac(mac, 0);
	ret = virtio_net_init(&m->net, fd, mac, w->dma, w->irq, w->gsi);
	if (ret) {
		close(fd);
		return ret;
	}
	m->has_net = true;
	return virtio_window_fill(m, w, &m->net.mmio, "virtio-net");
}

int machine_add_virtio(struct machine *m, const struct vm_opts *o)
{
	struct virtio_window w;
	char err[256];
	int ret = 0;

	m->dma = (struct dma_space){ .mem = &m->vm.mem };
	if (o->viommu)
		ret = machine_add_viommu(m);
	for (unsigned int i = 0; i < o->ndisks && !ret; i++) {
		ret = virtio_window_next(m, &w);
		if (ret)
			return ret;
		ret = virtio_blk_init(&m->disks[i], o->disks[i].path, o->disks[i].readonly, w.dma,
				      w.irq, w.gsi, err, sizeof(err));
		if (ret) {
			pr_err("%s", err);
			return ret;
		}
		m->ndisks++;
		ret = virtio_window_fill(m, &w, &m->disks[i].mmio, "virtio-blk");
	}
	if (!ret && o->tap[0]) {
		ret = virtio_window_next(m, &w);
		if (!ret)
			ret = machine_add_net(m, o->tap, &w);
	}
	if (!ret && o->virtio_console) {
		ret = virtio_window_next(m, &w);
		if (!ret) {
			virtio_console_init(&m->vcon, STDOUT_FILENO, w.dma, w.irq, w.gsi);
			m->has_vcon = true;
			ret = virtio_window_fill(m, &w, &m->vcon.mmio, "virtio-console");
		}
	}
	if (!ret && o->rng) {
		ret = virtio_window_next(m, &w);
		if (!ret) {
			virtio_rng_init(&m->rng, w.dma, w.irq, w.gsi);
			m->has_rng = true;
			ret = virtio_window_fill(m, &w, &m->rng.mmio, "virtio-rng");
		}
	}
	return ret;
}

static bool kick_readable(void *opaque, int fd)
{
	struct machine_kick *k = opaque;
	uint64_t count;

	if (read(fd, &count, sizeof(count)) == sizeof(count))
		virtio_mmio_kick(k->dev, k->queue);
	return true;
}

/*
 * Every queue's notification becomes an eventfd KVM signals in the kernel: the vCPU goes
 * straight back to the guest and the io loop does the device work. A device whose work never
 * waits, or whose driver waits for each request (notify_on_vcpu), keeps the exit and serves it
 * on the vCPU thread instead.
 */
int machine_add_kicks(struct machine *m)
{
	struct virtio_mmio_dev **devs = m->virtio_devs;
	int ret;

	for (unsigned int i = 0; i < m->nvirtio; i++) {
		uint64_t notify =
		    VIRTIO_MMIO_GPA + i * VIRTIO_MMIO_STRIDE + VIRTIO_MMIO_QUEUE_NOTIFY;

		for (unsigned int q = 0; q < devs[i]->ops->num_queues; q++) {
			struct machine_kick *k = &m->kicks[m->nkicks];

			if (devs[i] == &m->viommu_dev.mmio && q == VIRTIO_IOMMU_INVALQ)
				continue; /* machine_add_invalq() */
			if (devs[i]->notify_on_vcpu)
				continue;
			if (m->nkicks == ARRAY_SIZE(m->kicks)) {
				pr_err("virtio: more queues than notification eventfds (%zu)",
				       ARRAY_SIZE(m->kicks));
				return -ENOSPC;
			}
			k->dev = devs[i];
			k->queue = q;
			k->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			ret = k->fd < 0 ? -errno : 0;
			if (!ret) {
				m->nkicks++;
				ret = vm_add_ioeventfd(&m->vm, notify, q, k->fd);
			}
			if (!ret)
				ret = ioloop_watch(&m->loop, k->fd, kick_readable, k);
			if (ret) {
				pr_err(
				    "virtio: cannot route queue notifications through an ioeventfd: %s",
				    strerror(-ret));
				return ret;
			}
		}
	}
	return 0;
}

/* The invalq thread, on the ioeventfd of the vIOMMU's QueueNotify with value 2. */
int machine_add_invalq(struct machine *m)
{
	const char *env = getenv(INVALQ_ENV);
	struct invalq_opts opts;
	unsigned int slot = 0;
	uint64_t notify;
	char err[256];
	int ret;

	while (m->virtio_devs[slot] != &m->viommu_dev.mmio)
		slot++;
	notify = VIRTIO_MMIO_GPA + slot * VIRTIO_MMIO_STRIDE + VIRTIO_MMIO_QUEUE_NOTIFY;
	/* A busy-poll window pays only when the thread need not take a vCPU's place. */
	invalq_default_opts(&opts, sysconf(_SC_NPROCESSORS_ONLN) > (long)m->vm.ncpus);
	if (env && invalq_parse_opts(&opts, env, err, sizeof(err))) {
		pr_err("%s", err);
		return -EINVAL;
	}
	m->invalq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->invalq_fd < 0)
		return -errno;
	ret = vm_add_ioeventfd(&m->vm, notify, VIRTIO_IOMMU_INVALQ, m->invalq_fd);
	if (ret) {
		pr_err("virtio-iommu: cannot route invalq notifications through an ioeventfd: %s",
		       strerror(-ret));
		return ret;
	}
	viommu_virtio_set_invalq_fd(&m->viommu_dev, m->invalq_fd);
	return invalq_start(&m->invalq, &m->viommu_dev, m->invalq_fd, &opts, &m->vm.ctl);
}
