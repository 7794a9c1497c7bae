#include "kernel/recorder/numeric_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace agentos {

void RenderNumberList(std::span<const double> values, std::string* out) {
  out->clear();
  const std::size_t n = std::min(values.size(), kMaxRecordedNumbers);
  char buf[32];
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out->push_back(',');
    const double v = values[i];
    if (std::isnan(v)) {
      out->append("nan");  // one spelling for every NaN (to_chars keeps the sign)
      continue;
    }
    const auto res = std::to_chars(buf, buf + sizeof buf, v);
    out->append(buf, static_cast<std::size_t>(res.ptr - buf));
  }
  if (values.size() > n) out->append(",...");
}

bool ParseNumberList(std::string_view text, std::vector<double>* out, bool* cut) {
  out->clear();
  *cut = false;
  if (text.empty()) return true;
  std::size_t pos = 0;
  while (true) {
    const std::size_t comma = text.find(',', pos);
    const std::string_view item = text.substr(pos, comma == std::string_view::npos ? text.npos : comma - pos);
    const bool last = comma == std::string_view::npos;
    if (item == "..." && last && !out->empty()) {
      *cut = true;
      return true;
    }
    double v = 0.0;
    if (item == "nan") {
      v = std::numeric_limits<double>::quiet_NaN();
    } else {
      const auto res = std::from_chars(item.data(), item.data() + item.size(), v);
      if (res.ec != std::errc() || res.ptr != item.data() + item.size() || item.empty()) return false;
    }
    out->push_back(v);
    if (last) return true;
    pos = comma + 1;
  }
}

}  // namespace agentos
