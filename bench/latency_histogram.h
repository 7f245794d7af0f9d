// A fixed-size log-linear histogram of latencies in nanoseconds: 64
// sub-buckets per power of two, so any reported percentile is within 1.6% of
// the true value, and memory stays constant however long a run lasts.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace uxload {

class LatencyHistogram {
 public:
  void Record(uint64_t ns) {
    ++counts_[Index(ns)];
    ++total_;
    max_ = std::max(max_, ns);
  }

  void Merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    total_ += other.total_;
    max_ = std::max(max_, other.max_);
  }

  uint64_t total() const { return total_; }
  uint64_t max() const { return max_; }

  /// Nearest-rank percentile (`p` in [0, 1]); the middle of its bucket,
  /// never above the largest value recorded. 0 when empty.
  uint64_t Percentile(double p) const {
    if (total_ == 0) return 0;
    uint64_t rank = static_cast<uint64_t>(p * static_cast<double>(total_) + 0.999999);
    rank = std::clamp<uint64_t>(rank, 1, total_);
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(Middle(i), max_);
    }
    return max_;
  }

 private:
  static constexpr int kSubBits = 6;                            // 64 sub-buckets per octave
  static constexpr uint64_t kLinear = uint64_t{2} << kSubBits;  // exact below 128 ns
  static constexpr size_t kBuckets = kLinear + (64 - kSubBits - 1) * (size_t{1} << kSubBits);

  static size_t Index(uint64_t v) {
    if (v < kLinear) return static_cast<size_t>(v);
    int e = std::bit_width(v) - 1;  // v in [2^e, 2^(e+1)), e >= kSubBits + 1
    uint64_t sub = (v >> (e - kSubBits)) - (uint64_t{1} << kSubBits);
    return kLinear + static_cast<size_t>(e - kSubBits - 1) * (size_t{1} << kSubBits) + sub;
  }

  static uint64_t Middle(size_t i) {
    if (i < kLinear) return i;
    size_t k = i - kLinear;
    int e = static_cast<int>(k >> kSubBits) + kSubBits + 1;
    uint64_t sub = (k & ((size_t{1} << kSubBits) - 1)) + (uint64_t{1} << kSubBits);
    uint64_t low = sub << (e - kSubBits);
    return low + (uint64_t{1} << (e - kSubBits)) / 2;
  }

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace uxload
