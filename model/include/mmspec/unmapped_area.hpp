// get_unmapped_area: where a mapping goes.
//
//   MAP_FIXED            the address as given (bounds, alignment and mmap_min_addr checks only)
//   hint (addr != 0)     used if [addr, addr+len) fits below the next VMA's guard gap
//   otherwise            top-down search below mmap_base (bottom-up from the legacy base in
//                        legacy layout or as the fallback), over the VMA tree's subtree gaps
//   6.18, anonymous, no hint, len a multiple of 2 MiB: THP alignment (padded search)
// Every search is O(log n) in the number of VMAs (VmaTree::unmapped_area*).
#pragma once

#include "mmspec/mm.hpp"

namespace mmspec {

// mm/mmap.c get_unmapped_area (v5.15), __get_unmapped_area (v6.18). `file` = 0 for anonymous.
// Returns the address or -errno (ENOMEM, EINVAL for an unaligned fixed address, EPERM below
// vm.mmap_min_addr without CAP_SYS_RAWIO).
SysRet get_unmapped_area(Mm& mm, FileId file, Addr addr, std::uint64_t len, PgOff pgoff,
                         int flags, VmFlags vm_flags);

// arch/x86/mm/mmap.c mmap_address_hint_valid (v5.15, v6.18)
bool mmap_address_hint_valid(const Mm& mm, Addr addr, std::uint64_t len);

}  // namespace mmspec
