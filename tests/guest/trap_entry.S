/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The payload's exception vectors 0-31 (trap.c installs them). Each stub makes the frame the
 * same shape, an error code (0 where the CPU pushes none) and the vector, then calls
 * trap_report(frame), which says where it happened and powers off. Interrupts stay off, so
 * only exceptions and NMIs arrive here.
 */
	.section .text
	.code64

/* Vectors for which the CPU pushes an error code itself: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX. */
#define HAS_ERROR(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.macro stub vec
	.balign 16
trap_stub_\vec:
	.if !HAS_ERROR(\vec)
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
	.endm

	.globl trap_stubs
	.balign 16
trap_stubs:
	.irp v, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
	stub \v
	.endr

trap_common:
	/* The frame trap_report reads: vector, error code, then the CPU's rip, cs, rflags, rsp, ss. */
	cld
	mov %rsp, %rdi
	and $-16, %rsp
	call trap_report
1:	cli
	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
