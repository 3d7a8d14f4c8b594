/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PVH entry of the guest payloads: nestvm starts us in flat 32-bit protected mode, paging
 * off, %ebx = the hvm_start_info. We identity-map the first 4 GiB with 2 MiB pages (so the
 * MMIO hole with the virtio-mmio windows is reachable), enter long mode and call
 * guest_main(start_info) on our own stack. Interrupts stay off: the drivers poll.
 */
#define CR0_PE 0x1
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080
#define EFER_LME 0x100
#define PTE_P 0x1
#define PTE_RW 0x2
#define PTE_PS 0x80
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a", @note
	.balign 4
	.long 4 /* name size: "Xen\0" */
	.long 8 /* descriptor size: the entry address, 64 bits as Linux has it (QEMU reads 8) */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.quad pvh_entry

	.section .text.entry, "ax"
	.code32
	.globl pvh_entry
pvh_entry:
	cld
	mov %ebx, %esi /* kept for guest_main; nothing below touches %esi */
	mov $stack_top, %esp

	/* Four page directories, 2048 entries of 2 MiB: entry i maps i << 21. */
	mov $boot_pd, %edi
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $(PTE_P | PTE_RW | PTE_PS), %eax
	mov %eax, (%edi, %ecx, 8)
	movl $0, 4(%edi, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jne 1b

	/* The PDPT points at the four directories, the PML4 at the PDPT. */
	mov $boot_pdpt, %edi
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $12, %eax
	add $(boot_pd + PTE_P + PTE_RW), %eax
	mov %eax, (%edi, %ecx, 8)
	movl $0, 4(%edi, %ecx, 8)
	inc %ecx
	cmp $4, %ecx
	jne 2b
	movl $(boot_pdpt + PTE_P + PTE_RW), boot_pml4
	movl $0, boot_pml4 + 4

	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	mov %cr0, %eax
	or $(CR0_PG | CR0_PE), %eax
	mov %eax, %cr0

	lgdt gdt_desc
	ljmp $0x08, $long_entry

	.code64
long_entry:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	mov $stack_top, %rsp
	mov %esi, %edi
	call guest_main
3:	cli
	hlt
	jmp 3b

	.section .rodata
	.balign 8
gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt

	.section .bss
	.balign 4096
	.globl boot_pml4, boot_pdpt, boot_pd /* checked by selfcheck.c */
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
	.balign 16
stack:
	.skip 64 * 1024
stack_top:

	.section .note.GNU-stack, "", @progbits
