// Linux errno names <-> values, for trace expectations (`-> EINVAL`) and result rendering.
// The values come from <cerrno>, which on Linux are the kernel's (include/uapi/asm-generic/
// errno-base.h and errno.h); the table lists every errno the kernel defines for user space.
#include <cerrno>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mmspec/trace.hpp"

namespace mmspec::trace {
namespace {

struct ErrnoName {
  int value;
  std::string_view name;
};

#define MMSPEC_ERRNO(e) ErrnoName{e, #e}

// Primary names, in the kernel's numeric order. errno_str() returns the first name with a
// given value.
constexpr ErrnoName kErrnos[] = {
    MMSPEC_ERRNO(EPERM),           MMSPEC_ERRNO(ENOENT),       MMSPEC_ERRNO(ESRCH),
    MMSPEC_ERRNO(EINTR),           MMSPEC_ERRNO(EIO),          MMSPEC_ERRNO(ENXIO),
    MMSPEC_ERRNO(E2BIG),           MMSPEC_ERRNO(ENOEXEC),      MMSPEC_ERRNO(EBADF),
    MMSPEC_ERRNO(ECHILD),          MMSPEC_ERRNO(EAGAIN),       MMSPEC_ERRNO(ENOMEM),
    MMSPEC_ERRNO(EACCES),          MMSPEC_ERRNO(EFAULT),       MMSPEC_ERRNO(ENOTBLK),
    MMSPEC_ERRNO(EBUSY),           MMSPEC_ERRNO(EEXIST),       MMSPEC_ERRNO(EXDEV),
    MMSPEC_ERRNO(ENODEV),          MMSPEC_ERRNO(ENOTDIR),      MMSPEC_ERRNO(EISDIR),
    MMSPEC_ERRNO(EINVAL),          MMSPEC_ERRNO(ENFILE),       MMSPEC_ERRNO(EMFILE),
    MMSPEC_ERRNO(ENOTTY),          MMSPEC_ERRNO(ETXTBSY),      MMSPEC_ERRNO(EFBIG),
    MMSPEC_ERRNO(ENOSPC),          MMSPEC_ERRNO(ESPIPE),       MMSPEC_ERRNO(EROFS),
    MMSPEC_ERRNO(EMLINK),          MMSPEC_ERRNO(EPIPE),        MMSPEC_ERRNO(EDOM),
    MMSPEC_ERRNO(ERANGE),          MMSPEC_ERRNO(EDEADLK),      MMSPEC_ERRNO(ENAMETOOLONG),
    MMSPEC_ERRNO(ENOLCK),          MMSPEC_ERRNO(ENOSYS),       MMSPEC_ERRNO(ENOTEMPTY),
    MMSPEC_ERRNO(ELOOP),           MMSPEC_ERRNO(ENOMSG),       MMSPEC_ERRNO(EIDRM),
    MMSPEC_ERRNO(ECHRNG),          MMSPEC_ERRNO(EL2NSYNC),     MMSPEC_ERRNO(EL3HLT),
    MMSPEC_ERRNO(EL3RST),          MMSPEC_ERRNO(ELNRNG),       MMSPEC_ERRNO(EUNATCH),
    MMSPEC_ERRNO(ENOCSI),          MMSPEC_ERRNO(EL2HLT),       MMSPEC_ERRNO(EBADE),
    MMSPEC_ERRNO(EBADR),           MMSPEC_ERRNO(EXFULL),       MMSPEC_ERRNO(ENOANO),
    MMSPEC_ERRNO(EBADRQC),         MMSPEC_ERRNO(EBADSLT),      MMSPEC_ERRNO(EBFONT),
    MMSPEC_ERRNO(ENOSTR),          MMSPEC_ERRNO(ENODATA),      MMSPEC_ERRNO(ETIME),
    MMSPEC_ERRNO(ENOSR),           MMSPEC_ERRNO(ENONET),       MMSPEC_ERRNO(ENOPKG),
    MMSPEC_ERRNO(EREMOTE),         MMSPEC_ERRNO(ENOLINK),      MMSPEC_ERRNO(EADV),
    MMSPEC_ERRNO(ESRMNT),          MMSPEC_ERRNO(ECOMM),        MMSPEC_ERRNO(EPROTO),
    MMSPEC_ERRNO(EMULTIHOP),       MMSPEC_ERRNO(EDOTDOT),      MMSPEC_ERRNO(EBADMSG),
    MMSPEC_ERRNO(EOVERFLOW),       MMSPEC_ERRNO(ENOTUNIQ),     MMSPEC_ERRNO(EBADFD),
    MMSPEC_ERRNO(EREMCHG),         MMSPEC_ERRNO(ELIBACC),      MMSPEC_ERRNO(ELIBBAD),
    MMSPEC_ERRNO(ELIBSCN),         MMSPEC_ERRNO(ELIBMAX),      MMSPEC_ERRNO(ELIBEXEC),
    MMSPEC_ERRNO(EILSEQ),          MMSPEC_ERRNO(ERESTART),     MMSPEC_ERRNO(ESTRPIPE),
    MMSPEC_ERRNO(EUSERS),          MMSPEC_ERRNO(ENOTSOCK),     MMSPEC_ERRNO(EDESTADDRREQ),
    MMSPEC_ERRNO(EMSGSIZE),        MMSPEC_ERRNO(EPROTOTYPE),   MMSPEC_ERRNO(ENOPROTOOPT),
    MMSPEC_ERRNO(EPROTONOSUPPORT), MMSPEC_ERRNO(ESOCKTNOSUPPORT), MMSPEC_ERRNO(EOPNOTSUPP),
    MMSPEC_ERRNO(EPFNOSUPPORT),    MMSPEC_ERRNO(EAFNOSUPPORT), MMSPEC_ERRNO(EADDRINUSE),
    MMSPEC_ERRNO(EADDRNOTAVAIL),   MMSPEC_ERRNO(ENETDOWN),     MMSPEC_ERRNO(ENETUNREACH),
    MMSPEC_ERRNO(ENETRESET),       MMSPEC_ERRNO(ECONNABORTED), MMSPEC_ERRNO(ECONNRESET),
    MMSPEC_ERRNO(ENOBUFS),         MMSPEC_ERRNO(EISCONN),      MMSPEC_ERRNO(ENOTCONN),
    MMSPEC_ERRNO(ESHUTDOWN),       MMSPEC_ERRNO(ETOOMANYREFS), MMSPEC_ERRNO(ETIMEDOUT),
    MMSPEC_ERRNO(ECONNREFUSED),    MMSPEC_ERRNO(EHOSTDOWN),    MMSPEC_ERRNO(EHOSTUNREACH),
    MMSPEC_ERRNO(EALREADY),        MMSPEC_ERRNO(EINPROGRESS),  MMSPEC_ERRNO(ESTALE),
    MMSPEC_ERRNO(EUCLEAN),         MMSPEC_ERRNO(ENOTNAM),      MMSPEC_ERRNO(ENAVAIL),
    MMSPEC_ERRNO(EISNAM),          MMSPEC_ERRNO(EREMOTEIO),    MMSPEC_ERRNO(EDQUOT),
    MMSPEC_ERRNO(ENOMEDIUM),       MMSPEC_ERRNO(EMEDIUMTYPE),  MMSPEC_ERRNO(ECANCELED),
    MMSPEC_ERRNO(ENOKEY),          MMSPEC_ERRNO(EKEYEXPIRED),  MMSPEC_ERRNO(EKEYREVOKED),
    MMSPEC_ERRNO(EKEYREJECTED),    MMSPEC_ERRNO(EOWNERDEAD),   MMSPEC_ERRNO(ENOTRECOVERABLE),
    MMSPEC_ERRNO(ERFKILL),         MMSPEC_ERRNO(EHWPOISON),
};

// Other names for the same values; accepted on input, never printed.
constexpr ErrnoName kAliases[] = {
    MMSPEC_ERRNO(EWOULDBLOCK),
    MMSPEC_ERRNO(EDEADLOCK),
    MMSPEC_ERRNO(ENOTSUP),
};

#undef MMSPEC_ERRNO

// The fallback spelling for a value without a name: "E?" followed by the decimal value.
constexpr std::string_view kUnnamedPrefix = "E?";

}  // namespace

std::string errno_str(int e) {
  for (const ErrnoName& n : kErrnos) {
    if (n.value == e) return std::string(n.name);
  }
  return std::string(kUnnamedPrefix) + std::to_string(e);
}

std::optional<int> errno_from_str(std::string_view s) {
  for (const ErrnoName& n : kErrnos) {
    if (n.name == s) return n.value;
  }
  for (const ErrnoName& n : kAliases) {
    if (n.name == s) return n.value;
  }
  if (s.size() > kUnnamedPrefix.size() && s.substr(0, kUnnamedPrefix.size()) == kUnnamedPrefix) {
    std::string_view digits = s.substr(kUnnamedPrefix.size());
    std::size_t i = (digits[0] == '-') ? 1 : 0;
    if (i == digits.size()) return std::nullopt;
    for (std::size_t k = i; k < digits.size(); ++k) {
      if (digits[k] < '0' || digits[k] > '9') return std::nullopt;
    }
    int v = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec != std::errc() || p != digits.data() + digits.size()) return std::nullopt;
    return v;
  }
  return std::nullopt;
}

}  // namespace mmspec::trace
