#include "common.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace mmspec::cli {

Loaded load_trace(const std::string& path) {
  Loaded l;
  l.path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    l.error = trace::ParseError{path, {0, 0}, "cannot read the file"};
    return l;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  l.text = ss.str();
  trace::ParseResult r = trace::parse(l.text, path);
  l.trace = std::move(r.trace);
  l.error = std::move(r.error);
  return l;
}

std::vector<std::string> expand_paths(const std::vector<std::string>& args) {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const std::string& a : args) {
    std::error_code ec;
    if (fs::is_directory(a, ec)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(a, ec))
        if (e.is_regular_file() && e.path().extension() == ".mmt") found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(a);
    }
  }
  return out;
}

std::string source_line(const std::string& text, std::uint32_t n) {
  std::size_t pos = 0;
  for (std::uint32_t i = 1; i < n && pos != std::string::npos; ++i) {
    pos = text.find('\n', pos);
    if (pos != std::string::npos) ++pos;
  }
  if (pos == std::string::npos || pos > text.size()) return "";
  std::size_t end = text.find('\n', pos);
  std::string s = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

std::optional<Profile> profile_option(const std::string& name) {
  if (name.empty()) return std::nullopt;
  return parse_profile(name);
}

nlohmann::json mismatch_json(const Mismatch& m) {
  return {{"line", m.loc.line}, {"col", m.loc.col}, {"what", m.what},
          {"expected", m.expected}, {"actual", m.actual}};
}

void print_mismatch(const std::string& path, const Mismatch& m) {
  std::cout << "  " << path << ":" << m.loc.line << ": " << m.what << "\n";
  if (m.expected.empty() && m.actual.empty()) return;
  for (const auto& l : m.expected) std::cout << "    - " << l << "\n";
  for (const auto& l : m.actual) std::cout << "    + " << l << "\n";
}

}  // namespace mmspec::cli
