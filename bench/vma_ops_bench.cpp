// Google Benchmark suite: the model's cost of mmap, munmap and mprotect on an address space of
// 100, 10,000 and 65,000 VMAs (bench/workload.hpp describes the layout), next to the naive
// sorted-vector VMA list on the same workload.
//
// Every iteration is a pair of system calls that leaves the address space exactly as it found
// it, on a cell taken from a fixed pseudo-random sequence over the whole window (hot:0) or over
// the hot set of 64 VMAs spread evenly over it (hot:1; workload.hpp); either way lookups reach
// every depth of the tree. The "syscall" counter is the time per system call (half the
// iteration). The numbers are for reading, not asserting: mmspec-bench-report prints the
// ratios between sizes measured in one run.
//
//   BM_MmapFixedNew_Munmap     mmap MAP_FIXED into a free one-page slot (new VMA), munmap it
//   BM_MunmapHole_MmapHintless munmap a 3-page VMA, mmap(NULL) 3 pages: the top-down gap search
//                              must find that hole inside the tree
//   BM_MunmapSplit_MmapMerge   munmap a page inside a VMA (split), mmap MAP_FIXED it back (merge)
//   BM_MprotectSplit_Merge     mprotect a page inside a VMA (split in three), back (merge)
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "workload.hpp"

namespace {

using namespace mmbench;

template <class B>
struct Fixture {
  std::unique_ptr<B> be;
  std::vector<std::size_t> seq;  // pseudo-random cells, cycled
};

// One populated address space per back end, size and workload, shared by the benchmarks
// (each leaves it as it found it). Null if populating failed (reported through SkipWithError).
template <class B>
Fixture<B>* fixture(std::size_t n, Workload w, std::string* why) {
  static std::map<std::pair<std::size_t, Workload>, std::unique_ptr<Fixture<B>>> cache;
  auto& f = cache[{n, w}];
  if (!f) {
    auto nf = std::make_unique<Fixture<B>>();
    nf->be = std::make_unique<B>(n);
    if (!populate(*nf->be, why)) return nullptr;
    SplitMix64 rng(0x6d6d73706563ull + n);
    const std::vector<std::size_t> cells = workload_cells(w, nf->be->cells().count);
    nf->seq.resize(4096);
    for (auto& c : nf->seq) c = cells[rng.below(cells.size())];
    f = std::move(nf);
  }
  return f.get();
}

template <class B, Pair p>
void run_pairs(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const Workload w = state.range(1) ? Workload::hot : Workload::random;
  std::string why;
  Fixture<B>* f = fixture<B>(n, w, &why);
  if (!f) {
    state.SkipWithError(why.c_str());
    return;
  }
  B& be = *f->be;
  std::size_t i = 0;
  std::size_t last = 0;
  for (auto _ : state) {
    last = f->seq[i++ & 4095];
    if (!run_pair<p>(be, last)) {
      state.SkipWithError("unexpected result from the model");
      return;
    }
  }
  if (be.count() != n || !cell_intact(be, last)) {
    state.SkipWithError("the address space was not restored");
    return;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 2);
  state.counters["syscall"] = benchmark::Counter(
      2, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

template <class B>
void BM_MmapFixedNew_Munmap(benchmark::State& state) {
  run_pairs<B, Pair::fixed_new_munmap>(state);
}

template <class B>
void BM_MunmapHole_MmapHintless(benchmark::State& state) {
  run_pairs<B, Pair::munmap_hintless>(state);
}

template <class B>
void BM_MunmapSplit_MmapMerge(benchmark::State& state) {
  run_pairs<B, Pair::split_merge>(state);
}

template <class B>
void BM_MprotectSplit_Merge(benchmark::State& state) {
  run_pairs<B, Pair::mprotect>(state);
}

void sizes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"vmas", "hot"});
  for (int hot : {0, 1})
    for (std::size_t n : kSizes) b->Args({static_cast<std::int64_t>(n), hot});
}

}  // namespace

BENCHMARK_TEMPLATE(BM_MmapFixedNew_Munmap, ModelBackend)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_MunmapHole_MmapHintless, ModelBackend)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_MunmapSplit_MmapMerge, ModelBackend)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_MprotectSplit_Merge, ModelBackend)->Apply(sizes);

BENCHMARK_TEMPLATE(BM_MmapFixedNew_Munmap, NaiveVmaList)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_MunmapHole_MmapHintless, NaiveVmaList)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_MunmapSplit_MmapMerge, NaiveVmaList)->Apply(sizes);
BENCHMARK_TEMPLATE(BM_MprotectSplit_Merge, NaiveVmaList)->Apply(sizes);

BENCHMARK_MAIN();
