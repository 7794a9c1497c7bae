// The canonical encoding, the hash chain primitives and the UTF-8 helpers:
// the bytes a record's hash covers must be one-to-one with its content.
#include <catch2/catch.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <bit>
#include <functional>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "kernel/recorder/hash_chain.h"
#include "kernel/recorder/record_codec.h"
#include "kernel/utf8.h"

using namespace agentos;

namespace {

AuditRecord SampleRecord() {
  AuditRecord r;
  r.env_id = 7;
  r.agent_id = "agent-\x01\xff";
  r.episode = 3;
  r.step = 12;
  r.kind = ActionKind::kToolCall;
  r.tool = "shell";
  r.payload = std::string("rm -rf /\0tail", 13);
  r.payload_len = 13;
  r.cost_usd = 0.5;
  r.tokens = 99;
  r.allowed = false;
  r.total_violations = 3;
  r.violations = {{"tools", "tool.deny", Severity::kCritical, true, "tool 'shell' is denied"},
                  {"budget", "cost.max", Severity::kHigh, true, "over budget"}};
  r.executed = false;
  r.signals = 5;
  r.reward = -10.0;
  r.penalty = -10.0;
  return r;
}

std::string Encode(const AuditRecord& r) {
  std::vector<ViolationView> views;
  std::string out;
  EncodeContent(r.View(&views), &out);
  return out;
}

}  // namespace

TEST_CASE("a record encodes and decodes to the same content") {
  AuditRecord r = SampleRecord();
  std::string bytes = Encode(r);
  RecordView back;
  std::vector<ViolationView> storage;
  REQUIRE(DecodeContent(bytes, &back, &storage));
  std::string again;
  EncodeContent(back, &again);
  CHECK(again == bytes);
  CHECK(back.payload == r.payload);
  CHECK(back.agent_id == r.agent_id);
  REQUIRE(back.violations.size() == 2);
  CHECK(back.violations[0].reason == "tool 'shell' is denied");
  CHECK(back.violations[1].severity == Severity::kHigh);
  CHECK(*back.reward == -10.0);
}

TEST_CASE("every field of a record changes its encoding") {
  const std::string base = Encode(SampleRecord());
  std::vector<std::function<void(AuditRecord&)>> edits = {
      [](AuditRecord& r) { r.env_id++; },
      [](AuditRecord& r) { r.agent_id += "x"; },
      [](AuditRecord& r) { r.episode++; },
      [](AuditRecord& r) { r.step++; },
      [](AuditRecord& r) { r.kind = ActionKind::kSql; },
      [](AuditRecord& r) { r.tool = "shel"; },
      [](AuditRecord& r) { r.payload[0] = 'R'; },
      [](AuditRecord& r) { r.payload_form = PayloadForm::kTruncated; },
      [](AuditRecord& r) { r.payload_len++; },
      [](AuditRecord& r) { r.cost_usd = 0.25; },
      [](AuditRecord& r) { r.tokens++; },
      [](AuditRecord& r) { r.allowed = true; },
      [](AuditRecord& r) { r.total_violations = 2; },
      [](AuditRecord& r) { r.violations.pop_back(); },
      [](AuditRecord& r) { r.violations[0].policy = "tool"; },
      [](AuditRecord& r) { r.violations[0].rule = "tool.allow"; },
      [](AuditRecord& r) { r.violations[0].severity = Severity::kLow; },
      [](AuditRecord& r) { r.violations[0].blocked = false; },
      [](AuditRecord& r) { r.violations[1].reason += "!"; },
      [](AuditRecord& r) { std::swap(r.violations[0], r.violations[1]); },
      [](AuditRecord& r) { r.executed = true; },
      [](AuditRecord& r) { r.signals = 4; },
      [](AuditRecord& r) { r.reward.reset(); },
      [](AuditRecord& r) { r.reward = -9.0; },
      [](AuditRecord& r) { r.penalty.reset(); },
      [](AuditRecord& r) { r.penalty = 0.0; },
      // Moving bytes between adjacent strings must not collide either.
      [](AuditRecord& r) { r.violations[0].policy = "toolstool.deny"; r.violations[0].rule = ""; },
  };
  for (std::size_t i = 0; i < edits.size(); ++i) {
    AuditRecord r = SampleRecord();
    edits[i](r);
    INFO("edit " << i);
    CHECK(Encode(r) != base);
  }
}

TEST_CASE("doubles are canonical: -0 and every NaN have one encoding") {
  CHECK(std::bit_cast<std::uint64_t>(CanonicalDouble(-0.0)) == std::bit_cast<std::uint64_t>(0.0));
  double other_nan = std::bit_cast<double>(std::uint64_t{0x7ff8000000000123ULL});
  CHECK(std::bit_cast<std::uint64_t>(CanonicalDouble(other_nan)) ==
        std::bit_cast<std::uint64_t>(std::numeric_limits<double>::quiet_NaN()));
  AuditRecord a = SampleRecord(), b = SampleRecord();
  a.cost_usd = -0.0;
  b.cost_usd = 0.0;
  CHECK(Encode(a) == Encode(b));
}

TEST_CASE("malformed encodings are refused, never read past their end") {
  const std::string good = Encode(SampleRecord());
  RecordView v;
  std::vector<ViolationView> storage;
  for (std::size_t n = 0; n < good.size(); ++n) {
    INFO("prefix " << n);
    CHECK_FALSE(DecodeContent(std::string_view(good).substr(0, n), &v, &storage));
  }
  CHECK_FALSE(DecodeContent(good + "x", &v, &storage));
  std::string bad_version = good;
  bad_version[0] = 2;
  CHECK_FALSE(DecodeContent(bad_version, &v, &storage));
}

TEST_CASE("HMAC-SHA-256 of the chain agrees with OpenSSL's HMAC for short and long keys") {
  for (std::size_t key_len : {1u, 32u, 64u, 65u, 200u}) {
    std::vector<std::uint8_t> key(key_len);
    for (std::size_t i = 0; i < key_len; ++i) key[i] = static_cast<std::uint8_t>(i * 7 + 1);
    ChainHasher h(key);
    REQUIRE(h.keyed());
    Digest got = h.Tagged("tag", "body bytes");
    std::string msg = std::string("tag") + std::string(1, '\0') + "body bytes";
    unsigned char want[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(msg.data()),
         msg.size(), want, &n);
    REQUIRE(n == 32);
    CHECK(std::equal(got.begin(), got.end(), want));
    // Reusing the hasher gives the same answer (the pads are copied, not consumed).
    CHECK(h.Tagged("tag", "body bytes") == got);
  }
}

TEST_CASE("unkeyed chain is plain SHA-256 and differs from any keyed one") {
  ChainHasher plain({});
  CHECK_FALSE(plain.keyed());
  std::string msg = std::string("t") + std::string(1, '\0') + "b";
  CHECK(plain.Tagged("t", "b") == Sha256(msg));
  std::vector<std::uint8_t> key = {1, 2, 3};
  ChainHasher keyed(key);
  CHECK(keyed.Tagged("t", "b") != plain.Tagged("t", "b"));
  Digest prev{}, content{};
  CHECK(plain.Entry(1, 5, prev, content) != plain.Entry(2, 5, prev, content));
  CHECK(plain.Entry(1, 5, prev, content) != plain.Entry(1, 6, prev, content));
}

TEST_CASE("SHA-256 matches a published test vector") {
  CHECK(ToHex(Sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("UTF-8 helpers keep valid text and never split a character") {
  CHECK(IsValidUtf8("plain ascii"));
  CHECK(IsValidUtf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(IsValidUtf8("\xc3"));
  CHECK_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  CHECK_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  CHECK(ToValidUtf8("a\xff" "b") == "a\xef\xbf\xbd" "b");
  std::string euro = "\xe2\x82\xac\xe2\x82\xac";  // two 3-byte characters
  CHECK(Utf8Prefix(euro, 4) == "\xe2\x82\xac");
  CHECK(Utf8Prefix(euro, 3) == "\xe2\x82\xac");
  CHECK(Utf8Prefix(euro, 2).empty());
  CHECK(Utf8Prefix("abc", 10) == "abc");
}
