// The C API's guards around opening a recorder: a second writer on a log is
// refused with AGENTOS_STATE and a message naming the holder, and an empty
// HMAC key (a non-NULL pointer with length 0) is refused instead of quietly
// making an unkeyed log.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "agentos.h"
#include "tests/recorder/recorder_support.h"

using agentos::testing::TempDir;

TEST_CASE("C API: a second recorder on an open log is AGENTOS_STATE with the holder in agentos_errmsg") {
  TempDir dir;
  const std::string path = dir.File("c.db");
  agentos_recorder* first = nullptr;
  REQUIRE(agentos_recorder_open(path.c_str(), nullptr, &first) == AGENTOS_OK);
  agentos_recorder* second = nullptr;
  CHECK(agentos_recorder_open(path.c_str(), nullptr, &second) == AGENTOS_STATE);
  CHECK(second == nullptr);
  CHECK(std::string(agentos_errmsg()) ==
        "agentos_recorder_open: " + path + ": another recorder is writing this log (process " +
            std::to_string(getpid()) + " holds " + path +
            ".lock); a log has one writer at a time: close that recorder first, or record into another file");
  REQUIRE(agentos_recorder_close(first) == AGENTOS_OK);
  agentos_recorder_free(first);
  REQUIRE(agentos_recorder_open(path.c_str(), nullptr, &second) == AGENTOS_OK);
  REQUIRE(agentos_recorder_close(second) == AGENTOS_OK);
  agentos_recorder_free(second);
}

TEST_CASE("C API: an empty HMAC key is refused at open and at verify, and no log is made") {
  TempDir dir;
  const std::string path = dir.File("c.db");
  const std::uint8_t key_storage[1] = {0};
  agentos_recorder_options o;
  REQUIRE(agentos_recorder_options_init(&o) == AGENTOS_OK);
  o.hmac_key = key_storage;
  o.hmac_key_len = 0;
  agentos_recorder* rec = nullptr;
  CHECK(agentos_recorder_open(path.c_str(), &o, &rec) == AGENTOS_INVALID);
  CHECK(rec == nullptr);
  CHECK(std::string(agentos_errmsg()) ==
        "agentos_recorder_open: hmac_key is empty: an HMAC key needs at least one byte (pass NULL for an unkeyed "
        "SHA-256 log)");
  CHECK_FALSE(std::filesystem::exists(path));

  REQUIRE(agentos_recorder_open(path.c_str(), nullptr, &rec) == AGENTOS_OK);
  REQUIRE(agentos_recorder_close(rec) == AGENTOS_OK);
  agentos_recorder_free(rec);
  agentos_audit_verify_result v{};
  v.struct_size = sizeof v;
  CHECK(agentos_audit_verify(path.c_str(), key_storage, 0, &v) == AGENTOS_INVALID);
  CHECK(std::string(agentos_errmsg()) ==
        "agentos_audit_verify: key is empty (pass NULL to verify an unkeyed log)");
  CHECK(agentos_audit_verify(path.c_str(), nullptr, 0, &v) == AGENTOS_OK);
  CHECK(v.valid == 1);
}
