#include "mmspec/types.hpp"

namespace mmspec {

std::string_view profile_name(Profile p) {
  switch (p) {
    case Profile::linux_5_10: return "linux-5.10";
    case Profile::linux_6_1: return "linux-6.1";
    case Profile::linux_6_18: return "linux-6.18";
  }
  return "?";
}

std::optional<Profile> parse_profile(std::string_view name) {
  for (Profile p : all_profiles)
    if (profile_name(p) == name) return p;
  return std::nullopt;
}

}  // namespace mmspec
