// Reader of mmspec-live's output (docs/live-protocol.md), as a state machine over its lines:
//
//   header -> between scenarios -> scenario -> layout -> initial block -> results / maps
//   blocks -> final block -> exit -> between scenarios ... -> done
//
// `error` records may appear at every step, `exit` ends a scenario at any step (a killed child
// stops anywhere). Failures unwind to parse_live_output as a private exception type.
#include "mmspec/live_output.hpp"

#include <cstddef>
#include <cstdint>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmspec::conformance {

namespace tr = mmspec::trace;

std::string LiveParseError::str() const {
  return "line " + std::to_string(line) + ": " + message;
}

namespace {

using u64 = std::uint64_t;

struct Failure {
  std::size_t line;
  std::string message;
};

std::string show(std::string_view s) {
  if (s.empty()) return "nothing";
  std::string out = "'";
  for (char c : s.substr(0, 80)) {
    unsigned char u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (s.size() > 80) out += "...";
  out += '\'';
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<u64> parse_hex(std::string_view s) {
  if (s.size() < 3 || s.size() > 18 || s[0] != '0' || s[1] != 'x') return std::nullopt;
  u64 v = 0;
  for (char c : s.substr(2)) {
    int d = hex_digit(c);
    if (d < 0) return std::nullopt;
    v = (v << 4) | static_cast<u64>(d);
  }
  return v;
}

std::optional<u64> parse_dec(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  u64 v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    u64 d = static_cast<u64>(c - '0');
    if (v > (~u64{0} - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

// A value of the layout record: hex, `unlimited` (limits only) or `unknown`.
std::optional<u64> layout_value(std::string_view v, bool allow_unlimited, bool* ok) {
  *ok = true;
  if (v == "unknown") return std::nullopt;
  if (allow_unlimited && v == "unlimited") return tr::RLIM_INFINITY_VALUE;
  std::optional<u64> x = parse_hex(v);
  if (!x) *ok = false;
  return x;
}

// Splits off the first blank-separated word.
std::string_view next_word(std::string_view& rest) {
  std::size_t sp = rest.find(' ');
  std::string_view w = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
  return w;
}

const char* op_kind_name(tr::OpKind k) {
  switch (k) {
    case tr::OpKind::mmap: return "mmap";
    case tr::OpKind::munmap: return "munmap";
    case tr::OpKind::mprotect: return "mprotect";
    case tr::OpKind::mremap: return "mremap";
    case tr::OpKind::mlock: return "mlock";
    case tr::OpKind::munlock: return "munlock";
    case tr::OpKind::mlockall: return "mlockall";
    case tr::OpKind::munlockall: return "munlockall";
    case tr::OpKind::madvise: return "madvise";
    case tr::OpKind::brk: return "brk";
    case tr::OpKind::touch: return "touch";
    case tr::OpKind::heap: return "heap";
    case tr::OpKind::rlimit: return "rlimit";
    case tr::OpKind::expect_maps: return "expect-maps";
  }
  return "?";
}

class Parser {
 public:
  Parser(std::string_view text, const TraceLookup& lookup) : text_(text), lookup_(lookup) {}

  LiveOutput run() {
    std::size_t pos = 0;
    while (pos < text_.size()) {
      std::size_t nl = text_.find('\n', pos);
      if (nl == std::string_view::npos) nl = text_.size();
      std::string_view line = text_.substr(pos, nl - pos);
      ++line_no_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) record(line);
      pos = nl + 1;
    }
    finish();
    return std::move(out_);
  }

 private:
  enum class State { header, between, scenario, layout_seen, running, final_seen, done };
  enum class Block { none, initial, maps, final };

  [[noreturn]] void fail(std::string message) const { throw Failure{line_no_, std::move(message)}; }

  void record(std::string_view line) {
    std::string_view rest = line;
    std::string_view kw = next_word(rest);
    if (block_ != Block::none) return block_line(kw, rest);
    switch (state_) {
      case State::header: return header(line);
      case State::between:
        if (kw == "scenario") return begin_scenario(rest);
        if (kw == "error") return out_.errors.emplace_back(rest), void();
        if (kw == "done") return expect_end(rest, "done"), state_ = State::done, void();
        fail("expected 'scenario', 'error' or 'done', found " + show(line));
      case State::done:
        fail("nothing may follow 'done', found " + show(line));
      case State::scenario:
      case State::layout_seen:
      case State::running:
      case State::final_seen:
        return scenario_record(kw, rest, line);
    }
  }

  void header(std::string_view line) {
    static constexpr std::string_view kMagic = "mmspec-live ";
    if (line.substr(0, kMagic.size()) != kMagic)
      fail("expected the header 'mmspec-live 1', found " + show(line));
    std::optional<u64> v = parse_dec(line.substr(kMagic.size()));
    if (!v) fail("expected a protocol version after 'mmspec-live', found " + show(line));
    if (*v != 1) fail("protocol version " + std::to_string(*v) + " is not supported (only 1)");
    out_.version = 1;
    state_ = State::between;
  }

  void expect_end(std::string_view rest, const char* what) const {
    if (!rest.empty()) fail(std::string("expected nothing after '") + what + "', found " + show(rest));
  }

  void begin_scenario(std::string_view path) {
    if (path.empty()) fail("expected a path after 'scenario'");
    cur_ = LiveScenario{};
    cur_.path = std::string(path);
    cur_.trace = lookup_ ? lookup_(path) : nullptr;
    if (cur_.trace != nullptr) {
      cur_.obs.results.assign(cur_.trace->ops.size(), tr::OpResult{});
      cur_.reported.assign(cur_.trace->ops.size(), false);
      cur_.obs.snapshots.assign(cur_.trace->maps.size(), {});
      cur_.snapshot_seen.assign(cur_.trace->maps.size(), false);
    }
    next_op_ = 0;
    pending_maps_ = -1;
    state_ = State::scenario;
  }

  void scenario_record(std::string_view kw, std::string_view rest, std::string_view line) {
    if (kw == "error") return cur_.errors.emplace_back(rest), void();
    if (kw == "exit") return end_scenario(rest);
    switch (state_) {
      case State::scenario:
        if (kw == "layout") return layout(rest);
        fail("expected 'layout', 'error' or 'exit' in scenario " + cur_.path + ", found " + show(line));
      case State::layout_seen:
        if (kw == "initial") return expect_end(rest, "initial"), open_block(Block::initial, -1);
        fail("expected 'initial', 'error' or 'exit' in scenario " + cur_.path + ", found " + show(line));
      case State::running:
        if (kw == "result") return result(rest);
        if (kw == "maps") return maps(rest);
        if (kw == "final") return expect_end(rest, "final"), open_block(Block::final, -1);
        fail("expected 'result', 'maps', 'final', 'error' or 'exit' in scenario " + cur_.path +
             ", found " + show(line));
      case State::final_seen:
        fail("expected 'error' or 'exit' after the final block of scenario " + cur_.path +
             ", found " + show(line));
      default:
        fail("internal: unexpected parser state");
    }
  }

  void layout(std::string_view rest) {
    LiveLayout lay;
    while (!rest.empty()) {
      std::string_view tok = next_word(rest);
      if (tok.empty()) fail("expected KEY=VALUE in the layout record, found two blanks");
      std::size_t eq = tok.find('=');
      if (eq == std::string_view::npos || eq == 0 || eq + 1 == tok.size())
        fail("expected KEY=VALUE in the layout record, found " + show(tok));
      std::string key(tok.substr(0, eq));
      if (!lay.values.emplace(key, std::string(tok.substr(eq + 1))).second)
        fail("layout key '" + key + "' appears twice");
    }
    struct Typed {
      const char* key;
      std::optional<u64> LiveLayout::*field;
      bool unlimited;
    };
    static const Typed kTyped[] = {
        {"task_size", &LiveLayout::task_size, false},
        {"rlimit_stack", &LiveLayout::rlimit_stack, true},
        {"mmap_min_addr_sysctl", &LiveLayout::mmap_min_addr_sysctl, false},
        {"mmap_min_addr", &LiveLayout::mmap_min_addr, false},
        {"start_brk", &LiveLayout::start_brk, false},
        {"brk", &LiveLayout::brk, false},
        {"start_stack", &LiveLayout::start_stack, false},
        {"max_map_count", &LiveLayout::max_map_count, false},
        {"overcommit_memory", &LiveLayout::overcommit_memory, false},
    };
    for (const Typed& t : kTyped) {
      auto it = lay.values.find(t.key);
      if (it == lay.values.end()) fail(std::string("the layout record lacks the key '") + t.key + "'");
      bool ok = true;
      lay.*t.field = layout_value(it->second, t.unlimited, &ok);
      if (!ok) {
        fail(std::string("expected a 0x-prefixed hex number") + (t.unlimited ? ", 'unlimited'" : "") +
             " or 'unknown' for layout key '" + t.key + "', found " + show(it->second));
      }
    }
    auto rnd = lay.values.find("randomized");
    if (rnd == lay.values.end()) fail("the layout record lacks the key 'randomized'");
    if (rnd->second != "0" && rnd->second != "1")
      fail("expected 0 or 1 for layout key 'randomized', found " + show(rnd->second));
    lay.randomized = rnd->second == "1";
    auto rel = lay.values.find("release");
    if (rel == lay.values.end()) fail("the layout record lacks the key 'release'");
    lay.release = rel->second;
    cur_.layout = std::move(lay);
    state_ = State::layout_seen;
  }

  const tr::Trace& need_trace(const char* what) const {
    if (cur_.trace == nullptr)
      fail(std::string("a '") + what + "' record in scenario " + cur_.path +
           ", for which no parsed trace was given");
    return *cur_.trace;
  }

  void result(std::string_view rest) {
    const tr::Trace& t = need_trace("result");
    std::string_view idx_s = next_word(rest);
    std::string_view line_s = next_word(rest);
    std::string_view kind = next_word(rest);
    std::optional<u64> idx = parse_dec(idx_s);
    std::optional<u64> tline = parse_dec(line_s);
    if (!idx || !tline)
      fail("expected 'result INDEX LINE ...' with decimal numbers, found " + show("result " + std::string(idx_s) + " " + std::string(line_s)));
    if (*idx != next_op_) {
      fail("expected the result of operation " + std::to_string(next_op_) + ", found operation " +
           std::to_string(*idx));
    }
    if (*idx >= t.ops.size()) {
      fail("result for operation " + std::to_string(*idx) + ", but the trace " + t.path + " has " +
           std::to_string(t.ops.size()) + " operations");
    }
    const tr::Op& op = t.ops[*idx];
    if (*tline != op.loc.line) {
      fail("operation " + std::to_string(*idx) + " is on line " + std::to_string(op.loc.line) +
           " of " + t.path + ", the record says line " + std::to_string(*tline));
    }
    const bool syscall = op.kind == tr::OpKind::mmap || op.kind == tr::OpKind::munmap ||
                         op.kind == tr::OpKind::mprotect || op.kind == tr::OpKind::mremap ||
                         op.kind == tr::OpKind::mlock || op.kind == tr::OpKind::munlock ||
                         op.kind == tr::OpKind::mlockall || op.kind == tr::OpKind::munlockall ||
                         op.kind == tr::OpKind::madvise ||
                         op.kind == tr::OpKind::brk;
    auto wrong_kind = [&] {
      fail("a '" + std::string(kind) + "' result does not fit operation " + std::to_string(*idx) +
           " (" + op_kind_name(op.kind) + ", line " + std::to_string(op.loc.line) + ")");
    };
    tr::OpResult r;
    std::string_view arg = next_word(rest);
    if (!rest.empty()) fail("expected the end of the result record, found " + show(rest));
    if (kind == "value") {
      if (!syscall) wrong_kind();
      std::optional<u64> v = parse_hex(arg);
      if (!v) fail("expected a 0x-prefixed hex value, found " + show(arg));
      r.kind = tr::OpResult::Kind::value;
      r.value = *v;
    } else if (kind == "error") {
      if (!syscall || op.kind == tr::OpKind::brk) wrong_kind();
      std::optional<int> e = tr::errno_from_str(arg);
      if (!e) fail("expected an errno name such as EINVAL, found " + show(arg));
      r.kind = tr::OpResult::Kind::error;
      r.errnum = *e;
    } else if (kind == "touch") {
      if (op.kind != tr::OpKind::touch) wrong_kind();
      r.kind = tr::OpResult::Kind::touch;
      if (arg == "ok") r.touch = tr::TouchOutcome::ok;
      else if (arg == "SEGV_MAPERR") r.touch = tr::TouchOutcome::segv_maperr;
      else if (arg == "SEGV_ACCERR") r.touch = tr::TouchOutcome::segv_accerr;
      else if (arg == "SIGBUS") r.touch = tr::TouchOutcome::sigbus;
      else fail("expected ok, SEGV_MAPERR, SEGV_ACCERR or SIGBUS, found " + show(arg));
    } else if (kind == "none") {
      if (syscall || op.kind == tr::OpKind::touch) wrong_kind();
      if (!arg.empty()) fail("expected nothing after 'none', found " + show(arg));
    } else if (kind == "refused") {
      if (op.kind == tr::OpKind::expect_maps) wrong_kind();
      if (arg.empty()) fail("expected a reason after 'refused'");
      cur_.refused.push_back(LiveRefusal{*idx, std::string(arg)});
    } else if (kind == "unknown") {
      if (op.kind == tr::OpKind::expect_maps) wrong_kind();
      if (!arg.empty()) fail("expected nothing after 'unknown', found " + show(arg));
      cur_.unknown.push_back(*idx);
    } else {
      fail("expected value, error, touch, none, refused or unknown in the result record, found " +
           show(kind));
    }
    cur_.obs.results[*idx] = r;
    cur_.reported[*idx] = true;
    ++next_op_;
    pending_maps_ = op.kind == tr::OpKind::expect_maps && kind == "none" ? op.maps : -1;
  }

  void maps(std::string_view rest) {
    const tr::Trace& t = need_trace("maps");
    std::optional<u64> k = parse_dec(rest);
    if (!k) fail("expected 'maps INDEX' with a decimal index, found " + show(rest));
    if (*k >= t.maps.size()) {
      fail("snapshot 'maps " + std::to_string(*k) + "', but the trace " + t.path + " has " +
           std::to_string(t.maps.size()) + " expect-maps blocks");
    }
    if (pending_maps_ < 0 || static_cast<u64>(pending_maps_) != *k) {
      fail("a 'maps " + std::to_string(*k) +
           "' block must follow the result of the expect-maps operation with that index");
    }
    pending_maps_ = -1;
    open_block(Block::maps, static_cast<long>(*k));
  }

  void open_block(Block b, long maps_index) {
    block_ = b;
    block_maps_ = maps_index;
    entries_.clear();
    flags_done_ = true;
  }

  std::string block_name() const {
    switch (block_) {
      case Block::initial: return "initial";
      case Block::final: return "final";
      case Block::maps: return "maps " + std::to_string(block_maps_);
      case Block::none: break;
    }
    return "?";
  }

  void block_line(std::string_view kw, std::string_view rest) {
    if (kw == "vma") {
      std::optional<tr::MapsEntry> e = tr::parse_maps_line(rest);
      if (!e) fail("expected a /proc/PID/maps line after 'vma', found " + show(rest));
      entries_.push_back(std::move(*e));
      flags_done_ = false;
      return;
    }
    if (kw == "flags") {
      if (flags_done_) fail("a 'flags' record must follow a 'vma' record (one per VMA)");
      entries_.back().vmflags = std::string(rest);
      flags_done_ = true;
      return;
    }
    if (kw == "end") {
      expect_end(rest, "end");
      close_block();
      return;
    }
    if (kw == "exit") {
      cur_.errors.push_back("the " + block_name() + " snapshot was cut short");
      block_ = Block::none;
      end_scenario(rest);
      return;
    }
    fail("expected 'vma', 'flags' or 'end' in the " + block_name() + " block, found " +
         show(std::string(kw) + (rest.empty() ? "" : " ") + std::string(rest)));
  }

  void close_block() {
    switch (block_) {
      case Block::initial:
        cur_.obs.initial = std::move(entries_);
        cur_.has_initial = true;
        state_ = State::running;
        break;
      case Block::final:
        cur_.obs.final = std::move(entries_);
        cur_.has_final = true;
        state_ = State::final_seen;
        break;
      case Block::maps:
        cur_.obs.snapshots[static_cast<std::size_t>(block_maps_)] = std::move(entries_);
        cur_.snapshot_seen[static_cast<std::size_t>(block_maps_)] = true;
        break;
      case Block::none:
        break;
    }
    entries_.clear();
    block_ = Block::none;
  }

  void end_scenario(std::string_view rest) {
    std::string_view w = next_word(rest);
    LiveExit ex;
    if (w == "0" && rest.empty()) {
      ex.kind = LiveExit::Kind::ok;
    } else if ((w == "code" || w == "signal") && !rest.empty()) {
      std::optional<u64> n = parse_dec(rest);
      if (!n || *n > 0xffff) fail("expected a decimal number after 'exit " + std::string(w) + "', found " + show(rest));
      ex.kind = w == "code" ? LiveExit::Kind::code : LiveExit::Kind::signal;
      ex.number = static_cast<int>(*n);
    } else if (w == "timeout" && rest.empty()) {
      ex.kind = LiveExit::Kind::timeout;
    } else if (w == "not-run" && rest.empty()) {
      ex.kind = LiveExit::Kind::not_run;
    } else {
      fail("expected 'exit 0', 'exit code N', 'exit signal N', 'exit timeout' or 'exit not-run', found " +
           show("exit " + std::string(w) + (rest.empty() ? "" : " ") + std::string(rest)));
    }
    cur_.exit = ex;
    out_.scenarios.push_back(std::move(cur_));
    cur_ = LiveScenario{};
    state_ = State::between;
  }

  void finish() {
    ++line_no_;  // errors at the end refer to the line after the last one
    if (state_ == State::header) fail("expected the header 'mmspec-live 1', found the end of the output");
    if (block_ != Block::none)
      fail("the output ends inside the " + block_name() + " block of scenario " + cur_.path);
    if (state_ != State::between && state_ != State::done)
      fail("the output ends inside scenario " + cur_.path + " (no 'exit' record)");
    if (state_ != State::done) fail("the output ends without 'done' (cut short?)");
  }

  std::string_view text_;
  const TraceLookup& lookup_;
  std::size_t line_no_ = 0;
  State state_ = State::header;
  LiveOutput out_;
  LiveScenario cur_;
  std::size_t next_op_ = 0;
  long pending_maps_ = -1;
  Block block_ = Block::none;
  long block_maps_ = -1;
  std::vector<tr::MapsEntry> entries_;
  bool flags_done_ = true;
};

}  // namespace

std::optional<std::uint64_t> LiveLayout::number(const std::string& key) const {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  if (it->second == "unlimited") return tr::RLIM_INFINITY_VALUE;
  return parse_hex(it->second);
}

bool LiveScenario::comparable() const {
  if (trace == nullptr || !layout || !has_initial || !has_final) return false;
  if (exit.kind != LiveExit::Kind::ok || !errors.empty() || !refused.empty() || !unknown.empty())
    return false;
  for (bool b : reported)
    if (!b) return false;
  for (bool b : snapshot_seen)
    if (!b) return false;
  return true;
}

LiveParseResult parse_live_output(std::string_view text, const TraceLookup& lookup) {
  LiveParseResult res;
  try {
    res.output = Parser(text, lookup).run();
  } catch (const Failure& f) {
    res.error = LiveParseError{f.line, f.message};
  } catch (const std::bad_alloc&) {
    res.error = LiveParseError{0, "out of memory"};
  }
  return res;
}

LiveParseResult parse_live_output(std::string_view text, const std::vector<tr::Trace>& traces) {
  TraceLookup lookup = [&traces](std::string_view path) -> const tr::Trace* {
    for (const tr::Trace& t : traces)
      if (t.path == path) return &t;
    return nullptr;
  };
  return parse_live_output(text, lookup);
}

}  // namespace mmspec::conformance
