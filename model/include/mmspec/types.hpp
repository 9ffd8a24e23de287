// Basic vocabulary of the model: addresses, pages, kernel return values, profiles.
//
// A system call in the model returns a SysRet exactly as the kernel does: a non-negative value
// on success, -errno on failure (errno values are Linux's, taken from <cerrno> on Linux).
#pragma once

#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mmspec {

using Addr = std::uint64_t;
using PgOff = std::uint64_t;
using SysRet = std::int64_t;

inline constexpr unsigned PAGE_SHIFT = 12;
inline constexpr Addr PAGE_SIZE = Addr{1} << PAGE_SHIFT;
inline constexpr Addr PAGE_MASK = ~(PAGE_SIZE - 1);
inline constexpr Addr PMD_SIZE = Addr{1} << 21;

constexpr Addr page_align(Addr a) { return (a + PAGE_SIZE - 1) & PAGE_MASK; }
constexpr bool page_aligned(Addr a) { return (a & (PAGE_SIZE - 1)) == 0; }
constexpr Addr pages(Addr bytes) { return bytes >> PAGE_SHIFT; }

constexpr bool is_err(SysRet r) { return r < 0 && r >= -4095; }
constexpr SysRet err(int e) { return -static_cast<SysRet>(e); }

// Kernel generations the model can follow. The classic structure (vma_merge with cases 1..8,
// __vma_adjust, rb_subtree_gap) is linux-5.10; linux-6.1 keeps vma_merge and __vma_adjust but
// keeps the VMAs in the maple tree; linux-6.18 follows mm/vma.c.
enum class Profile { linux_5_10, linux_6_1, linux_6_18 };
inline constexpr Profile all_profiles[] = {Profile::linux_5_10, Profile::linux_6_1,
                                           Profile::linux_6_18};

inline constexpr Profile default_profile = Profile::linux_6_18;

std::string_view profile_name(Profile p);
std::optional<Profile> parse_profile(std::string_view name);

}  // namespace mmspec
