// The canonical byte encoding of a record's content: the exact bytes the
// content digest (and so the entry hash) covers. The recorder's producers
// encode it, the writer decodes it to fill the table columns, and the
// verifier re-encodes what it reads back from the table, so the three can
// only agree if every column still holds what was recorded.
//
// Format v1, all integers little-endian, strings as u32 length + bytes:
//   u8 version(=1) | u64 env_id | str agent_id | u64 episode | u32 step |
//   u8 kind | str tool | u8 payload_form | u64 payload_len | str payload |
//   f64 cost_usd | i64 tokens | u8 allowed | u32 total_violations |
//   u32 kept | kept x (str policy | str rule | u8 severity | u8 blocked | str reason) |
//   u8 executed | u32 signals | u8 has_reward | f64 reward | u8 has_penalty | f64 penalty
// Format v2, for a record of a numeric action: v1 with version 2, then
//   str action_values | str action_state
// (numeric_text.h; at least one non-empty). A record with neither is always
// encoded as v1, so records of every other kind, and every log written
// before v2, hash exactly as before.
// Doubles are encoded by their IEEE-754 bits after CanonicalDouble (so -0.0
// and the many NaNs each have one form); an absent reward encodes as 0 bits.
#ifndef AGENTOS_KERNEL_RECORDER_RECORD_CODEC_H_
#define AGENTOS_KERNEL_RECORDER_RECORD_CODEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "kernel/recorder/audit_record.h"

namespace agentos {

inline constexpr std::uint8_t kRecordCodecVersion = 1;
inline constexpr std::uint8_t kRecordCodecNumericVersion = 2;

// -0.0 -> +0.0 and every NaN -> the one quiet NaN, because the SQLite column
// that stores the value cannot tell them apart.
double CanonicalDouble(double v);

// Appends the encoding of `view` to `out` (which is not cleared).
void EncodeContent(const RecordView& view, std::string* out);

// Decodes exactly one encoding occupying all of `bytes`. String views and
// violation views point into `bytes`; `violations` is reused storage.
// Returns false on any malformed or trailing input.
bool DecodeContent(std::string_view bytes, RecordView* out, std::vector<ViolationView>* violations);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_RECORD_CODEC_H_
