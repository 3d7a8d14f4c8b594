/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test-only fault injection: makes chosen iommufd, VFIO and KVM calls fail, to exercise the
 * error paths behind them. Read once at start from $NESTVM_FAULT:
 *
 *   NESTVM_FAULT=OP:ERRNO[:after=N][:times=M][,OP:ERRNO...]
 *
 * OP names a call (fault_op_names); ERRNO is a name (EIO) or a number. The first N calls of
 * OP succeed (default 0), the next M fail with ERRNO (default 0: all the rest), and each
 * injected failure is logged as a warning. The wrappers ask fault_inject() before the real
 * call; with the variable unset that is one predictable branch.
 */
#ifndef NESTVM_FAULT_INJECT_H
#define NESTVM_FAULT_INJECT_H

#include <stdbool.h>
#include <stddef.h>

#define FAULT_ENV "NESTVM_FAULT"

enum fault_op {
	FAULT_IOAS_ALLOC,
	FAULT_IOAS_MAP,
	FAULT_IOAS_UNMAP,
	FAULT_HWPT_ALLOC, /* a paging HWPT that is not a nesting parent */
	FAULT_NEST_PARENT, /* IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_NEST_PARENT */
	FAULT_HWPT_NESTED, /* a nested (stage-1) HWPT */
	FAULT_HWPT_INVALIDATE,
	FAULT_GET_HW_INFO,
	FAULT_VFIO_REGION_READ,
	FAULT_VFIO_REGION_WRITE,
	FAULT_VFIO_SET_IRQS,
	FAULT_KVM_IRQFD,
	FAULT_KVM_GSI_ROUTING,
	FAULT_IOLOOP_ENTER, /* the io loop thread's io_uring_enter (its wait) */
	FAULT_INVALQ_ENTER, /* the invalq thread's io_uring_enter (its wait) */
	FAULT_VIOMMU_ATTACH_TABLE, /* the model refuses a valid ATTACH_TABLE (its errno's status) */
	FAULT_VIOMMU_INVALIDATE, /* the model fails a valid INVALIDATE: IOERR */
	/* PROBE's TABLE_FORMAT: ENOENT leaves it out, any other errno names an unknown format */
	FAULT_VIOMMU_TABLE_FORMAT,
	/* each time the device serves a request queue (a requestq notify, an invalq batch pop,
	 * empty ones included): it sets DEVICE_NEEDS_RESET and serves no queue until reset */
	FAULT_VIOMMU_NEEDS_RESET,
	FAULT_NOPS
};

extern const char *const fault_op_names[FAULT_NOPS];
extern bool fault_inject_active;

/*
 * Replaces the rules with those of @spec (NULL or "" clears them). On bad syntax returns
 * -EINVAL, leaves no rule active and words the error in @err, naming the allowed ops.
 */
int fault_inject_parse(const char *spec, char *err, size_t errlen);

/* fault_inject_parse() of $NESTVM_FAULT; logs the rules it took. */
int fault_inject_init_from_env(char *err, size_t errlen);

int fault_inject_fire(enum fault_op op);

/* 0, or the negative errno the call named by @op must fail with now (counted as a call). */
static inline int fault_inject(enum fault_op op)
{
	if (__builtin_expect(!fault_inject_active, 1))
		return 0;
	return fault_inject_fire(op);
}

#endif
