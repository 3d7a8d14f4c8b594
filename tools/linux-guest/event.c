// SPDX-License-Identifier: GPL-2.0
/* Fault events from the eventq: logged, counted, and the buffer given back to the device. */
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "nvi.h"

static int post_event(struct nvi_dev *nvi, struct virtio_iommu_fault *evt)
{
	struct scatterlist sg;

	sg_init_one(&sg, evt, sizeof(*evt));
	return virtqueue_add_inbuf(nvi->eventq, &sg, 1, evt, GFP_ATOMIC);
}

int nvi_events_init(struct nvi_dev *nvi)
{
	unsigned int n = nvi->eventq->num_free;
	int ret;

	nvi->events = devm_kcalloc(nvi->dev, n, sizeof(*nvi->events), GFP_KERNEL);
	if (!nvi->events)
		return -ENOMEM;
	nvi->nr_events = n;
	for (unsigned int i = 0; i < n; i++) {
		ret = post_event(nvi, &nvi->events[i]);
		if (ret)
			return ret;
	}
	virtqueue_kick(nvi->eventq);
	return 0;
}

static const char *reason_name(u8 reason)
{
	switch (reason) {
	case VIRTIO_IOMMU_FAULT_R_DOMAIN:
		return "no domain";
	case VIRTIO_IOMMU_FAULT_R_MAPPING:
		return "no mapping";
	default:
		return "unknown reason";
	}
}

static void log_fault(struct nvi_dev *nvi, const struct virtio_iommu_fault *f)
{
	u32 flags = le32_to_cpu(f->flags);

	nvi_count(nvi, NVI_FAULTS);
	dev_err_ratelimited(nvi->dev, "fault: endpoint %#x, %s%s%s, address %s%#llx: %s\n",
			    le32_to_cpu(f->endpoint), flags & VIRTIO_IOMMU_FAULT_F_READ ? "R" : "",
			    flags & VIRTIO_IOMMU_FAULT_F_WRITE ? "W" : "",
			    flags & VIRTIO_IOMMU_FAULT_F_EXEC ? "X" : "",
			    flags & VIRTIO_IOMMU_FAULT_F_ADDRESS ? "" : "(not valid) ",
			    le64_to_cpu(f->address), reason_name(f->reason));
}

void nvi_event_handler(struct virtqueue *vq)
{
	struct nvi_dev *nvi = vq->vdev->priv;
	struct virtio_iommu_fault *evt;
	unsigned int len;

	while ((evt = virtqueue_get_buf(vq, &len))) {
		if (len < sizeof(*evt))
			dev_err_ratelimited(nvi->dev, "eventq: a %u-byte event, %zu expected\n",
					    len, sizeof(*evt));
		else
			log_fault(nvi, evt);
		memset(evt, 0, sizeof(*evt));
		if (post_event(nvi, evt))
			dev_err_ratelimited(nvi->dev, "eventq: cannot give a buffer back\n");
	}
	virtqueue_kick(vq);
}
