#include "kernel/recorder/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace agentos {
namespace {

constexpr std::string_view kMagic = "agentos-audit-checkpoint 1";
constexpr std::size_t kMaxFileBytes = 4096;

template <typename T>
void Put(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string DirectoryOf(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

template <typename T>
bool ParseNumber(std::string_view s, T* out) {
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool ParseDigest(std::string_view hex, Digest* out) {
  std::vector<std::uint8_t> bytes;
  if (!FromHex(hex, &bytes) || bytes.size() != out->size()) return false;
  std::memcpy(out->data(), bytes.data(), bytes.size());
  return true;
}

}  // namespace

Digest Checkpoint::ComputeMac(ChainHasher& hasher, std::string_view file_id) const {
  std::string body(file_id);
  Put<std::uint64_t>(&body, records);
  body.append(reinterpret_cast<const char*>(head.data()), head.size());
  Put<std::uint64_t>(&body, decisions);
  Put<std::uint8_t>(&body, closed ? 1 : 0);
  Put<std::int64_t>(&body, time_ns);
  return hasher.Tagged("agentos-audit/checkpoint/v1", body);
}

std::string CheckpointPathFor(std::string_view log_path) { return std::string(log_path) + ".checkpoint"; }

Status WriteCheckpointFile(const std::string& path, std::string_view file_id, const Checkpoint& cp, bool sync) {
  std::ostringstream text;
  text << kMagic << "\n"
       << "file_id " << ToHex({reinterpret_cast<const std::uint8_t*>(file_id.data()), file_id.size()}) << "\n"
       << "records " << cp.records << "\n"
       << "head " << ToHex(cp.head) << "\n"
       << "decisions " << cp.decisions << "\n"
       << "closed " << (cp.closed ? 1 : 0) << "\n"
       << "time_ns " << cp.time_ns << "\n"
       << "mac " << ToHex(cp.mac) << "\n";
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError(Errno("cannot create checkpoint file " + tmp));
  bool ok = WriteAll(fd, text.str());
  int saved = errno;
  if (ok && sync && ::fsync(fd) != 0) {
    ok = false;
    saved = errno;
  }
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    errno = saved;
    return Status::IoError(Errno("cannot write checkpoint file " + tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    return Status::IoError(Errno("cannot replace checkpoint file " + path));
  }
  if (sync) {
    // The rename itself is durable only once the directory is.
    int dfd = ::open(DirectoryOf(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return Status::IoError(Errno("cannot open the directory of " + path));
    int rc = ::fsync(dfd);
    saved = errno;
    ::close(dfd);
    if (rc != 0) {
      errno = saved;
      return Status::IoError(Errno("cannot fsync the directory of " + path));
    }
  }
  return Status::Ok();
}

Status ReadCheckpointFile(const std::string& path, std::string* file_id, Checkpoint* out) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::NotFound("checkpoint file " + path + " does not exist");
    return Status::IoError(Errno("cannot read checkpoint file " + path));
  }
  if (!S_ISREG(st.st_mode)) return Status::ParseError("checkpoint file " + path + " is not a regular file");
  if (st.st_size > static_cast<off_t>(kMaxFileBytes)) return Status::ParseError("checkpoint file " + path + " is too large");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot open checkpoint file " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return ParseCheckpointText(text, "checkpoint file " + path, file_id, out);
}

Status ParseCheckpointText(std::string_view text, const std::string& name, std::string* file_id, Checkpoint* out) {
  if (text.size() > kMaxFileBytes) return Status::ParseError(name + " is too large");
  auto malformed = [&](const std::string& why) {
    return Status::ParseError(name + " is malformed: " + why);
  };
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    if (nl == std::string_view::npos) return malformed("last line is not terminated");
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  static constexpr const char* kKeys[] = {"file_id", "records", "head", "decisions", "closed", "time_ns", "mac"};
  if (lines.size() != 1 + std::size(kKeys) || lines[0] != kMagic) return malformed("unexpected layout");
  std::string_view values[std::size(kKeys)];
  for (std::size_t i = 0; i < std::size(kKeys); ++i) {
    std::string_view line = lines[i + 1];
    std::string_view key = kKeys[i];
    if (line.size() <= key.size() + 1 || line.substr(0, key.size()) != key || line[key.size()] != ' ') {
      return malformed("expected '" + std::string(key) + "' on line " + std::to_string(i + 2));
    }
    values[i] = line.substr(key.size() + 1);
  }
  Checkpoint cp;
  std::vector<std::uint8_t> id;
  int closed = 0;
  if (!FromHex(values[0], &id) || id.size() != 16) return malformed("bad file_id");
  if (!ParseNumber(values[1], &cp.records)) return malformed("bad records");
  if (!ParseDigest(values[2], &cp.head)) return malformed("bad head");
  if (!ParseNumber(values[3], &cp.decisions)) return malformed("bad decisions");
  if (!ParseNumber(values[4], &closed) || (closed != 0 && closed != 1)) return malformed("bad closed");
  if (!ParseNumber(values[5], &cp.time_ns)) return malformed("bad time_ns");
  if (!ParseDigest(values[6], &cp.mac)) return malformed("bad mac");
  cp.closed = closed == 1;
  file_id->assign(reinterpret_cast<const char*>(id.data()), id.size());
  *out = cp;
  return Status::Ok();
}

}  // namespace agentos
