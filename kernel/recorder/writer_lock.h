// WriterLock: at most one recorder writes a log at a time.
//
// Two writers on one log would both take the same next sequence number; the
// second one's records would be accepted (Append returns OK) and then lost
// when its first commit collides with the first writer's rows. So a
// recorder takes an exclusive lock before it looks at the log, and a second
// recorder on the same path is refused at open with a message saying so.
//
// The lock is flock(2) on `LOG.lock`, not on the log itself: SQLite keeps
// POSIX byte-range locks on the database file, and closing any other
// descriptor of that file would drop them for the whole process. flock
// locks belong to an open file description, so the lock also excludes a
// second recorder in the same process, and the kernel releases it when the
// holder dies: a crash never leaves a log locked. The holder writes its
// process id into the file (for the refusal message) and removes the file
// when it releases the lock; a process that locked a file that was removed
// meanwhile notices (the path no longer names its file) and tries again.
// The lock is per path name: a log reached through two different names
// (a symbolic or hard link) is not protected against itself.
#ifndef AGENTOS_KERNEL_RECORDER_WRITER_LOCK_H_
#define AGENTOS_KERNEL_RECORDER_WRITER_LOCK_H_

#include <memory>
#include <string>

#include "kernel/status.h"

namespace agentos {

std::string WriterLockPathFor(const std::string& log_path);

class WriterLock {
 public:
  // Takes the lock of the log at `log_path`, or fails at once: StateError
  // if another writer holds it, IoError if the lock file cannot be made.
  static Status Acquire(const std::string& log_path, std::unique_ptr<WriterLock>* out);
  ~WriterLock();  // removes the lock file and releases the lock
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  WriterLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_WRITER_LOCK_H_
