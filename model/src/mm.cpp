#include "mmspec/mm.hpp"

#include "mmspec/accounting.hpp"

namespace mmspec {

InodeId World::create_inode(std::uint64_t size, std::string path, bool shmem) {
  Inode i;
  i.id = static_cast<InodeId>(inodes.size() + 1);
  i.size = size;
  i.path = std::move(path);
  i.shmem = shmem;
  i.ino = next_shmem_ino++;
  inodes.push_back(std::move(i));
  return inodes.back().id;
}

FileId World::open(InodeId inode, bool readable, bool writable) {
  OpenFile f;
  f.id = static_cast<FileId>(files.size() + 1);
  f.inode = inode;
  f.readable = readable;
  f.writable = writable;
  files.push_back(f);
  return f.id;
}

const OpenFile* World::file(FileId id) const {
  return id >= 1 && id <= files.size() ? &files[id - 1] : nullptr;
}

const Inode* World::inode(InodeId id) const {
  return id >= 1 && id <= inodes.size() ? &inodes[id - 1] : nullptr;
}

const Inode* World::inode_of(FileId id) const {
  const OpenFile* f = file(id);
  return f ? inode(f->inode) : nullptr;
}

Mm::Mm(const MmConfig& c, std::shared_ptr<World> w)
    : cfg(c),
      world(w ? std::move(w) : std::make_shared<World>()),
      // The maxima of the searches the profile runs (maple_tree() below).
      vmas(c.layout.stack_guard_gap,
           c.profile != Profile::linux_5_10 ? GapKinds::maple : GapKinds::classic),
      layout(arch_pick_mmap_layout(c.layout)) {}

Vma* Mm::import_vma(const Vma& v) {
  if (v.vm_start >= v.vm_end || vmas.find_vma_intersection(v.vm_start, v.vm_end)) return nullptr;
  Vma* n = vmas.insert(v);
  map_count++;
  vm_stat_account(*this, v.vm_flags, static_cast<std::int64_t>(v.npages()));
  if (v.vm_flags & VM_LOCKED) locked_vm += v.npages();
  if (v.vm_flags & VM_ACCOUNT) world->committed += v.npages();  // as charged when it was made
  return n;
}

}  // namespace mmspec
