// The .mmt trace language: every statement form, every error message (with its exact
// line:column), canonical printing and round trips, CR LF input, robustness on arbitrary bytes,
// and expression evaluation.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "mmspec/trace.hpp"
#include "mmspec/vm_flags.hpp"
#include "trace_test_util.hpp"

namespace mmspec::trace {
namespace {

using test::err;
using test::ok;

using u64 = std::uint64_t;

Expr abs_(u64 v) { return Expr{Expr::Base::absolute, -1, v}; }
Expr win(u64 v) { return Expr{Expr::Base::window, -1, v}; }
Expr bnd(std::int32_t slot, u64 v) { return Expr{Expr::Base::binding, slot, v}; }

void expect_expr(const Expr& got, const Expr& want) {
  EXPECT_EQ(static_cast<int>(got.base), static_cast<int>(want.base));
  EXPECT_EQ(got.binding, want.binding);
  EXPECT_EQ(got.offset, want.offset);
}

const std::string kWin = "window 0x7e0000000000 1G\n";

// ---------------------------------------------------------------------------------------------
// Statements

TEST(TraceParser, EmptyInputCommentsAndBlankLines) {
  Trace t = ok("");
  EXPECT_TRUE(t.ops.empty());
  EXPECT_EQ(t.path, "t.mmt");
  t = ok("\n\n   \t \n# only a comment\n   # indented comment\n");
  EXPECT_TRUE(t.ops.empty());
  EXPECT_TRUE(t.profile.empty());
  EXPECT_FALSE(t.has_window);
}

TEST(TraceParser, ProfileAndWindow) {
  Trace t = ok("profile linux-5.10   # comment\nwindow 0x7e0000000000 1G\n");
  EXPECT_EQ(t.profile, "linux-5.10");
  EXPECT_TRUE(t.has_window);
  EXPECT_EQ(t.window, 0x7e0000000000u);
  EXPECT_EQ(t.window_size, u64{1} << 30);
  for (const std::string& p : known_profiles()) EXPECT_EQ(ok("profile " + p).profile, p);
  t = ok("window 0x10000K 0x10K");
  EXPECT_EQ(t.window, u64{0x10000} << 10);
  EXPECT_EQ(t.window_size, u64{0x4000});
  t = ok("window 0xfffffffffffff000 4K");  // ends exactly at 2^64
  EXPECT_EQ(t.window_size, 4096u);
}

TEST(TraceParser, FilesAndOpen) {
  Trace t = ok("file f1 16K\nfile g 4096 ro\nfile h 0 wo\nfile i 1M rw\nopen j f1\nopen k j ro\n");
  ASSERT_EQ(t.files.size(), 6u);
  EXPECT_EQ(t.files[0].name, "f1");
  EXPECT_EQ(t.files[0].size, 16384u);
  EXPECT_EQ(t.files[0].inode_of, -1);
  EXPECT_TRUE(t.files[0].readable && t.files[0].writable);
  EXPECT_TRUE(t.files[1].readable && !t.files[1].writable);
  EXPECT_TRUE(!t.files[2].readable && t.files[2].writable);
  EXPECT_EQ(t.files[2].size, 0u);
  EXPECT_TRUE(t.files[3].readable && t.files[3].writable);
  EXPECT_EQ(t.files[4].inode_of, 0);
  EXPECT_EQ(t.files[4].size, 16384u);
  // reopening a reopened file names the inode's own file
  EXPECT_EQ(t.files[5].inode_of, 0);
  EXPECT_TRUE(t.files[5].readable && !t.files[5].writable);
  EXPECT_EQ(t.files[5].loc.line, 6u);
  EXPECT_EQ(t.files[5].loc.col, 1u);
}

TEST(TraceParser, MmapBasic) {
  Trace t = ok(kWin + "A = mmap +0x0 8K rw- private anon fixed\n");
  ASSERT_EQ(t.ops.size(), 1u);
  const Op& op = t.ops[0];
  EXPECT_EQ(op.kind, OpKind::mmap);
  expect_expr(op.addr, win(0));
  expect_expr(op.len, abs_(8192));
  EXPECT_EQ(op.prot, PROT_READ | PROT_WRITE);
  EXPECT_EQ(op.flags, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED);
  EXPECT_EQ(op.file, -1);
  EXPECT_FALSE(op.bad_fd);
  expect_expr(op.offset, abs_(0));
  EXPECT_EQ(op.bind, 0);
  ASSERT_EQ(t.bindings.size(), 1u);
  EXPECT_EQ(t.bindings[0], "A");
  EXPECT_EQ(op.loc.line, 2u);
  EXPECT_EQ(op.loc.col, 1u);
  EXPECT_TRUE(op.expect.empty());
}

TEST(TraceParser, MmapEveryFlagWord) {
  struct Case {
    const char* word;
    int bits;
  } cases[] = {
      {"private", MAP_PRIVATE},     {"shared", MAP_SHARED},
      {"shared-validate", MAP_SHARED_VALIDATE}, {"anon", MAP_ANONYMOUS},
      {"fixed", MAP_FIXED},         {"noreplace", MAP_FIXED_NOREPLACE},
      {"growsdown", MAP_GROWSDOWN}, {"stack", MAP_STACK},
      {"noreserve", MAP_NORESERVE}, {"locked", MAP_LOCKED},
      {"populate", MAP_POPULATE},   {"nonblock", MAP_NONBLOCK},
      {"32bit", MAP_32BIT},         {"above4g", MAP_ABOVE4G},
      {"hugetlb", MAP_HUGETLB},     {"sync", MAP_SYNC},
      {"droppable", MAP_DROPPABLE}, {"flags=0x800", MAP_DENYWRITE},
      {"flags=64", MAP_32BIT},
  };
  for (const Case& c : cases) {
    Trace t = ok(std::string("mmap 0 4K r-- ") + c.word);
    ASSERT_EQ(t.ops.size(), 1u) << c.word;
    EXPECT_EQ(t.ops[0].flags, c.bits) << c.word;
  }
  // flags= ORs raw bits in, in any order, with words; a word given twice is harmless
  Trace t = ok("mmap 0 4K r-- flags=0x4000000 private private flags=0x80000000");
  EXPECT_EQ(static_cast<std::uint32_t>(t.ops[0].flags), 0x84000002u);
  // no flag words at all
  EXPECT_EQ(ok("mmap 0 4K r--").ops[0].flags, 0);
}

TEST(TraceParser, Protections) {
  struct Case {
    const char* text;
    int prot;
  } cases[] = {
      {"---", 0},       {"none", 0},       {"r--", PROT_READ}, {"-w-", PROT_WRITE},
      {"--x", PROT_EXEC}, {"rw-", 3},      {"r-x", 5},         {"rwx", 7},
      {"0x8", PROT_SEM}, {"0x1000000", PROT_GROWSDOWN}, {"0xffffffff", -1}, {"12", 12},
  };
  for (const Case& c : cases) {
    Trace t = ok(std::string("mmap 0 4K ") + c.text + " private anon");
    EXPECT_EQ(t.ops[0].prot, c.prot) << c.text;
  }
}

TEST(TraceParser, MmapFilesAndOffsets) {
  Trace t = ok("file f1 16K\nB = mmap 0 4K r-- shared f1@2\n");
  const Op& b = t.ops[0];
  EXPECT_EQ(b.file, 0);
  expect_expr(b.offset, abs_(2 * 4096));
  EXPECT_EQ(b.flags, MAP_SHARED);

  t = ok("file f1 16K\nmmap 0 4K r-- private f1\n");
  EXPECT_EQ(t.ops[0].file, 0);
  expect_expr(t.ops[0].offset, abs_(0));

  // offset= overrides @PAGE, before or after it; it may be any expression
  t = ok("file f1 16K\nmmap 0 4K r-- offset=0x123 private f1@3\n");
  expect_expr(t.ops[0].offset, abs_(0x123));
  t = ok(kWin + "file f1 16K\nmmap 0 4K r-- private f1@3 offset=-4K\n");
  expect_expr(t.ops[0].offset, win(u64{0} - 4096));

  // offset= without a file (the kernel ignores it for anonymous mappings, but it is passed)
  t = ok("mmap 0 4K r-- private anon offset=8K");
  expect_expr(t.ops[0].offset, abs_(8192));
  EXPECT_EQ(t.ops[0].file, -1);

  // a file and anon together: both recorded
  t = ok("file f 4K\nmmap 0 4K rw- private anon f@1");
  EXPECT_EQ(t.ops[0].file, 0);
  EXPECT_EQ(t.ops[0].flags, MAP_PRIVATE | MAP_ANONYMOUS);
  expect_expr(t.ops[0].offset, abs_(4096));

  // badfd: fd -1 without MAP_ANONYMOUS
  t = ok("mmap 0 4K rw- private badfd -> EBADF");
  EXPECT_TRUE(t.ops[0].bad_fd);
  EXPECT_EQ(t.ops[0].file, -1);

  // an opened file is a file too
  t = ok("file f 4K\nopen g f ro\nmmap 0 4K r-- shared g@0\n");
  EXPECT_EQ(t.ops[0].file, 1);
}

TEST(TraceParser, MunmapMprotectBrkTouchHeapRlimit) {
  Trace t = ok(kWin +
               "A = mmap +0 8K rw- private anon fixed\n"
               "munmap A+4K 4K\n"
               "mprotect A 4K r--\n"
               "mprotect A 4K r-x growsdown\n"
               "mprotect A 4K none growsup growsdown\n"
               "heap 0x555555560000\n"
               "H = brk 0\n"
               "brk H+8K -> H+8K\n"
               "touch A read\n"
               "touch A+1 write -> SEGV_ACCERR\n"
               "touch +0x5000 exec -> SEGV_MAPERR\n"
               "touch A read -> SIGBUS on linux-5.10,linux-6.1 -> ok on linux-6.18\n"
               "rlimit as 1G\n"
               "rlimit data unlimited\n"
               "rlimit memlock 64K\n"
               "rlimit stack 0x800000\n");
  ASSERT_EQ(t.ops.size(), 16u);
  EXPECT_EQ(t.ops[1].kind, OpKind::munmap);
  expect_expr(t.ops[1].addr, bnd(0, 4096));
  expect_expr(t.ops[1].len, abs_(4096));
  EXPECT_EQ(t.ops[2].kind, OpKind::mprotect);
  EXPECT_EQ(t.ops[2].prot, PROT_READ);
  EXPECT_EQ(t.ops[3].prot, PROT_READ | PROT_EXEC | PROT_GROWSDOWN);
  EXPECT_EQ(t.ops[4].prot, PROT_GROWSDOWN | PROT_GROWSUP);
  EXPECT_EQ(t.ops[5].kind, OpKind::heap);
  expect_expr(t.ops[5].addr, abs_(0x555555560000));
  EXPECT_EQ(t.ops[6].kind, OpKind::brk);
  EXPECT_EQ(t.ops[6].bind, 1);
  expect_expr(t.ops[7].addr, bnd(1, 8192));
  ASSERT_EQ(t.ops[7].expect.size(), 1u);
  EXPECT_EQ(t.ops[7].expect[0].kind, Expect::Kind::value);
  expect_expr(t.ops[7].expect[0].value, bnd(1, 8192));
  EXPECT_EQ(t.ops[8].kind, OpKind::touch);
  EXPECT_EQ(t.ops[8].access, Access::read);
  EXPECT_EQ(t.ops[9].access, Access::write);
  EXPECT_EQ(t.ops[9].expect[0].kind, Expect::Kind::touch);
  EXPECT_EQ(t.ops[9].expect[0].touch, TouchOutcome::segv_accerr);
  EXPECT_EQ(t.ops[10].access, Access::exec);
  EXPECT_EQ(t.ops[10].expect[0].touch, TouchOutcome::segv_maperr);
  ASSERT_EQ(t.ops[11].expect.size(), 2u);
  EXPECT_EQ(t.ops[11].expect[0].touch, TouchOutcome::sigbus);
  EXPECT_EQ(t.ops[11].expect[0].profiles, 3u);
  EXPECT_EQ(t.ops[11].expect[1].touch, TouchOutcome::ok);
  EXPECT_EQ(t.ops[11].expect[1].profiles, 4u);
  EXPECT_EQ(t.ops[12].kind, OpKind::rlimit);
  EXPECT_EQ(t.ops[12].rlimit, Rlimit::as);
  EXPECT_EQ(t.ops[12].rlimit_value, u64{1} << 30);
  EXPECT_EQ(t.ops[13].rlimit, Rlimit::data);
  EXPECT_EQ(t.ops[13].rlimit_value, RLIM_INFINITY_VALUE);
  EXPECT_EQ(t.ops[14].rlimit, Rlimit::memlock);
  EXPECT_EQ(t.ops[14].rlimit_value, 65536u);
  EXPECT_EQ(t.ops[15].rlimit, Rlimit::stack);
  EXPECT_EQ(t.ops[15].rlimit_value, 0x800000u);
}

TEST(TraceParser, Expectations) {
  Trace t = ok(kWin +
               "A = mmap +0 4K rw- private anon fixed -> +0x0\n"
               "mmap 0 0 rw- private anon -> EINVAL\n"
               "munmap A 4K -> 0 on linux-5.10 -> EFAULT on linux-6.1,linux-6.18\n"
               "mmap A 4K rw- private anon fixed -> A\n"
               "mmap 0 4K rw- private anon -> 0x7e0000000000 on linux-6.18\n"
               "mmap 0 4K rw- private anon -> EWOULDBLOCK on linux-6.1,linux-6.18 -> E?200 on linux-5.10\n");
  const Op& a = t.ops[0];
  ASSERT_EQ(a.expect.size(), 1u);
  expect_expr(a.expect[0].value, win(0));
  EXPECT_EQ(a.expect[0].loc.line, 2u);
  EXPECT_EQ(a.expect[0].loc.col, 39u);
  EXPECT_EQ(t.ops[1].expect[0].kind, Expect::Kind::error);
  EXPECT_EQ(t.ops[1].expect[0].errnum, EINVAL);
  const Op& m = t.ops[2];
  ASSERT_EQ(m.expect.size(), 2u);
  expect_expr(m.expect[0].value, abs_(0));
  EXPECT_EQ(m.expect[0].profiles, 1u);
  EXPECT_EQ(m.expect[1].errnum, EFAULT);
  EXPECT_EQ(m.expect[1].profiles, 6u);
  EXPECT_TRUE(mask_includes(m.expect[1].profiles, "linux-6.1"));
  EXPECT_FALSE(mask_includes(m.expect[1].profiles, "linux-5.10"));
  // the line binds A after its expectation is read: `-> A` there is the earlier A
  expect_expr(t.ops[3].expect[0].value, bnd(0, 0));
  expect_expr(t.ops[4].expect[0].value, abs_(0x7e0000000000));
  EXPECT_EQ(t.ops[4].expect[0].profiles, 4u);
  EXPECT_EQ(t.ops[5].expect[0].errnum, EAGAIN);
  EXPECT_EQ(t.ops[5].expect[1].errnum, 200);
}

TEST(TraceParser, ExpectMapsBlock) {
  Trace t = ok(kWin +
               "file f1 16K\n"
               "A = mmap +0 8K rw- private anon fixed\n"
               "expect-maps\n"
               "  +0x0-+0x2000 rw-p anon +ac -lo   # comment\n"
               "\n"
               "  # comment line inside\n"
               "  A-A+8K r--s shmem\n"
               "  0x7e0000002000-0x7e0000003000 ---p [heap]\n"
               "  +8K-+0x10K r-xp f1@3 -nr +mr\n"
               "  A+4K-A+4K rwxs f1\n"
               "end\n"
               "expect-maps on linux-6.1,linux-6.18\n"
               "end   # empty block\n");
  ASSERT_EQ(t.ops.size(), 3u);
  ASSERT_EQ(t.maps.size(), 2u);
  EXPECT_EQ(t.ops[1].kind, OpKind::expect_maps);
  EXPECT_EQ(t.ops[1].maps, 0);
  EXPECT_EQ(t.ops[1].loc.line, 4u);
  EXPECT_EQ(t.ops[2].maps, 1);
  const ExpectMaps& m = t.maps[0];
  EXPECT_EQ(m.profiles, 0u);
  EXPECT_EQ(m.loc.line, 4u);
  ASSERT_EQ(m.lines.size(), 5u);
  const MapsLine& l0 = m.lines[0];
  expect_expr(l0.start, win(0));
  expect_expr(l0.end, win(0x2000));
  EXPECT_EQ(std::string(l0.perms, 4), "rw-p");
  EXPECT_EQ(l0.what, MapsLine::What::anon);
  EXPECT_EQ(l0.flags_present, std::vector<std::string>{"ac"});
  EXPECT_EQ(l0.flags_absent, std::vector<std::string>{"lo"});
  EXPECT_EQ(l0.loc.line, 5u);
  EXPECT_EQ(l0.loc.col, 3u);
  const MapsLine& l1 = m.lines[1];
  expect_expr(l1.start, bnd(0, 0));
  expect_expr(l1.end, bnd(0, 8192));
  EXPECT_EQ(std::string(l1.perms, 4), "r--s");
  EXPECT_EQ(l1.what, MapsLine::What::shmem);
  const MapsLine& l2 = m.lines[2];
  expect_expr(l2.start, abs_(0x7e0000002000));
  expect_expr(l2.end, abs_(0x7e0000003000));
  EXPECT_EQ(l2.what, MapsLine::What::named);
  EXPECT_EQ(l2.name, "[heap]");
  const MapsLine& l3 = m.lines[3];
  expect_expr(l3.start, win(8192));
  expect_expr(l3.end, win(0x10 * 1024));
  EXPECT_EQ(l3.what, MapsLine::What::file);
  EXPECT_EQ(l3.file, 0);
  EXPECT_EQ(l3.pgoff, 3u);
  EXPECT_EQ(l3.flags_present, std::vector<std::string>{"mr"});
  EXPECT_EQ(l3.flags_absent, std::vector<std::string>{"nr"});
  EXPECT_EQ(m.lines[4].pgoff, 0u);
  EXPECT_EQ(t.maps[1].profiles, 6u);
  EXPECT_TRUE(t.maps[1].lines.empty());
}

TEST(TraceParser, NumbersAndSizes) {
  struct Case {
    const char* text;
    u64 value;
  } cases[] = {
      {"0", 0},
      {"4096", 4096},
      {"0x1000", 0x1000},
      {"0xABCdef", 0xabcdef},
      {"4K", 4096},
      {"0x10K", 0x4000},
      {"3M", 3u << 20},
      {"1G", u64{1} << 30},
      {"007", 7},
      {"18446744073709551615", ~u64{0}},
      {"0xffffffffffffffff", ~u64{0}},
      {"17179869183G", u64{17179869183} << 30},
      {"1+2", 3},
      {"4K-1", 4095},
      {"0-1", ~u64{0}},  // wraps
  };
  for (const Case& c : cases) {
    Trace t = ok(std::string("munmap ") + c.text + " 0");
    ASSERT_EQ(t.ops.size(), 1u) << c.text;
    expect_expr(t.ops[0].addr, abs_(c.value));
  }
}

TEST(TraceParser, RelativeAndBindingExpressions) {
  Trace t = ok(kWin +
               "munmap +0x1000 0\n"
               "munmap -4K 0\n"
               "munmap +1M+4K-1 0\n"
               "A = mmap +0 4K rw- private anon fixed\n"
               "munmap A 0\n"
               "munmap A+4K-1 0\n"
               "munmap A-8K 0\n"
               "munmap A-0x1000+0x1000 0\n");
  expect_expr(t.ops[0].addr, win(0x1000));
  expect_expr(t.ops[1].addr, win(u64{0} - 4096));
  expect_expr(t.ops[2].addr, win((1u << 20) + 4095));
  expect_expr(t.ops[4].addr, bnd(0, 0));
  expect_expr(t.ops[5].addr, bnd(0, 4095));
  expect_expr(t.ops[6].addr, bnd(0, u64{0} - 8192));
  expect_expr(t.ops[7].addr, bnd(0, 0));
}

TEST(TraceParser, RebindingTakesANewSlot) {
  Trace t = ok(kWin +
               "A = mmap +0 4K rw- private anon fixed\n"
               "munmap A 4K\n"
               "A = mmap A+8K 4K rw- private anon fixed\n"  // A on the right is the first A
               "munmap A 4K\n"
               "B = brk A\n");
  ASSERT_EQ(t.bindings, (std::vector<std::string>{"A", "A", "B"}));
  EXPECT_EQ(t.ops[0].bind, 0);
  expect_expr(t.ops[1].addr, bnd(0, 0));
  EXPECT_EQ(t.ops[2].bind, 1);
  expect_expr(t.ops[2].addr, bnd(0, 8192));
  expect_expr(t.ops[3].addr, bnd(1, 0));
  expect_expr(t.ops[4].addr, bnd(1, 0));
  EXPECT_EQ(t.ops[4].bind, 2);
}

TEST(TraceParser, NamesMayUseAnyCaseDigitsAndUnderscore) {
  Trace t = ok("file _f9 4K\nMmap_2 = mmap 0 4K rw- private _f9\nPrivate = brk Mmap_2\n");
  EXPECT_EQ(t.bindings, (std::vector<std::string>{"Mmap_2", "Private"}));
  EXPECT_EQ(t.ops[0].file, 0);
}

TEST(TraceParser, TabsAndCommentsGlueToTokens) {
  Trace t = ok("mmap\t0\t4K\tr--#comment\n\tmunmap 0 4K# no space before the comment\n");
  ASSERT_EQ(t.ops.size(), 2u);
  EXPECT_EQ(t.ops[0].kind, OpKind::mmap);  // `4K#comment`: the comment ends the line
  EXPECT_EQ(t.ops[0].prot, PROT_READ);
  EXPECT_EQ(t.ops[1].loc.col, 2u);
}

TEST(TraceParser, CrLfLineEndings) {
  std::string lf = kWin +
                   "file f 8K ro\n"
                   "A = mmap +0 8K r-- private f@1 -> +0\n"
                   "expect-maps\n"
                   "  +0-+0x2000 r--p f@1\n"
                   "end\n"
                   "touch A read -> ok\n";
  std::string crlf;
  for (char c : lf) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  Trace a = ok(lf), b = ok(crlf);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(b.ops.size(), 3u);
  // a final line without newline, ending in CR
  Trace c = ok("munmap 0 4K\r");
  EXPECT_EQ(c.ops.size(), 1u);
  // an error column on a CR LF line is the same as on an LF line
  EXPECT_EQ(err("munmap 0 4K x\r\n"), "t.mmt:1:13: error: expected '->' or end of line, found 'x'");
}

// ---------------------------------------------------------------------------------------------
// Errors: every message form, with its exact position.

TEST(TraceParserErrors, Lexical) {
  EXPECT_EQ(err(std::string("munmap 0\0 4K", 12)),
            "t.mmt:1:9: error: unexpected character '\\x00'");
  EXPECT_EQ(err("\n\nmunmap\x01"), "t.mmt:3:7: error: unexpected character '\\x01'");
  EXPECT_EQ(err("munmap 0\r4K 0"), "t.mmt:1:9: error: unexpected character '\\x0d'");
  // control bytes and NUL inside a comment are fine
  EXPECT_EQ(ok(std::string("munmap 0 0 # \0\x01\x7f", 16)).ops.size(), 1u);
}

TEST(TraceParserErrors, Statements) {
  EXPECT_EQ(err("mmapp 0 4K"),
            "t.mmt:1:1: error: expected a statement (profile, window, file, open, mmap, munmap, "
            "mprotect, mremap, mlock, munlock, mlockall, munlockall, madvise, brk, touch, heap, rlimit or "
            "expect-maps), found 'mmapp'");
  EXPECT_EQ(err("\n  end"), "t.mmt:2:3: error: 'end' without 'expect-maps'");
  EXPECT_EQ(err("A = munmap 0 4K"),
            "t.mmt:1:5: error: expected mmap, mremap or brk after '=' (only they give a value to bind), "
            "found 'munmap'");
  EXPECT_EQ(err("A ="), "t.mmt:1:4: error: expected mmap, mremap or brk after '=', found end of line");
  EXPECT_EQ(err("A=mmap 0 4K r--"),
            "t.mmt:1:1: error: expected a statement (profile, window, file, open, mmap, munmap, "
            "mprotect, mremap, mlock, munlock, mlockall, munlockall, madvise, brk, touch, heap, rlimit or "
            "expect-maps), found 'A=mmap'");
  EXPECT_EQ(err("\xef\xbb\xbfmunmap 0 0").substr(0, 40), "t.mmt:1:1: error: expected a statement (");
}

TEST(TraceParserErrors, Names) {
  EXPECT_EQ(err("1A = brk 0"),
            "t.mmt:1:1: error: expected a name (a letter or '_', then letters, digits or '_'), "
            "found '1A'");
  EXPECT_EQ(err("private = brk 0"),
            "t.mmt:1:1: error: 'private' is a keyword and cannot be used as a name");
  EXPECT_EQ(err("EINVAL = brk 0"),
            "t.mmt:1:1: error: 'EINVAL' is a keyword and cannot be used as a name");
  EXPECT_EQ(err("file f 4K\nf = brk 0"), "t.mmt:2:1: error: 'f' is already a file");
  EXPECT_EQ(err("file f 4K\nfile f 8K"),
            "t.mmt:2:6: error: file 'f' is already defined on line 1");
  EXPECT_EQ(err("A = brk 0\nfile A 8K"), "t.mmt:2:6: error: 'A' is already a binding");
  EXPECT_EQ(err("file f 4K\nopen f f"),
            "t.mmt:2:6: error: file 'f' is already defined on line 1");
  EXPECT_EQ(err("file a-b 4K"),
            "t.mmt:1:6: error: expected a name (a letter or '_', then letters, digits or '_'), "
            "found 'a-b'");
  EXPECT_EQ(err("file"), "t.mmt:1:5: error: expected a file name, found end of line");
}

TEST(TraceParserErrors, Profile) {
  EXPECT_EQ(err("profile linux-6.2"),
            "t.mmt:1:9: error: expected a profile (linux-5.10, linux-6.1 or linux-6.18), found "
            "'linux-6.2'");
  EXPECT_EQ(err("profile"),
            "t.mmt:1:8: error: expected a profile (linux-5.10, linux-6.1 or linux-6.18), found "
            "end of line");
  EXPECT_EQ(err("profile linux-6.1\nprofile linux-6.1"),
            "t.mmt:2:1: error: only one 'profile' line is allowed");
  EXPECT_EQ(err("rlimit as 1G\nprofile linux-6.1"),
            "t.mmt:2:1: error: 'profile' must come before the first operation");
  EXPECT_EQ(err("profile linux-6.1 linux-6.18"),
            "t.mmt:1:19: error: expected end of line, found 'linux-6.18'");
  EXPECT_EQ(err("profile linux-6.1 -> 0"),
            "t.mmt:1:19: error: 'profile' takes no expected result");
  // files may come before the profile line
  EXPECT_EQ(ok("file f 4K\nprofile linux-6.1").profile, "linux-6.1");
}

TEST(TraceParserErrors, Window) {
  EXPECT_EQ(err("window 0x7e0000000001 1G"),
            "t.mmt:1:8: error: window address 0x7e0000000001 is not page aligned");
  EXPECT_EQ(err("window 0x7e0000000000 0"), "t.mmt:1:23: error: window size must not be 0");
  EXPECT_EQ(err("window 0x7e0000000000 100"),
            "t.mmt:1:23: error: window size 0x64 is not a multiple of the page size (4K)");
  EXPECT_EQ(err("window 0xfffffffffffff000 8K"),
            "t.mmt:1:27: error: window 0xfffffffffffff000 + 0x2000 goes past the end of the "
            "64-bit address space");
  EXPECT_EQ(err("window +0 1G"),
            "t.mmt:1:8: error: expected a page-aligned address such as 0x7e0000000000, found "
            "'+0'");
  EXPECT_EQ(err("window 0x7e0000000000"),
            "t.mmt:1:22: error: expected a window size such as 1G, found end of line");
  EXPECT_EQ(err(kWin + "window 0x7e0000000000 1G"),
            "t.mmt:2:1: error: only one 'window' line is allowed");
  EXPECT_EQ(err("window 0x7e0000000000 1G 4K"), "t.mmt:1:26: error: expected end of line, found '4K'");
}

TEST(TraceParserErrors, Files) {
  EXPECT_EQ(err("file f 16Q"), "t.mmt:1:8: error: expected a file size such as 16K, found '16Q'");
  EXPECT_EQ(err("file f 16k"), "t.mmt:1:8: error: expected a file size such as 16K, found '16k'");
  EXPECT_EQ(err("file f"), "t.mmt:1:7: error: expected a file size such as 16K, found end of line");
  EXPECT_EQ(err("file f 4K rx"),
            "t.mmt:1:11: error: expected a file mode (ro, wo or rw) or end of line, found 'rx'");
  EXPECT_EQ(err("file f 4K ro ro"), "t.mmt:1:14: error: expected end of line, found 'ro'");
  EXPECT_EQ(err("open g f"),
            "t.mmt:1:8: error: expected the name of a file to open again, found 'f'");
  EXPECT_EQ(err("file f 4K\nopen g f@1"),
            "t.mmt:2:8: error: expected the name of a file to open again, found 'f@1'");
  EXPECT_EQ(err("A = brk 0\nopen g A"), "t.mmt:2:8: error: 'A' is a binding, not a file");
  EXPECT_EQ(err("file f 4K\nopen g"),
            "t.mmt:2:7: error: expected the name of a file to open again, found end of line");
}

TEST(TraceParserErrors, Expressions) {
  EXPECT_EQ(err("munmap +0x1000 4K"),
            "t.mmt:1:8: error: relative address needs a 'window' line first");
  EXPECT_EQ(err("munmap 0 -4K"), "t.mmt:1:10: error: relative address needs a 'window' line first");
  EXPECT_EQ(err("munmap X 4K"), "t.mmt:1:8: error: unknown name 'X'");
  EXPECT_EQ(err("munmap Xyz+4K 4K"), "t.mmt:1:8: error: unknown name 'Xyz'");
  EXPECT_EQ(err("munmap EFOO 4K"), "t.mmt:1:8: error: unknown name 'EFOO'");
  EXPECT_EQ(err("file f 4K\nmunmap f 4K"), "t.mmt:2:8: error: 'f' is a file, not a value");
  EXPECT_EQ(err("munmap fixed 4K"),
            "t.mmt:1:8: error: expected an address such as 0x1000, +0x1000 or A+4K, found "
            "'fixed'");
  EXPECT_EQ(err("munmap @1 4K"),
            "t.mmt:1:8: error: expected an address such as 0x1000, +0x1000 or A+4K, found '@1'");
  EXPECT_EQ(err("munmap 4Q 4K"),
            "t.mmt:1:8: error: expected an address such as 0x1000, +0x1000 or A+4K, found '4Q'");
  EXPECT_EQ(err("munmap 0 4Q"), "t.mmt:1:10: error: expected a length such as 4K, found '4Q'");
  EXPECT_EQ(err("munmap 0 0x"), "t.mmt:1:10: error: expected a length such as 4K, found '0x'");
  EXPECT_EQ(err("A = brk 0\nmunmap A@2 4K"),
            "t.mmt:2:9: error: unexpected '@' in 'A@2'; expected '+' or '-' followed by a size");
  EXPECT_EQ(err("A = brk 0\nmunmap A+ 4K"),
            "t.mmt:2:9: error: expected a number or size such as 4K after '+', found nothing");
  EXPECT_EQ(err("A = brk 0\nmunmap A+-4K 4K"),
            "t.mmt:2:9: error: expected a number or size such as 4K after '+', found '-'");
  EXPECT_EQ(err(kWin + "munmap + 4K"),
            "t.mmt:2:8: error: expected a number or size such as 4K after '+', found nothing");
  EXPECT_EQ(err("A = brk 0\nmunmap A+4X 4K"),
            "t.mmt:2:10: error: expected a number or size such as 0x1000 or 4K, found '4X'");
  EXPECT_EQ(err("munmap 4K+x 4K"),
            "t.mmt:1:11: error: expected a number or size such as 0x1000 or 4K, found 'x'");
  EXPECT_EQ(err("munmap 99999999999999999999 4K"),
            "t.mmt:1:8: error: value '99999999999999999999' does not fit in 64 bits");
  EXPECT_EQ(err("munmap 0x10000000000000000 4K"),
            "t.mmt:1:8: error: value '0x10000000000000000' does not fit in 64 bits");
  EXPECT_EQ(err("munmap 17179869184G 4K"),
            "t.mmt:1:8: error: value '17179869184G' does not fit in 64 bits");
  EXPECT_EQ(err("munmap 0x40000000000000K 4K"),
            "t.mmt:1:8: error: value '0x40000000000000K' does not fit in 64 bits");
  EXPECT_EQ(err("A = brk 0\nmunmap A+0x1ffffffffffffffff 4K"),
            "t.mmt:2:10: error: value '0x1ffffffffffffffff' does not fit in 64 bits");
  EXPECT_EQ(err("munmap"),
            "t.mmt:1:7: error: expected an address such as 0x1000, +0x1000 or A+4K, found end "
            "of line");
  EXPECT_EQ(err("munmap 0"), "t.mmt:1:9: error: expected a length such as 4K, found end of line");
}

TEST(TraceParserErrors, MmapArguments) {
  EXPECT_EQ(err("file f 4K\n\nmmap 0 4K rwz private f"),
            "t.mmt:3:11: error: expected a protection such as rw- or none, found 'rwz'");
  EXPECT_EQ(err("mmap 0 4K"),
            "t.mmt:1:10: error: expected a protection such as rw- or none, found end of line");
  EXPECT_EQ(err("mmap 0 4K 0x100000000"),
            "t.mmt:1:11: error: protection '0x100000000' does not fit in 32 bits");
  EXPECT_EQ(err("mmap 0 4K 7x"),
            "t.mmt:1:11: error: expected a protection such as rw- or none, found '7x'");
  EXPECT_EQ(err("mmap 0 4K rw- privat anon"),
            "t.mmt:1:15: error: expected a mapping flag (private, shared, anon, fixed, ...) or a "
            "file, found 'privat'");
  EXPECT_EQ(err("mmap 0 4K rw- private +1"),
            "t.mmt:1:23: error: expected a mapping flag (private, shared, anon, fixed, ...) or a "
            "file, found '+1'");
  EXPECT_EQ(err("mmap 0 4K rw- flags=0x1x"),
            "t.mmt:1:21: error: expected a number such as 0x40 after 'flags=', found '0x1x'");
  EXPECT_EQ(err("mmap 0 4K rw- flags="),
            "t.mmt:1:21: error: expected a number such as 0x40 after 'flags=', found nothing");
  EXPECT_EQ(err("mmap 0 4K rw- flags=0x10000000000000000"),
            "t.mmt:1:21: error: value '0x10000000000000000' does not fit in 64 bits");
  EXPECT_EQ(err("mmap 0 4K rw- flags=0x100000000"),
            "t.mmt:1:21: error: flags '0x100000000' do not fit in 32 bits");
  EXPECT_EQ(err("mmap 0 4K rw- offset=1 offset=2"), "t.mmt:1:24: error: 'offset=' given twice");
  EXPECT_EQ(err("mmap 0 4K rw- offset="),
            "t.mmt:1:22: error: expected a file offset such as 8K after 'offset=', found nothing");
  EXPECT_EQ(err("mmap 0 4K rw- offset=Q"), "t.mmt:1:22: error: unknown name 'Q'");
  EXPECT_EQ(err("file f 4K\nfile g 4K\nmmap 0 4K r-- shared f g"),
            "t.mmt:3:24: error: mmap takes at most one file, found a second one 'g'");
  EXPECT_EQ(err("file f 4K\nmmap 0 4K r-- shared badfd f"),
            "t.mmt:2:22: error: 'badfd' cannot be combined with a file");
  EXPECT_EQ(err("file f 4K\nmmap 0 4K r-- shared f@"),
            "t.mmt:2:23: error: expected a page number after '@', found nothing");
  EXPECT_EQ(err("file f 4K\nmmap 0 4K r-- shared f@1K"),
            "t.mmt:2:24: error: expected a page number such as 2, found '1K'");
  EXPECT_EQ(err("file f 4K\nmmap 0 4K r-- shared f@0x10000000000000"),
            "t.mmt:2:24: error: page index '0x10000000000000' is too large");
  EXPECT_EQ(err("A = brk 0\nmmap 0 4K r-- shared A"),
            "t.mmt:2:22: error: 'A' is a binding, not a file");
}

TEST(TraceParserErrors, OtherOperations) {
  EXPECT_EQ(err("mprotect 0 4K rw- growsleft"),
            "t.mmt:1:19: error: expected growsdown, growsup, '->' or end of line, found "
            "'growsleft'");
  EXPECT_EQ(err("touch 0 run"),
            "t.mmt:1:9: error: expected an access (read, write or exec), found 'run'");
  EXPECT_EQ(err("touch 0"),
            "t.mmt:1:8: error: expected an access (read, write or exec), found end of line");
  EXPECT_EQ(err("touch 0 read -> EINVAL"),
            "t.mmt:1:17: error: expected a touch outcome (ok, SEGV_MAPERR, SEGV_ACCERR or "
            "SIGBUS), found 'EINVAL'");
  EXPECT_EQ(err("touch 0 read -> 0"),
            "t.mmt:1:17: error: expected a touch outcome (ok, SEGV_MAPERR, SEGV_ACCERR or "
            "SIGBUS), found '0'");
  EXPECT_EQ(err("munmap 0 4K -> SEGV_MAPERR"),
            "t.mmt:1:16: error: touch outcome 'SEGV_MAPERR' is only valid on a touch line; "
            "expected a result such as 0, +0x1000, A+4K or EINVAL");
  EXPECT_EQ(err("brk 0 -> ok"),
            "t.mmt:1:10: error: touch outcome 'ok' is only valid on a touch line; expected a "
            "result such as 0, +0x1000, A+4K or EINVAL");
  EXPECT_EQ(err("rlimit nofile 4K"),
            "t.mmt:1:8: error: expected a resource (as, data, memlock or stack), found 'nofile'");
  EXPECT_EQ(err("rlimit as infinity"),
            "t.mmt:1:11: error: expected a limit such as 8M or unlimited, found 'infinity'");
  EXPECT_EQ(err("rlimit as"),
            "t.mmt:1:10: error: expected a limit such as 8M or unlimited, found end of line");
  EXPECT_EQ(err("rlimit as 1G -> 0"), "t.mmt:1:14: error: 'rlimit' takes no expected result");
  EXPECT_EQ(err("heap 0x1000 -> 0"), "t.mmt:1:13: error: 'heap' takes no expected result");
  EXPECT_EQ(err("heap 0x1000 0"), "t.mmt:1:13: error: expected end of line, found '0'");
  EXPECT_EQ(err("file f 4K -> 0"), "t.mmt:1:11: error: 'file' takes no expected result");
  EXPECT_EQ(err("file f 4K rw -> 0"), "t.mmt:1:14: error: 'file' takes no expected result");
}

TEST(TraceParserErrors, ExpectedResults) {
  EXPECT_EQ(err("munmap 0 4K => 0"), "t.mmt:1:13: error: expected '->' or end of line, found '=>'");
  EXPECT_EQ(err("munmap 0 4K ->"),
            "t.mmt:1:15: error: expected a result such as 0, +0x1000, A+4K or EINVAL, found end "
            "of line");
  EXPECT_EQ(err("munmap 0 4K -> EINVALID"), "t.mmt:1:16: error: unknown errno name 'EINVALID'");
  EXPECT_EQ(err("munmap 0 4K -> einval"), "t.mmt:1:16: error: unknown name 'einval'");
  EXPECT_EQ(err("munmap 0 4K -> 0 on"),
            "t.mmt:1:20: error: expected a profile list such as linux-6.1,linux-6.18, found end "
            "of line");
  EXPECT_EQ(err("munmap 0 4K -> 0 on linux-6.1,linux-4.19"),
            "t.mmt:1:31: error: expected a profile (linux-5.10, linux-6.1 or linux-6.18), found "
            "'linux-4.19'");
  EXPECT_EQ(err("munmap 0 4K -> 0 on linux-6.1,"),
            "t.mmt:1:31: error: expected a profile (linux-5.10, linux-6.1 or linux-6.18), found "
            "nothing");
  EXPECT_EQ(err("munmap 0 4K -> 0 on linux-6.1 linux-6.18"),
            "t.mmt:1:31: error: expected '->' or end of line, found 'linux-6.18'");
  EXPECT_EQ(err("munmap 0 4K -> 0 -> EINVAL"),
            "t.mmt:1:18: error: a second expected result for linux-5.10,linux-6.1,linux-6.18 on "
            "this line");
  EXPECT_EQ(err("munmap 0 4K -> 0 on linux-6.1,linux-6.18 -> EINVAL on linux-6.18"),
            "t.mmt:1:42: error: a second expected result for linux-6.18 on this line");
  EXPECT_EQ(err("munmap 0 4K -> EINVAL on linux-5.10 -> 0"),
            "t.mmt:1:37: error: a second expected result for linux-5.10 on this line");
}

TEST(TraceParserErrors, ExpectMaps) {
  EXPECT_EQ(err(kWin + "munmap +0 4K\nexpect-maps\n  +0-+0x1000 rw-p anon\n"),
            "t.mmt:3:1: error: 'expect-maps' block is not closed by 'end'");
  EXPECT_EQ(err("expect-maps for linux-6.1\nend"),
            "t.mmt:1:13: error: expected 'on' or end of line, found 'for'");
  EXPECT_EQ(err("expect-maps on linux-6.1 x\nend"),
            "t.mmt:1:26: error: expected end of line, found 'x'");
  EXPECT_EQ(err("expect-maps\nend end"),
            "t.mmt:2:5: error: expected end of line after 'end', found 'end'");
  EXPECT_EQ(err("A = expect-maps\nend"),
            "t.mmt:1:5: error: expected mmap, mremap or brk after '=' (only they give a value to bind), "
            "found 'expect-maps'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0x1000 rw-p anon\nend"),
            "t.mmt:3:3: error: expected a range START-END such as +0x0-+0x1000 (or 'end'), "
            "found '+0x1000'");
  EXPECT_EQ(err(kWin + "expect-maps\n  -+0x1000 rw-p anon\nend"),
            "t.mmt:3:3: error: expected the start of a range such as +0x0, found nothing");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0- rw-p anon\nend"),
            "t.mmt:3:6: error: expected the end of a range such as +0x1000, found nothing");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0x0-+0x1000-4K rw-p anon\nend"),
            "t.mmt:3:15: error: a maps range has a single '-' between START and END; write "
            "offsets with '+', found '+0x1000-4K'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0x0--4K rw-p anon\nend"),
            "t.mmt:3:8: error: expected the end of a range such as +0x1000, found '-4K'");
  EXPECT_EQ(err("expect-maps\n  +0x0-+0x1000 rw-p anon\nend"),
            "t.mmt:2:3: error: relative address needs a 'window' line first");
  EXPECT_EQ(err("expect-maps\n  0x1000-Z rw-p anon\nend"), "t.mmt:2:10: error: unknown name 'Z'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-x anon\nend"),
            "t.mmt:3:10: error: expected permissions such as rw-p, found 'rw-x'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw- anon\nend"),
            "t.mmt:3:10: error: expected permissions such as rw-p, found 'rw-'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-p\nend"),
            "t.mmt:3:14: error: expected anon, shmem, a [name] or a file, found end of line");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-p heap\nend"),
            "t.mmt:3:15: error: expected anon, shmem, a [name] or a file, found 'heap'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-p []\nend"),
            "t.mmt:3:15: error: expected anon, shmem, a [name] or a file, found '[]'");
  EXPECT_EQ(err(kWin + "A = brk 0\nexpect-maps\n  +0-+4K rw-p A\nend"),
            "t.mmt:4:15: error: 'A' is a binding, not a file");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-p anon ac\nend"),
            "t.mmt:3:20: error: expected a VmFlags mnemonic such as +ac or -lo, or end of line, "
            "found 'ac'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-p anon +AC\nend"),
            "t.mmt:3:20: error: expected a VmFlags mnemonic such as +ac or -lo, or end of line, "
            "found '+AC'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-p anon +acc\nend"),
            "t.mmt:3:20: error: expected a VmFlags mnemonic such as +ac or -lo, or end of line, "
            "found '+acc'");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-p anon +ac -ac\nend"),
            "t.mmt:3:24: error: VmFlags 'ac' cannot be both present and absent");
  EXPECT_EQ(err(kWin + "expect-maps\n  +0-+4K rw-p anon -> 0\nend"),
            "t.mmt:3:20: error: expected a VmFlags mnemonic such as +ac or -lo, or end of line, "
            "found '->'");
}

TEST(TraceParserErrors, LongTokensAreShortenedInMessages) {
  std::string longname(100000, 'x');
  std::string e = err("munmap " + longname + " 4K");
  EXPECT_EQ(e, "t.mmt:1:8: error: unknown name '" + std::string(40, 'x') + "...'");
}

TEST(TraceParserErrors, PathAppearsInMessage) {
  ParseResult r = parse("bogus", "dir/x.mmt");
  ASSERT_TRUE(r.error.has_value());
  EXPECT_EQ(r.error->path, "dir/x.mmt");
  EXPECT_EQ(r.error->loc.line, 1u);
  EXPECT_EQ(r.error->loc.col, 1u);
  EXPECT_EQ(r.error->str().substr(0, 25), "dir/x.mmt:1:1: error: exp");
  EXPECT_EQ(parse("bogus").error->str().substr(0, 14), "<input>:1:1: e");
}

// ---------------------------------------------------------------------------------------------
// Printing and round trips

const char* const kExamples[] = {
    // the example of DESIGN.md, without the statements this version does not have yet
    "profile linux-6.18\n"
    "window 0x7e0000000000 1G          # base for relative addresses (+0x...)\n"
    "file f1 16K                       # a file of 4 pages\n"
    "A = mmap +0x0 8K rw- private anon fixed\n"
    "B = mmap 0 4K r-- shared f1@2     # hint-less, file f1 from page 2; binds B\n"
    "mprotect A+4K 4K r--\n"
    "touch A write\n"
    "munmap A 4K\n"
    "expect-maps\n"
    "  +0x1000-+0x2000 r--p anon\n"
    "end\n",

    "profile linux-5.10\n"
    "window 0x7e0000000000 1M\n"
    "A = mmap +0 12K rw- private anon fixed -> +0\n"
    "mprotect A+4K 4K r-- -> 0\n"
    "mprotect A+4K 4K rw- -> 0\n"
    "expect-maps on linux-5.10\n"
    "  +0-+0x3000 rw-p anon +ac\n"
    "end\n"
    "expect-maps on linux-6.1,linux-6.18\n"
    "  A-A+12K rw-p anon\n"
    "end\n",

    "window 0x7e0000000000 64M\n"
    "file f 16K\n"
    "file g 8K ro\n"
    "file w 0 wo\n"
    "open h f ro\n"
    "open i h\n"
    "heap 0x555555560000\n"
    "rlimit as unlimited\n"
    "rlimit data 0x12345\n"
    "rlimit memlock 64K\n"
    "rlimit stack 8M\n"
    "H = brk 0\n"
    "H = brk H+0x21000 -> H+132K\n"
    "brk H-4K -> H-0x1000 on linux-6.18\n"
    "X = mmap -0x1000 4K 0x8 shared-validate fixed noreplace growsdown stack noreserve locked "
    "populate nonblock 32bit above4g hugetlb sync flags=0x80000800 h@3 -> EINVAL on linux-5.10 "
    "-> EOPNOTSUPP on linux-6.1,linux-6.18\n"
    "mmap +0x2000 4K rwx droppable anon offset=X+1\n"
    "mmap 0 4K --x flags=0x9 offset=0x1234 badfd -> EBADF\n"
    "mmap 0 4K 0x1000007 private f offset=+0x10\n"
    "mmap 0 4K rw- private g offset=4K\n"
    "mmap 0 0xffffffffffffffff --- flags=0 -> ENOMEM on linux-6.18 -> E?300 on linux-5.10\n"
    "mprotect X 4K rw- growsdown growsup -> EINVAL\n"
    "mprotect X 4K 0x10 growsdown -> EINVAL\n"
    "touch X read -> SEGV_MAPERR on linux-5.10 -> SEGV_ACCERR on linux-6.1 -> SIGBUS on "
    "linux-6.18\n"
    "touch X+8K-1 exec -> ok\n"
    "expect-maps\n"
    "  +0xfffffffffffff000-+0 r--s f@3 +mr -lo -nr\n"
    "  X+4K-X+0x2000 ---p [vdso]\n"
    "  0-0xffffffffffffffff rwxs shmem\n"
    "  0x7e0000002000-X+0xfffffffffffff000 rw-p [anon:my_name]\n"
    "end\n",

    "",
};

TEST(TraceParserRoundTrip, ExamplesSurvivePrintAndParse) {
  for (const char* text : kExamples) {
    Trace t = ok(text);
    std::string printed = print(t);
    ParseResult again = parse(printed, "printed.mmt");
    ASSERT_TRUE(again.trace.has_value()) << again.error->str() << "\n" << printed;
    EXPECT_TRUE(*again.trace == t) << "original:\n" << text << "printed:\n" << printed;
    EXPECT_EQ(print(*again.trace), printed);  // canonical form is a fixed point
  }
}

TEST(TraceParserRoundTrip, CanonicalText) {
  Trace t = ok(kExamples[0]);
  EXPECT_EQ(print(t),
            "profile linux-6.18\n"
            "window 0x7e0000000000 1G\n"
            "file f1 16K\n"
            "A = mmap +0x0 0x2000 rw- private anon fixed\n"
            "B = mmap 0 0x1000 r-- shared f1@2\n"
            "mprotect A+0x1000 0x1000 r--\n"
            "touch A write\n"
            "munmap A 0x1000\n"
            "expect-maps\n"
            "  +0x1000-+0x2000 r--p anon\n"
            "end\n");
  Trace u = ok(kExamples[2]);
  std::string p = print(u);
  EXPECT_NE(p.find("\nopen h f ro\nopen i f\n"), std::string::npos) << p;
  EXPECT_NE(p.find("\nrlimit as unlimited\nrlimit data 0x12345\nrlimit memlock 64K\n"
                   "rlimit stack 8M\n"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("\nX = mmap -0x1000 0x1000 0x8 shared-validate fixed noreplace growsdown "
                   "stack noreserve locked populate nonblock 32bit above4g hugetlb sync "
                   "flags=0x80000800 h@3 -> EINVAL on linux-5.10 -> EOPNOTSUPP on "
                   "linux-6.1,linux-6.18\n"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("\nmmap 0 0x1000 --x flags=0x9 offset=0x1234 badfd -> EBADF\n"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("\nmmap 0 0x1000 rw- private g@1\n"), std::string::npos) << p;
  EXPECT_NE(p.find("\nmmap 0 0x1000 0x1000007 private f offset=+0x10\n"), std::string::npos)
      << p;
  EXPECT_NE(p.find("\nmmap 0 0xffffffffffffffff --- -> ENOMEM on linux-6.18 -> E?300 on linux-5.10\n"),
            std::string::npos)
      << p;
  EXPECT_NE(p.find("\nmprotect X 0x1000 rw- growsdown growsup -> EINVAL\n"), std::string::npos)
      << p;
  EXPECT_NE(p.find("\nmprotect X 0x1000 0x1000010 -> EINVAL\n"), std::string::npos) << p;
  EXPECT_NE(p.find("\n  +0xfffffffffffff000-+0x0 r--s f@3 +mr -lo -nr\n"), std::string::npos)
      << "maps ranges are written with '+' only:\n"
      << p;
}

TEST(TraceParserRoundTrip, EqualityIgnoresLocationsAndPathOnly) {
  Trace a = ok(kExamples[1]);
  Trace b = ok(std::string("\n\n# shifted\n") + kExamples[1]);
  b.path = "other";
  EXPECT_TRUE(a == b);
  Trace c = b;
  c.ops[1].expect[0].errnum = 1;
  EXPECT_FALSE(a == c);
  c = b;
  c.maps[0].lines[0].perms[3] = 's';
  EXPECT_FALSE(a == c);
  c = b;
  c.maps[0].lines[0].flags_present.clear();
  EXPECT_FALSE(a == c);
  c = b;
  c.bindings[0] = "Z";
  EXPECT_FALSE(a == c);
  c = b;
  c.profile = "linux-6.1";
  EXPECT_FALSE(a == c);
  c = b;
  c.window_size = 4096;
  EXPECT_FALSE(a == c);
  c = b;
  c.ops[0].addr.offset = 1;
  EXPECT_FALSE(a == c);
}

TEST(TraceParserRoundTrip, FormatHelpers) {
  EXPECT_EQ(format_prot(0), "---");
  EXPECT_EQ(format_prot(PROT_READ | PROT_EXEC | PROT_GROWSDOWN), "r-x growsdown");
  EXPECT_EQ(format_prot(PROT_WRITE | PROT_GROWSUP), "-w- growsup");
  EXPECT_EQ(format_prot(PROT_SEM), "0x8");
  EXPECT_EQ(format_map_flags(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED), "private anon fixed");
  EXPECT_EQ(format_map_flags(0), "");
  EXPECT_EQ(format_map_flags(MAP_SHARED_VALIDATE | MAP_SYNC), "shared-validate sync");
  EXPECT_EQ(format_map_flags(0x4 | MAP_FIXED_NOREPLACE), "noreplace flags=0x4");
  EXPECT_EQ(format_map_flags(MAP_DROPPABLE | MAP_ANONYMOUS), "droppable anon");
  EXPECT_EQ(format_profiles(0), "");
  EXPECT_EQ(format_profiles(5), "linux-5.10,linux-6.18");
  Trace t = ok(kWin + "A = brk 0\n");
  EXPECT_EQ(format_expr(bnd(0, u64{0} - 1), t), "A-0x1");
  EXPECT_EQ(format_expr(bnd(0, u64{1} << 63), t), "A+0x8000000000000000");
  EXPECT_EQ(format_expr(win(0), t), "+0x0");
  EXPECT_EQ(format_expr(abs_(0), t), "0");
  EXPECT_EQ(format_expr(abs_(~u64{0}), t), "0xffffffffffffffff");
  Expect e;
  e.kind = Expect::Kind::error;
  e.errnum = ENOMEM;
  e.profiles = 2;
  EXPECT_EQ(format_expect(e, t), "ENOMEM on linux-6.1");
  MapsLine l;
  l.start = win(0);
  l.end = bnd(0, u64{0} - 4096);
  l.flags_absent = {"ac"};
  EXPECT_EQ(format_maps_line(l, t), "+0x0-A+0xfffffffffffff000 ---p anon -ac");
}

// ---------------------------------------------------------------------------------------------
// Robustness: arbitrary bytes never crash the parser, and whatever parses round-trips.

void check_total(const std::string& text) {
  ParseResult r = parse(text, "fuzz.mmt");
  ASSERT_NE(r.trace.has_value(), r.error.has_value());
  if (r.error) {
    EXPECT_GE(r.error->loc.line, 1u);
    EXPECT_GE(r.error->loc.col, 1u);
    EXPECT_FALSE(r.error->message.empty());
    return;
  }
  std::string printed = print(*r.trace);
  ParseResult again = parse(printed, "printed.mmt");
  ASSERT_TRUE(again.trace.has_value()) << again.error->str() << "\ninput:\n"
                                       << text << "\nprinted:\n"
                                       << printed;
  EXPECT_TRUE(*again.trace == *r.trace) << "input:\n" << text << "\nprinted:\n" << printed;
}

TEST(TraceParserRobustness, RandomBytesAndMutations) {
  std::mt19937_64 rng(12345);  // fixed seed: the test is deterministic
  std::vector<std::string> seeds;
  for (const char* e : kExamples) seeds.emplace_back(e);
  const char* pieces[] = {" ", "\n", "\r\n", "\t", "#", "+", "-", "=", "->", "@", ",", "0x",
                          "4K", "1G", "A", "f", "mmap", "end", "expect-maps", "on",
                          "linux-6.1", "EINVAL", "offset=", "flags=", "[heap]", "rw-p", "\0"};
  for (int iter = 0; iter < 4000; ++iter) {
    std::string text;
    switch (iter % 3) {
      case 0: {  // random bytes
        std::size_t n = rng() % 64;
        for (std::size_t i = 0; i < n; ++i) text += static_cast<char>(rng() & 0xff);
        break;
      }
      case 1: {  // random pieces of the language
        std::size_t n = rng() % 24;
        for (std::size_t i = 0; i < n; ++i) {
          text += std::string(pieces[rng() % (sizeof pieces / sizeof *pieces)]);
        }
        break;
      }
      default: {  // mutated examples
        text = seeds[rng() % seeds.size()];
        std::size_t edits = 1 + rng() % 4;
        for (std::size_t k = 0; k < edits && !text.empty(); ++k) {
          std::size_t at = rng() % text.size();
          switch (rng() % 3) {
            case 0: text.erase(at, 1 + rng() % 4); break;
            case 1: text.insert(at, pieces[rng() % (sizeof pieces / sizeof *pieces)]); break;
            default: text[at] = static_cast<char>(rng() & 0xff); break;
          }
        }
        break;
      }
    }
    check_total(text);
  }
}

TEST(TraceParserRobustness, HugeInputs) {
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "A = brk A\n";
  EXPECT_EQ(err(many), "t.mmt:1:9: error: unknown name 'A'");
  std::string ok_many = "A = brk 0\n";
  for (int i = 0; i < 20000; ++i) ok_many += "A = brk A+4K\n";
  Trace t = ok(ok_many);
  EXPECT_EQ(t.bindings.size(), 20001u);
  EXPECT_EQ(t.ops.back().addr.binding, 19999);
  std::string long_line = "munmap 0 0 " + std::string(1 << 20, ' ') + "-> 0";
  EXPECT_EQ(ok(long_line).ops[0].expect.size(), 1u);
  EXPECT_EQ(err(std::string(1 << 20, '\n') + "x"),
            "t.mmt:1048577:1: error: expected a statement (profile, window, file, open, mmap, "
            "munmap, mprotect, mremap, mlock, munlock, mlockall, munlockall, madvise, brk, touch, heap, rlimit or "
            "expect-maps), found 'x'");
}

// ---------------------------------------------------------------------------------------------
// Evaluation

TEST(TraceEval, BasesAndWrapping) {
  u64 vals[] = {0x1000, 0x7f0000000000};
  Env env{0x7e0000000000, vals, 2};
  EXPECT_EQ(eval(abs_(0x1234), env), 0x1234u);
  EXPECT_EQ(eval(win(0x2000), env), 0x7e0000002000u);
  EXPECT_EQ(eval(win(u64{0} - 4096), env), 0x7dfffffff000u);
  EXPECT_EQ(eval(bnd(0, 8), env), 0x1008u);
  EXPECT_EQ(eval(bnd(1, u64{0} - 1), env), 0x7effffffffffu);
  EXPECT_EQ(eval(abs_(~u64{0}), env), ~u64{0});
  u64 big[] = {~u64{0}};
  EXPECT_EQ(eval(bnd(0, 2), Env{0, big, 1}), 1u);  // wraps modulo 2^64
}

TEST(TraceEval, OutOfRangeSlotIsZero) {
  u64 vals[] = {0x1000};
  EXPECT_EQ(eval(bnd(1, 5), Env{0, vals, 1}), 5u);
  EXPECT_EQ(eval(bnd(-1, 5), Env{0, vals, 1}), 5u);
  EXPECT_EQ(eval(bnd(0, 5), Env{0, nullptr, 0}), 5u);
}

TEST(TraceEval, ParsedExpressionsEvaluate) {
  Trace t = ok(kWin +
               "A = mmap +0x10000 4K rw- private anon fixed\n"
               "B = brk A+4K-1\n"
               "munmap B-0x10 +1M-4K\n");
  std::vector<u64> vals = {0x7e0000010000, 0x123456};
  Env env{t.window, vals.data(), vals.size()};
  EXPECT_EQ(eval(t.ops[0].addr, env), 0x7e0000010000u);
  EXPECT_EQ(eval(t.ops[1].addr, env), 0x7e0000010fffu);
  EXPECT_EQ(eval(t.ops[2].addr, env), 0x123446u);
  EXPECT_EQ(eval(t.ops[2].len, env), 0x7e00000ff000u);
}

TEST(TraceEval, VocabularyNames) {
  EXPECT_EQ(access_name(Access::read), "read");
  EXPECT_EQ(access_name(Access::write), "write");
  EXPECT_EQ(access_name(Access::exec), "exec");
  EXPECT_EQ(touch_outcome_name(TouchOutcome::ok), "ok");
  EXPECT_EQ(touch_outcome_name(TouchOutcome::segv_maperr), "SEGV_MAPERR");
  EXPECT_EQ(touch_outcome_name(TouchOutcome::segv_accerr), "SEGV_ACCERR");
  EXPECT_EQ(touch_outcome_name(TouchOutcome::sigbus), "SIGBUS");
  EXPECT_EQ(known_profiles(), (std::vector<std::string>{"linux-5.10", "linux-6.1", "linux-6.18"}));
  EXPECT_TRUE(mask_includes(0, "linux-5.10"));
  EXPECT_TRUE(mask_includes(0, "anything"));
  EXPECT_TRUE(mask_includes(4, "linux-6.18"));
  EXPECT_FALSE(mask_includes(4, "linux-6.1"));
  EXPECT_FALSE(mask_includes(7, "linux-4.19"));
}

TEST(TraceEval, ErrnoNames) {
  struct Case {
    const char* name;
    int value;
  } cases[] = {
      {"EPERM", EPERM},   {"ENOENT", ENOENT},   {"ESRCH", ESRCH},       {"EINTR", EINTR},
      {"EIO", EIO},       {"ENXIO", ENXIO},     {"E2BIG", E2BIG},       {"ENOEXEC", ENOEXEC},
      {"EBADF", EBADF},   {"ECHILD", ECHILD},   {"EAGAIN", EAGAIN},     {"ENOMEM", ENOMEM},
      {"EACCES", EACCES}, {"EFAULT", EFAULT},   {"EBUSY", EBUSY},       {"EEXIST", EEXIST},
      {"EXDEV", EXDEV},   {"ENODEV", ENODEV},   {"ENOTDIR", ENOTDIR},   {"EISDIR", EISDIR},
      {"EINVAL", EINVAL}, {"ENFILE", ENFILE},   {"EMFILE", EMFILE},     {"ENOTTY", ENOTTY},
      {"ETXTBSY", ETXTBSY}, {"EFBIG", EFBIG},   {"ENOSPC", ENOSPC},     {"ESPIPE", ESPIPE},
      {"EROFS", EROFS},   {"EMLINK", EMLINK},   {"EPIPE", EPIPE},       {"ERANGE", ERANGE},
      {"ENOSYS", ENOSYS}, {"EOVERFLOW", EOVERFLOW}, {"EOPNOTSUPP", EOPNOTSUPP},
      {"EHWPOISON", EHWPOISON},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(errno_str(c.value), c.name);
    EXPECT_EQ(errno_from_str(c.name), c.value) << c.name;
  }
  // the numbers are Linux's
  EXPECT_EQ(EINVAL, 22);
  EXPECT_EQ(ENOMEM, 12);
  EXPECT_EQ(EOPNOTSUPP, 95);
  // aliases are read, never written
  EXPECT_EQ(errno_from_str("EWOULDBLOCK"), EAGAIN);
  EXPECT_EQ(errno_from_str("ENOTSUP"), EOPNOTSUPP);
  EXPECT_EQ(errno_from_str("EDEADLOCK"), EDEADLK);
  EXPECT_EQ(errno_str(EWOULDBLOCK), "EAGAIN");
  // values without a name
  EXPECT_EQ(errno_str(0), "E?0");
  EXPECT_EQ(errno_str(4000), "E?4000");
  EXPECT_EQ(errno_str(-3), "E?-3");
  EXPECT_EQ(errno_from_str("E?4000"), 4000);
  EXPECT_EQ(errno_from_str("E?-3"), -3);
  for (int e = -5; e < 200; ++e) EXPECT_EQ(errno_from_str(errno_str(e)), e) << e;
  EXPECT_EQ(errno_from_str("E?"), std::nullopt);
  EXPECT_EQ(errno_from_str("E?-"), std::nullopt);
  EXPECT_EQ(errno_from_str("E?1x"), std::nullopt);
  EXPECT_EQ(errno_from_str("E?99999999999"), std::nullopt);
  EXPECT_EQ(errno_from_str("einval"), std::nullopt);
  EXPECT_EQ(errno_from_str(""), std::nullopt);
}

}  // namespace
}  // namespace mmspec::trace
