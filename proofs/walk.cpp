// All the binary-search-tree shapes of a given size, for the search proofs (walk.hpp).
#include "walk.hpp"


namespace mmspec::proofs {

namespace {

// Shapes over in-order positions [lo, hi): each returned as (root, left, right) arrays sized n.
void shapes_between(int lo, int hi, int n, std::vector<Shape>& out) {
  if (lo >= hi) {
    Shape s;
    s.root = -1;
    s.left.assign(n, -1);
    s.right.assign(n, -1);
    out.push_back(s);
    return;
  }
  for (int r = lo; r < hi; ++r) {
    std::vector<Shape> ls, rs;
    shapes_between(lo, r, n, ls);
    shapes_between(r + 1, hi, n, rs);
    for (const Shape& l : ls)
      for (const Shape& rr : rs) {
        Shape s;
        s.root = r;
        s.left.assign(n, -1);
        s.right.assign(n, -1);
        for (int i = lo; i < r; ++i) {
          s.left[i] = l.left[i];
          s.right[i] = l.right[i];
        }
        for (int i = r + 1; i < hi; ++i) {
          s.left[i] = rr.left[i];
          s.right[i] = rr.right[i];
        }
        s.left[r] = l.root;
        s.right[r] = rr.root;
        out.push_back(s);
      }
  }
}

}  // namespace

std::vector<Shape> all_shapes(int n) {
  std::vector<Shape> out;
  shapes_between(0, n, n, out);
  return out;
}

}  // namespace mmspec::proofs
