// What a load run counted: successful requests with their latencies, and
// failures by kind. Workers fill one each; uxload merges them.
#pragma once

#include <cstdint>

#include "latency_histogram.h"

namespace uxload {

struct LoadStats {
  LatencyHistogram latency;      // successful requests only
  uint64_t connect_errors = 0;   // connect() failed (other than a full backlog)
  uint64_t status_errors = 0;    // an answer other than 200
  uint64_t length_errors = 0;    // body length not the expected one
  uint64_t io_errors = 0;        // reset, early close or an unparsable answer
  uint64_t timeouts = 0;         // no full answer within the timeout
  uint64_t backlog_retries = 0;  // connect() said EAGAIN (listen queue full); retried

  uint64_t ok() const { return latency.total(); }
  uint64_t errors() const {
    return connect_errors + status_errors + length_errors + io_errors + timeouts;
  }

  void Merge(const LoadStats& o) {
    latency.Merge(o.latency);
    connect_errors += o.connect_errors;
    status_errors += o.status_errors;
    length_errors += o.length_errors;
    io_errors += o.io_errors;
    timeouts += o.timeouts;
    backlog_retries += o.backlog_retries;
  }
};

}  // namespace uxload
