#include "kernel/recorder/log_header.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

namespace agentos {
namespace {

template <typename T>
void Put(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

std::string DoubleText(double v) {
  char buf[32];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

template <typename T>
bool ParseNumber(const std::string& s, T* out) {
  auto res = std::from_chars(s.data(), s.data() + s.size(), *out);
  return res.ec == std::errc() && res.ptr == s.data() + s.size();
}

bool ParseDigest(const std::string& hex, Digest* out) {
  std::vector<std::uint8_t> bytes;
  if (!FromHex(hex, &bytes) || bytes.size() != out->size()) return false;
  std::memcpy(out->data(), bytes.data(), bytes.size());
  return true;
}

}  // namespace

std::string_view ToString(Durability d) {
  switch (d) {
    case Durability::kSync: return "sync";
    case Durability::kRelaxed: return "relaxed";
  }
  return "invalid";
}

std::string LogHeader::ChainEncoding() const {
  std::string out(kLogFormatName);
  Put<std::uint32_t>(&out, static_cast<std::uint32_t>(version));
  out.append(file_id_view());
  Put<std::int64_t>(&out, created_ns);
  Put<std::uint8_t>(&out, static_cast<std::uint8_t>(level));
  Put<std::uint64_t>(&out, std::bit_cast<std::uint64_t>(sample_rate));
  Put<std::uint8_t>(&out, keyed ? 1 : 0);
  if (version == 1) return out;
  // Format 2: the rest of the header. key_check is all zeros when unkeyed.
  out.append(reinterpret_cast<const char*>(key_check.data()), key_check.size());
  Put<std::uint8_t>(&out, static_cast<std::uint8_t>(durability));
  Put<std::uint32_t>(&out, payload_max_bytes);
  Put<std::uint8_t>(&out, redact_payloads ? 1 : 0);
  return out;
}

std::map<std::string, std::string> LogHeader::ToMeta() const {
  std::map<std::string, std::string> m;
  m["format"] = std::string(kLogFormatName);
  m["version"] = std::to_string(version);
  m["file_id"] = ToHex(file_id);
  m["created_ns"] = std::to_string(created_ns);
  m["level"] = std::string(ToString(level));
  m["sample_rate"] = DoubleText(sample_rate);
  m["hash"] = keyed ? "hmac-sha256" : "sha256";
  m["key_check"] = keyed ? ToHex(key_check) : "";
  m["genesis"] = ToHex(genesis);
  m["durability"] = std::string(ToString(durability));
  m["payload_max_bytes"] = std::to_string(payload_max_bytes);
  m["redact_payloads"] = redact_payloads ? "1" : "0";
  return m;
}

Status LogHeader::FromMeta(const std::map<std::string, std::string>& m, LogHeader* out) {
  auto get = [&](const char* key, std::string* v) {
    auto it = m.find(key);
    if (it == m.end()) return false;
    *v = it->second;
    return true;
  };
  auto bad = [](const char* key, const std::string& why) {
    return Status::ParseError(std::string("log header: ") + key + " " + why);
  };
  std::string v;
  if (!get("format", &v)) return bad("format", "is missing (not an agentos audit log, or a half-written one)");
  if (v != kLogFormatName) return bad("format", "is '" + v + "', not 'agentos-audit'");
  if (!get("version", &v)) return bad("version", "is missing");
  LogHeader h;
  if (!ParseNumber(v, &h.version) || h.version < kOldestLogFormatVersion || h.version > kLogFormatVersion ||
      v != std::to_string(h.version)) {
    return bad("version", "is " + v + "; this build reads versions " + std::to_string(kOldestLogFormatVersion) +
                              " to " + std::to_string(kLogFormatVersion));
  }
  std::vector<std::uint8_t> id;
  if (!get("file_id", &v) || !FromHex(v, &id) || id.size() != h.file_id.size()) return bad("file_id", "is missing or malformed");
  std::memcpy(h.file_id.data(), id.data(), id.size());
  if (!get("created_ns", &v) || !ParseNumber(v, &h.created_ns)) return bad("created_ns", "is missing or malformed");
  if (!get("level", &v)) return bad("level", "is missing");
  auto level = ParseRecordLevel(v);
  if (!level) return bad("level", "is '" + v + "' (expected all or violations)");
  h.level = *level;
  if (!get("sample_rate", &v) || !ParseNumber(v, &h.sample_rate) || !(h.sample_rate >= 0.0 && h.sample_rate <= 1.0)) {
    return bad("sample_rate", "is missing or not in [0, 1]");
  }
  if (!get("hash", &v) || (v != "sha256" && v != "hmac-sha256")) return bad("hash", "is missing or unknown");
  h.keyed = v == "hmac-sha256";
  if (!get("key_check", &v)) return bad("key_check", "is missing");
  if (h.keyed ? !ParseDigest(v, &h.key_check) : !v.empty()) return bad("key_check", "is malformed");
  if (!get("genesis", &v) || !ParseDigest(v, &h.genesis)) return bad("genesis", "is missing or malformed");
  if (h.version == 1) {
    // Format 1: informational fields, tolerated when absent or odd, never trusted.
    if (get("durability", &v)) h.durability = v == "relaxed" ? Durability::kRelaxed : Durability::kSync;
    if (get("payload_max_bytes", &v)) ParseNumber(v, &h.payload_max_bytes);
    if (get("redact_payloads", &v)) h.redact_payloads = v == "1";
    *out = h;
    return Status::Ok();
  }
  // Format 2: every field is bound into the chain, so each must be exactly
  // what the writer wrote, and nothing else may be in the header.
  if (!get("durability", &v) || (v != "sync" && v != "relaxed")) {
    return bad("durability", "is missing or not sync/relaxed");
  }
  h.durability = v == "relaxed" ? Durability::kRelaxed : Durability::kSync;
  if (!get("payload_max_bytes", &v) || !ParseNumber(v, &h.payload_max_bytes) ||
      v != std::to_string(h.payload_max_bytes)) {
    return bad("payload_max_bytes", "is missing or malformed");
  }
  if (!get("redact_payloads", &v) || (v != "0" && v != "1")) return bad("redact_payloads", "is missing or not 0/1");
  h.redact_payloads = v == "1";
  const std::map<std::string, std::string> canonical = h.ToMeta();
  for (const auto& [key, value] : m) {
    if (canonical.count(key) == 0) {
      return Status::ParseError("log header: unknown field '" + key + "' (a format-2 header holds only its own fields)");
    }
  }
  *out = h;
  return Status::Ok();
}

}  // namespace agentos
