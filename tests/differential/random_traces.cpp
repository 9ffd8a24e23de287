// mmspec-random-traces: writes COUNT pseudo-random .mmt traces (seed SEED) into DIR, for a
// differential run of the model against a kernel (`mmspec check DIR`, or `--kernel ...`).
//
// The traces carry no expectations: `mmspec check` compares what the model and the kernel
// did, operation by operation (result or errno) and the final address space. Every address is
// inside the scenario window (mmap with MAP_FIXED or MAP_FIXED_NOREPLACE, munmap, mprotect,
// touch, mremap with a fixed destination, mlock and munlock, now and then mlockall and
// munlockall, madvise, brk with the program break set inside the window),
// except where the kernel chooses: hint-less mmap and the destination of an mremap that may move
// (MREMAP_MAYMOVE without MREMAP_FIXED). A few traces lower RLIMIT_AS or RLIMIT_DATA. Offsets are drawn near the
// start of the window, so that operations meet each other's VMAs: merges, splits, partial
// overlaps, holes.
//
// Each trace is checked before it is written: it must parse, and print back to a trace that
// parses to the same one (trace/ parse and print); a generator bug exits 1 naming the trace.
//
// usage: mmspec-random-traces SEED COUNT DIR     exit 0; 1 a generated trace is not valid;
//                                                2 a usage or write error
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mmspec/trace.hpp"

namespace {

// splitmix64: the same sequence on every platform for a given seed.
struct Rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  std::uint64_t below(std::uint64_t n) { return next() % n; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }
  bool chance(unsigned percent) { return below(100) < percent; }
};

constexpr std::uint64_t P = 4096;

std::string hex(std::uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string trace(Rng& r) {
  static const std::vector<std::string> prots = {"rw-", "r--", "---", "r-x", "rwx", "-w-", "rw-"};
  static const std::vector<std::string> extras = {"", "", "", "noreserve", "growsdown", "stack",
                                                  "locked", "populate", "noreplace"};
  std::string t = "window 0x7e0000000000 1G\nfile f1 64K\nfile f2 16K ro\n";
  // A program break inside the window for some traces (set-up: PR_SET_MM_MAP on the kernel).
  const bool heap = r.chance(25);
  if (heap) t += "heap +" + hex(r.below(16) * P) + "\n";
  if (r.chance(10)) t += std::string("rlimit ") + (r.chance(50) ? "as" : "data") + " " + (r.chance(50) ? "1M" : "16M") + "\n";
  const std::uint64_t ops = 6 + r.below(9);
  for (std::uint64_t i = 0; i < ops; ++i) {
    const std::uint64_t off = r.below(24) * P;
    const std::uint64_t k = r.below(100);
    if (heap && r.chance(15)) {
      t += "brk +" + hex(r.below(28) * P + (r.chance(20) ? 100 : 0)) + "\n";
    } else if (k < 5) {
      // Hint-less: the kernel places it (top-down below mmap_base), outside the window.
      t += "mmap 0 " + hex((1 + r.below(4)) * P) + " " + r.pick(prots) + (r.chance(30) ? " shared anon\n" : " private anon\n");
    } else if (k < 35) {
      const std::uint64_t len = (1 + r.below(6)) * P;
      const bool shared = r.chance(33);
      std::string src = "anon";
      if (r.chance(40)) src = r.chance(70) ? "f1@" + std::to_string(r.below(7)) : "f2@" + std::to_string(r.below(3));
      std::string extra = r.pick(extras);
      if (extra == "growsdown" && (src != "anon" || shared)) extra.clear();
      t += "mmap +" + hex(off) + " " + hex(len) + " " + r.pick(prots) + (shared ? " shared " : " private ") +
           src + " fixed" + (extra.empty() ? "" : " " + extra) + "\n";
    } else if (k < 50) {
      t += "touch +" + hex(off) + (r.chance(60) ? " write\n" : r.chance(70) ? " read\n" : " exec\n");
    } else if (k < 68) {
      t += "mprotect +" + hex(off) + " " + hex((1 + r.below(5)) * P) + " " + r.pick(prots) +
           (r.chance(15) ? " growsdown\n" : "\n");
    } else if (k < 80) {
      t += "munmap +" + hex(off) + " " + hex((1 + r.below(4)) * P) + "\n";
    } else if (k >= 84 && k < 90) {
      static const std::vector<std::string> advice = {
          "normal", "random", "sequential", "willneed", "dontneed", "free", "remove", "dontfork",
          "dofork", "hugepage", "nohugepage", "dontdump", "dodump", "wipeonfork", "keeponfork",
          "cold", "pageout"};
      t += "madvise +" + hex(off) + " " + hex((1 + r.below(5)) * P) + " " + r.pick(advice) + "\n";
    } else if (k >= 90) {
      // mlock / munlock, sometimes with an address inside a page (the kernel rounds out).
      const std::uint64_t at = off + (r.chance(20) ? 100 : 0);
      const std::uint64_t len = (1 + r.below(5)) * P - (r.chance(20) ? 200 : 0);
      if (r.chance(8)) {
        static const std::vector<std::string> all = {"current", "future", "current future",
                                                     "future onfault", "current onfault"};
        t += r.chance(70) ? "mlockall " + r.pick(all) + "\n" : std::string("munlockall\n");
      } else if (r.chance(65)) {
        t += "mlock +" + hex(at) + " " + hex(len) + (r.chance(25) ? " onfault\n" : "\n");
      } else {
        t += "munlock +" + hex(at) + " " + hex(len) + "\n";
      }
    } else {
      const std::uint64_t old_len = (1 + r.below(3)) * P;
      const std::uint64_t new_len = std::vector<std::uint64_t>{1, 2, 4, 6}[r.below(4)] * P;
      std::string flags;
      const std::uint64_t f = r.below(3);
      if (f == 1) flags = " maymove";
      if (f == 2) flags = " maymove fixed +" + hex(r.below(40) * P);
      t += "mremap +" + hex(off) + " " + hex(old_len) + " " + hex(new_len) + flags + "\n";
    }
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s SEED COUNT DIR\n", argv[0]);
    return 2;
  }
  char* end = nullptr;
  const unsigned long long seed = std::strtoull(argv[1], &end, 0);
  if (*end) return std::fprintf(stderr, "mmspec-random-traces: bad SEED '%s'\n", argv[1]), 2;
  const unsigned long count = std::strtoul(argv[2], &end, 0);
  if (*end || count == 0 || count > 100000)
    return std::fprintf(stderr, "mmspec-random-traces: COUNT must be 1..100000\n"), 2;
  const std::filesystem::path dir = argv[3];
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::fprintf(stderr, "mmspec-random-traces: %s: %s\n", argv[3], ec.message().c_str()), 2;
  Rng r{seed};
  for (unsigned long i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "r%05lu.mmt", i);
    const std::string text = trace(r);
    const mmspec::trace::ParseResult parsed = mmspec::trace::parse(text, name);
    if (!parsed.trace)
      return std::fprintf(stderr, "mmspec-random-traces: generated an invalid trace: %s\n",
                          parsed.error ? parsed.error->str().c_str() : name), 1;
    const mmspec::trace::ParseResult again = mmspec::trace::parse(mmspec::trace::print(*parsed.trace), name);
    if (!again.trace || !(*again.trace == *parsed.trace))
      return std::fprintf(stderr, "mmspec-random-traces: %s does not survive print and parse\n", name), 1;
    std::ofstream out(dir / name);
    out << "# mmspec-random-traces seed " << seed << ", trace " << i << "\n" << text;
    if (!out) return std::fprintf(stderr, "mmspec-random-traces: cannot write %s\n", (dir / name).c_str()), 2;
  }
  return 0;
}
