#include "kernel/recorder/writer_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace agentos {
namespace {

bool SameFile(int fd, const std::string& path) {
  struct stat by_fd, by_path;
  if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0) return false;
  return by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

// The holder's process id as it wrote it, or "" (not written yet, or junk).
std::string HolderPid(int fd) {
  char buf[24];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "";
  std::string_view text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string_view::npos) return "";
  return std::string(text);
}

}  // namespace

std::string WriterLockPathFor(const std::string& log_path) { return log_path + ".lock"; }

Status WriterLock::Acquire(const std::string& log_path, std::unique_ptr<WriterLock>* out) {
  const std::string path = WriterLockPathFor(log_path);
  // Each retry means another writer removed the file between our open and
  // our lock, i.e. it released the log just then; a handful is plenty.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
      return Status::IoError(log_path + ": cannot open the writer lock file " + path + " (" + std::strerror(errno) +
                             ")");
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string pid = err == EWOULDBLOCK ? HolderPid(fd) : "";
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::StateError(log_path + ": another recorder is writing this log (" +
                                  (pid.empty() ? std::string("a process") : "process " + pid) + " holds " + path +
                                  "); a log has one writer at a time: close that recorder first, or record into "
                                  "another file");
      }
      return Status::IoError(log_path + ": cannot lock " + path + " (" + std::strerror(err) + ")");
    }
    if (!SameFile(fd, path)) {
      ::close(fd);  // the previous holder removed it after we opened it
      continue;
    }
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      // Only the refusal message reads it; the lock itself holds regardless.
    }
    out->reset(new WriterLock(fd, path));
    return Status::Ok();
  }
  return Status::StateError(log_path + ": cannot take the writer lock " + path +
                            ": other recorders keep opening and closing this log");
}

WriterLock::~WriterLock() {
  // Remove the file while still holding the lock, so nobody can lock it
  // between removal and release and believe they hold the log.
  if (SameFile(fd_, path_)) ::unlink(path_.c_str());
  ::close(fd_);
}

}  // namespace agentos
