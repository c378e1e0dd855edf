/* eggstub: a minimal Multiboot (v1) loader for Go-built ELF64 kernels.
 *
 * QEMU's -kernel only boots 32-bit Multiboot ELFs, so this stub is the kernel and the Go ELF
 * rides along as the first module (-initrd).  stub.c copies the module's PT_LOAD segments and
 * builds page tables; this file switches to long mode and jumps to the ELF entry with the CPU
 * as bare as a real firmware hand-off: SSE off (CR4.OSFXSR = 0), FS/GS base 0, IF = 0 and an
 * IDT of limit 0, so that the kernel's first exception triple-faults and QEMU's -d int log
 * records it.
 */
        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0x00000003           /* page-aligned modules, memory info */

        .section .multiboot, "a"
        .align 4
        .long MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        .text
        .code32
        .globl _start
_start:
        cli
        cld
        mov $stack_top, %esp
        push %ebx                           /* multiboot info */
        push %eax                           /* multiboot magic */
        call stub_main                      /* loads the ELF or exits QEMU with an error */
        add $8, %esp

        /* Long mode: PAE, CR3, EFER.LME, then paging.  Keep SSE off explicitly. */
        mov %cr4, %eax
        and $~0x600, %eax                   /* OSFXSR | OSXMMEXCPT off */
        or $0x20, %eax                      /* PAE */
        mov %eax, %cr4
        mov $pml4, %eax
        mov %eax, %cr3
        mov $0xC0000080, %ecx               /* EFER */
        rdmsr
        or $0x100, %eax                     /* LME */
        wrmsr
        mov %cr0, %eax
        or $0x80000001, %eax                /* PG | PE; EM/MP/TS left as reset */
        mov %eax, %cr0
        lgdt gdt_ptr
        ljmp $0x08, $long_mode

        .code64
long_mode:
        mov $0x10, %eax
        mov %eax, %ds
        mov %eax, %es
        mov %eax, %ss
        xor %eax, %eax
        mov %eax, %fs
        mov %eax, %gs
        /* Loading a null selector leaves the hidden base alone: zero FS and GS bases by MSR. */
        xor %edx, %edx
        mov $0xC0000100, %ecx
        wrmsr
        mov $0xC0000101, %ecx
        wrmsr
        /* Absolute addresses via `mov $sym, %e..` (zero-extended imm32): an ELF32 object
         * cannot carry the sign-extended disp32 relocations of 64-bit memory operands. */
        mov $idt_null, %eax
        lidt (%rax)                         /* limit 0: every exception triple-faults */
        mov $stack_top, %esp                /* fresh stack */
        mov $boot_magic, %eax               /* kernel may look: RSI = magic, RDI = info */
        mov (%rax), %esi
        mov $boot_info, %eax
        mov (%rax), %edi
        mov $kernel_entry, %eax
        mov (%rax), %rax
        xor %ebx, %ebx
        xor %ecx, %ecx
        xor %edx, %edx
        xor %ebp, %ebp
        push $0                             /* fake return address: RSP % 16 == 8 */
        jmp *%rax

        .section .rodata
        .align 16
gdt:
        .quad 0
        .quad 0x00AF9A000000FFFF            /* 0x08: 64-bit code, DPL 0 */
        .quad 0x00CF92000000FFFF            /* 0x10: data, DPL 0 */
gdt_end:
        .align 4
gdt_ptr:
        .word gdt_end - gdt - 1
        .long gdt
idt_null:
        .word 0
        .quad 0

        .bss
        .align 4096
stack:
        .skip 16384
stack_top:

        .section .note.GNU-stack, "", @progbits
