// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include "vfio/msix.h"

int msix_init(struct msix *m, unsigned int nvec, const struct msix_ops *ops, void *opaque)
{
	if (!nvec || nvec > MSIX_MAX_VECTORS)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->ops = ops;
	m->opaque = opaque;
	m->nvec = nvec;
	for (unsigned int v = 0; v < nvec; v++)
		m->table[v].ctrl = MSIX_VECTOR_MASKED;
	return 0;
}

static bool vector_live(const struct msix *m, unsigned int v)
{
	return (m->ctrl & MSIX_CTRL_ENABLE) && !(m->ctrl & MSIX_CTRL_MASKALL) &&
	       !(m->table[v].ctrl & MSIX_VECTOR_MASKED);
}

/* Tells @ops what changed: MSI-X on or off, or single vectors that went live or quiet. */
static void sync(struct msix *m)
{
	bool want_on = m->ctrl & MSIX_CTRL_ENABLE;
	bool live[MSIX_MAX_VECTORS];

	for (unsigned int v = 0; v < m->nvec; v++)
		live[v] = vector_live(m, v);
	if (want_on != m->enabled) {
		if (want_on)
			m->ops->signal(m->opaque, true, 0, m->nvec, live);
		else
			m->ops->signal(m->opaque, false, 0, 0, live);
		m->enabled = want_on;
		memcpy(m->live, live, sizeof(live));
		return;
	}
	if (!m->enabled)
		return;
	for (unsigned int v = 0; v < m->nvec; v++) {
		if (live[v] != m->live[v]) {
			m->ops->signal(m->opaque, true, v, 1, &live[v]);
			m->live[v] = live[v];
		}
	}
}

uint16_t msix_ctrl_read(const struct msix *m)
{
	return (m->ctrl & (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL)) | (uint16_t)(m->nvec - 1);
}

void msix_ctrl_write(struct msix *m, uint16_t val)
{
	m->ctrl = val & (MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	sync(m);
}

static bool table_access_ok(const struct msix *m, uint64_t off, unsigned int len)
{
	return (len == 4 || len == 8) && !(off % len) && off < (uint64_t)m->nvec * MSIX_ENTRY_SIZE;
}

bool msix_table_read(const struct msix *m, uint64_t off, void *data, unsigned int len)
{
	if (off >= (uint64_t)m->nvec * MSIX_ENTRY_SIZE)
		return false;
	if (!table_access_ok(m, off, len))
		memset(data, 0xff, len);
	else
		memcpy(data, (const uint8_t *)m->table + off, len);
	return true;
}

bool msix_table_write(struct msix *m, uint64_t off, const void *data, unsigned int len)
{
	unsigned int v = off / MSIX_ENTRY_SIZE;

	if (off >= (uint64_t)m->nvec * MSIX_ENTRY_SIZE)
		return false;
	if (!table_access_ok(m, off, len))
		return true;
	memcpy((uint8_t *)m->table + off, data, len);
	m->table[v].ctrl &= MSIX_VECTOR_MASKED; /* the other bits are reserved */
	/*
	 * Re-route on every address or data write: the guest changes them while the vector is
	 * masked (as the spec asks) or, as Linux does on x86, while live, one dword at a time.
	 */
	if (off % MSIX_ENTRY_SIZE < 12)
		m->ops->route(m->opaque, v,
			      (uint64_t)m->table[v].addr_hi << 32 | m->table[v].addr_lo,
			      m->table[v].data);
	sync(m);
	return true;
}

void msix_reset(struct msix *m)
{
	m->ctrl = 0;
	for (unsigned int v = 0; v < m->nvec; v++)
		m->table[v] = (typeof(m->table[v])){ .ctrl = MSIX_VECTOR_MASKED };
	sync(m);
}
