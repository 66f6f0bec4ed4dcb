/*
 * prefault.c - linked into the native multi-call binaries (see docs/native-binaries.md).
 *
 * At every start a NativeAOT binary expands its compressed type data ("rehydration") into its
 * .hydrated section, about 2 MB of zero-filled memory at the end of the writable segment. Touched
 * one page at a time, that is ~500 page faults: measured on the virtual machines Mailseal was
 * built on, 14 us each, about 7 ms of a 18 ms run of mailseal-encrypt. Asking the kernel for
 * those pages in one call (MADV_POPULATE_WRITE, Linux 5.14) costs about 60 % of that. This
 * constructor runs before the .NET runtime starts; on an older kernel the call fails and
 * nothing changes. Only memory the binary already owns is touched.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static int populate_zero_fill(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W) || ph->p_memsz <= ph->p_filesz)
            continue;
        /* The zero-fill part: from the first whole page after the file's bytes to the end. */
        uintptr_t start = (info->dlpi_addr + ph->p_vaddr + ph->p_filesz + page - 1) & ~(page - 1);
        uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        if (end > start)
            (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
    }
    /* The first object is the executable itself: stop there. */
    return 1;
}

__attribute__((constructor)) static void mailseal_prefault(void)
{
    dl_iterate_phdr(populate_zero_fill, NULL);
}
