/* eggstub, C half: find the Go ELF64 module, copy its PT_LOAD segments to their physical
 * addresses and identity-map the first 1 GiB with 2 MiB pages.  Errors are printed on COM1
 * ("eggstub: error: ...") and end QEMU through isa-debug-exit with code 0x7f (status 255).
 */
#include <stdint.h>

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_INFO_MODS (1u << 3)
#define GiB 0x40000000ull
/* The module is first moved here so that copying segments cannot overwrite its own bytes. */
#define STAGING 0x04000000u

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
};
struct mb_module {
    uint32_t mod_start, mod_end, string, reserved;
};
typedef struct {
    unsigned char e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;
typedef struct {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;
/* i386 aligns uint64_t to 4 in structs; the ELF64 layouts happen to need no padding anyway. */
_Static_assert(sizeof(Elf64_Ehdr) == 64, "Elf64_Ehdr layout");
_Static_assert(sizeof(Elf64_Phdr) == 56, "Elf64_Phdr layout");

uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));
uint64_t kernel_entry;
uint32_t boot_magic, boot_info;
extern char _start[], _end[];

static inline void outb(uint16_t port, uint8_t v) {
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static void puts(const char *s) {
    for (; *s; s++) outb(COM1, (uint8_t)*s);
}

static void puthex(uint64_t v) {
    puts("0x");
    for (int i = 60; i >= 0; i -= 4) outb(COM1, (uint8_t)"0123456789abcdef"[(v >> i) & 15]);
}

static void __attribute__((noreturn)) fail(const char *why) {
    puts("eggstub: error: ");
    puts(why);
    puts("\n");
    outb(DEBUG_EXIT, 0x7f);
    for (;;) __asm__ volatile("cli; hlt");
}

/* gcc may emit calls to these even with -ffreestanding. */
void *memcpy(void *dst, const void *src, uint32_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, uint32_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

static int overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen) {
    return a < b + blen && b < a + alen;
}

void stub_main(uint32_t magic, struct mb_info *info) {
    boot_magic = magic;
    boot_info = (uint32_t)info;
    if (magic != MB_BOOT_MAGIC) fail("not started by a Multiboot loader");
    if (!(info->flags & MB_INFO_MODS) || info->mods_count < 1)
        fail("no module: pass the Go ELF with -initrd");

    struct mb_module *mod = (struct mb_module *)info->mods_addr;
    uint32_t size = mod->mod_end - mod->mod_start;
    uint64_t ram_top = 0x100000ull + (uint64_t)info->mem_upper * 1024;
    if (mod->mod_end > STAGING) fail("module loaded above the staging area");
    if (STAGING + (uint64_t)size > ram_top) fail("not enough RAM to stage the module");
    unsigned char *elf = (unsigned char *)STAGING;
    memcpy(elf, (void *)mod->mod_start, size);

    Elf64_Ehdr *eh = (Elf64_Ehdr *)elf;
    if (size < sizeof *eh || eh->e_ident[0] != 0x7f || eh->e_ident[1] != 'E' ||
        eh->e_ident[2] != 'L' || eh->e_ident[3] != 'F')
        fail("module is not an ELF file");
    if (eh->e_ident[4] != 2 || eh->e_machine != 62) fail("module is not ELF64 x86-64");
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff + (uint64_t)eh->e_phnum * 56 > size)
        fail("bad program headers");

    uint32_t stub_lo = (uint32_t)_start, stub_len = (uint32_t)_end - stub_lo;
    for (int i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr *ph = (Elf64_Phdr *)(elf + (uint32_t)eh->e_phoff + i * 56);
        if (ph->p_type != 1 /* PT_LOAD */ || ph->p_memsz == 0) continue;
        if (ph->p_filesz > ph->p_memsz || ph->p_offset + ph->p_filesz > size)
            fail("PT_LOAD outside the file");
        if (ph->p_paddr < 0x100000 || ph->p_paddr + ph->p_memsz > GiB)
            fail("PT_LOAD outside [1 MiB, 1 GiB)");
        if (overlaps(ph->p_paddr, ph->p_memsz, stub_lo, stub_len) ||
            overlaps(ph->p_paddr, ph->p_memsz, STAGING, size) ||
            overlaps(ph->p_paddr, ph->p_memsz, (uint32_t)info, 4096))
            fail("PT_LOAD overlaps the stub, the staged module or the boot info");
        unsigned char *dst = (unsigned char *)(uint32_t)ph->p_paddr;
        memcpy(dst, elf + (uint32_t)ph->p_offset, (uint32_t)ph->p_filesz);
        memset(dst + (uint32_t)ph->p_filesz, 0, (uint32_t)(ph->p_memsz - ph->p_filesz));
    }
    if (eh->e_entry >= GiB) fail("entry point above 1 GiB");

    /* Identity map [0, 1 GiB): PML4[0] -> PDPT[0] -> 512 present, writable 2 MiB pages. */
    memset(pml4, 0, sizeof pml4);
    memset(pdpt, 0, sizeof pdpt);
    pml4[0] = (uint32_t)pdpt | 3;
    pdpt[0] = (uint32_t)pd | 3;
    for (uint32_t i = 0; i < 512; i++) pd[i] = ((uint64_t)i << 21) | 0x83;

    kernel_entry = eh->e_entry;
    puts("eggstub: entering kernel at ");
    puthex(kernel_entry);
    puts("\n");
}
