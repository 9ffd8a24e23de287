#include "mmspec/vm_flags.hpp"

#include <utility>

namespace mmspec {
namespace {

// fs/proc/task_mmu.c show_smap_vma_flags (v6.18): mnemonic per bit, printed in bit order.
constexpr std::pair<VmFlags, const char*> kMnemonics[] = {
    {VM_READ, "rd"},        {VM_WRITE, "wr"},         {VM_EXEC, "ex"},        {VM_SHARED, "sh"},
    {VM_MAYREAD, "mr"},     {VM_MAYWRITE, "mw"},      {VM_MAYEXEC, "me"},     {VM_MAYSHARE, "ms"},
    {VM_GROWSDOWN, "gd"},   {VM_UFFD_MISSING, "um"},  {VM_PFNMAP, "pf"},      {VM_DENYWRITE, "dw"} /* v5.10 */, {VM_UFFD_WP, "uw"},
    {VM_LOCKED, "lo"},      {VM_IO, "io"},            {VM_SEQ_READ, "sr"},    {VM_RAND_READ, "rr"},
    {VM_DONTCOPY, "dc"},    {VM_DONTEXPAND, "de"},    {VM_LOCKONFAULT, "lf"}, {VM_ACCOUNT, "ac"},
    {VM_NORESERVE, "nr"},   {VM_HUGETLB, "ht"},       {VM_SYNC, "sf"},        {VM_ARCH_1, "ar"},
    {VM_WIPEONFORK, "wf"},  {VM_DONTDUMP, "dd"},      {VM_SOFTDIRTY, "sd"},   {VM_MIXEDMAP, "mm"},
    {VM_HUGEPAGE, "hg"},    {VM_NOHUGEPAGE, "nh"},    {VM_MERGEABLE, "mg"},   {VM_DROPPABLE, "dp"},
    {VM_SEALED, "sl"},
};

}  // namespace

std::string vm_flags_mnemonics(VmFlags f, bool lockonfault_named) {
  std::string out;
  for (const auto& [bit, name] : kMnemonics) {
    if (!(f & bit)) continue;
    if (!out.empty()) out += ' ';
    out += bit == VM_LOCKONFAULT && !lockonfault_named ? "??" : name;
  }
  return out;
}

VmFlags vm_flag_from_mnemonic(const std::string& m) {
  for (const auto& [bit, name] : kMnemonics)
    if (m == name) return bit;
  return 0;
}

}  // namespace mmspec
