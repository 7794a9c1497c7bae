#include "kernel/recorder/hash_chain.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

namespace agentos {
namespace {

// Fetched once: implicit fetching on every init costs more than hashing a
// short record.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) throw std::runtime_error("OpenSSL: SHA256 is not available");
    return m;
  }();
  return md;
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  MdCtx() {
    if (ctx == nullptr) throw std::bad_alloc();
  }
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
  MdCtx(const MdCtx&) = delete;
  MdCtx& operator=(const MdCtx&) = delete;
};

void Check(int ok, const char* what) {
  if (ok != 1) throw std::runtime_error(std::string("OpenSSL: ") + what + " failed");
}

void Final(EVP_MD_CTX* ctx, Digest* out) {
  unsigned int n = 0;
  Check(EVP_DigestFinal_ex(ctx, out->data(), &n), "EVP_DigestFinal_ex");
  if (n != out->size()) throw std::runtime_error("OpenSSL: unexpected SHA-256 length");
}

}  // namespace

Digest Sha256(std::string_view data) {
  thread_local MdCtx t;
  Digest d;
  Check(EVP_DigestInit_ex(t.ctx, Sha256Md(), nullptr), "EVP_DigestInit_ex");
  Check(EVP_DigestUpdate(t.ctx, data.data(), data.size()), "EVP_DigestUpdate");
  Final(t.ctx, &d);
  return d;
}

bool DigestEqual(const Digest& a, const Digest& b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

// HMAC (RFC 2104) on EVP digests: the inner and outer pads are hashed once
// at construction and each MAC resumes from copies of those states, which
// halves the work for the short messages the chain hashes.
struct ChainHasher::Contexts {
  MdCtx work;
  MdCtx inner;  // after absorbing key ^ ipad (keyed only)
  MdCtx outer;  // after absorbing key ^ opad (keyed only)
};

ChainHasher::ChainHasher(std::span<const std::uint8_t> key) : keyed_(!key.empty()), ctx_(new Contexts) {
  if (!keyed_) return;
  constexpr std::size_t kBlock = 64;
  std::uint8_t block[kBlock] = {};
  if (key.size() > kBlock) {
    Digest k = Sha256(std::string_view(reinterpret_cast<const char*>(key.data()), key.size()));
    std::memcpy(block, k.data(), k.size());
  } else {
    std::memcpy(block, key.data(), key.size());
  }
  std::uint8_t pad[kBlock];
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
  Check(EVP_DigestInit_ex(ctx_->inner.ctx, Sha256Md(), nullptr), "EVP_DigestInit_ex");
  Check(EVP_DigestUpdate(ctx_->inner.ctx, pad, kBlock), "EVP_DigestUpdate");
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
  Check(EVP_DigestInit_ex(ctx_->outer.ctx, Sha256Md(), nullptr), "EVP_DigestInit_ex");
  Check(EVP_DigestUpdate(ctx_->outer.ctx, pad, kBlock), "EVP_DigestUpdate");
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(pad, sizeof pad);
}

ChainHasher::~ChainHasher() = default;

Digest ChainHasher::Tagged(std::string_view tag, std::string_view body) {
  EVP_MD_CTX* c = ctx_->work.ctx;
  const std::uint8_t zero = 0;
  Digest d;
  if (keyed_) {
    Check(EVP_MD_CTX_copy_ex(c, ctx_->inner.ctx), "EVP_MD_CTX_copy_ex");
  } else {
    Check(EVP_DigestInit_ex(c, Sha256Md(), nullptr), "EVP_DigestInit_ex");
  }
  Check(EVP_DigestUpdate(c, tag.data(), tag.size()), "EVP_DigestUpdate");
  Check(EVP_DigestUpdate(c, &zero, 1), "EVP_DigestUpdate");
  Check(EVP_DigestUpdate(c, body.data(), body.size()), "EVP_DigestUpdate");
  Final(c, &d);
  if (keyed_) {
    Check(EVP_MD_CTX_copy_ex(c, ctx_->outer.ctx), "EVP_MD_CTX_copy_ex");
    Check(EVP_DigestUpdate(c, d.data(), d.size()), "EVP_DigestUpdate");
    Final(c, &d);
  }
  return d;
}

Digest ChainHasher::Entry(std::uint64_t seq, std::int64_t time_ns, const Digest& prev, const Digest& content_digest) {
  char body[8 + 8 + 32 + 32];
  std::memcpy(body, &seq, 8);
  std::memcpy(body + 8, &time_ns, 8);
  std::memcpy(body + 16, prev.data(), 32);
  std::memcpy(body + 48, content_digest.data(), 32);
  return Tagged("agentos-audit/entry/v1", std::string_view(body, sizeof body));
}

}  // namespace agentos
