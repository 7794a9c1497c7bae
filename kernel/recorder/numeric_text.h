// A numeric action's values (and the task state it was judged in) as the
// flight recorder stores them: shortest round-trip decimals (std::to_chars)
// separated by commas, e.g. "1" or "0.0123,-0.5,0.02,1e-07". The text is
// what the record's hash covers and what `agentos audit export` reads back,
// so every value is exact and every tool renders it alike. Only a recorded
// step renders it; the unrecorded hot path never does.
#ifndef AGENTOS_KERNEL_RECORDER_NUMERIC_TEXT_H_
#define AGENTOS_KERNEL_RECORDER_NUMERIC_TEXT_H_

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace agentos {

// At most this many values are rendered; a longer list (a large state)
// ends in ",..." after them.
inline constexpr std::size_t kMaxRecordedNumbers = 4096;

// Replaces *out with the text of `values` ("" for none). Non-finite values
// render as "nan", "inf", "-inf" (an invalid action is recorded as sent).
void RenderNumberList(std::span<const double> values, std::string* out);

// The values of a RenderNumberList text; *cut is true when it ends in
// ",...". False (and *out unspecified) for text RenderNumberList never makes.
bool ParseNumberList(std::string_view text, std::vector<double>* out, bool* cut);

}  // namespace agentos

#endif  // AGENTOS_KERNEL_RECORDER_NUMERIC_TEXT_H_
