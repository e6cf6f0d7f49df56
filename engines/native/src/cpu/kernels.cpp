#include "kernels.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "../threads.h"

namespace gem {
namespace cpu {

namespace {

thread_local bool t_in_job = false;  // nested parallel_for calls run serially (the pool is not re-entrant)

// A persistent pool: workers sleep on a condition variable; a job is split into `parts` contiguous ranges, worker w
// runs part w (the caller runs part 0). The split depends only on n and the thread count, never on timing.
class Pool {
 public:
  ~Pool() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
      ++generation_;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }

  void run(int64_t n, int parts, const std::function<void(int64_t, int64_t)>& fn) {
    std::lock_guard<std::mutex> job_lock(job_mu_);  // one job at a time
    ensure(parts - 1);
    const int64_t chunk = (n + parts - 1) / parts;
    {
      std::lock_guard<std::mutex> lk(mu_);
      fn_ = &fn;
      n_ = n;
      chunk_ = chunk;
      active_ = parts - 1;
      pending_ = parts - 1;
      ++generation_;
    }
    cv_.notify_all();
    fn(0, std::min(n, chunk));
    std::unique_lock<std::mutex> lk(mu_);
    done_cv_.wait(lk, [&] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void ensure(int workers) {
    while (static_cast<int>(workers_.size()) < workers) {
      int index = static_cast<int>(workers_.size()) + 1;
      workers_.emplace_back([this, index] { loop(index); });
    }
  }
  void loop(int index) {
    uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lk(mu_);
      seen = generation_;
      // A worker created for the current job must still take part in it.
      if (fn_ && index <= active_) seen = generation_ - 1;
    }
    for (;;) {
      const std::function<void(int64_t, int64_t)>* fn;
      int64_t b, e;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return generation_ != seen; });
        seen = generation_;
        if (stop_) return;
        if (index > active_ || !fn_) continue;
        fn = fn_;
        b = std::min(n_, index * chunk_);
        e = std::min(n_, b + chunk_);
      }
      t_in_job = true;
      if (b < e) (*fn)(b, e);
      t_in_job = false;
      {
        std::lock_guard<std::mutex> lk(mu_);
        if (--pending_ == 0) done_cv_.notify_one();
      }
    }
  }

  std::mutex job_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  std::vector<std::thread> workers_;
  const std::function<void(int64_t, int64_t)>* fn_ = nullptr;
  int64_t n_ = 0, chunk_ = 0;
  int active_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

void parallel_for(int64_t n, double work, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  int threads = std::max(1, gem::num_threads());
  if (threads == 1 || n == 1 || work < 2e5 || t_in_job) {
    fn(0, n);
    return;
  }
  t_in_job = true;
  struct Reset {
    ~Reset() { t_in_job = false; }
  } reset;
  pool().run(n, static_cast<int>(std::min<int64_t>(threads, n)), fn);
}

float dot(const float* a, const float* b, int n) {
  float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) s[l] += a[i + l] * b[i + l];
  float tail = 0;
  for (; i < n; ++i) tail += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) + tail;
}

WeightRef WeightRef::of(const Tensor& t) {
  if (!t.kept16()) return WeightRef(t.data.data(), WeightType::F32, t.panels16);
  return WeightRef(t.half.data(), t.dtype == "BF16" ? WeightType::BF16 : WeightType::F16, t.panels16);
}

void WeightRef::row(int64_t o, int in, float* dst) const {
  if (panels) {
    const bool f = type == WeightType::F32;
    panel_row_values(f ? static_cast<const float*>(p) : nullptr, f ? nullptr : static_cast<const uint16_t*>(p),
                     type == WeightType::BF16, in, o, 0, in, dst);
    return;
  }
  const int64_t at = o * static_cast<int64_t>(in);
  if (type == WeightType::F32) std::memcpy(dst, static_cast<const float*>(p) + at, sizeof(float) * static_cast<size_t>(in));
  else widen_16bit(static_cast<const uint16_t*>(p) + at, type == WeightType::BF16, in, dst);
}

void matmul(const float* x, int T, int in, WeightRef W, int out, const float* bias, float* y) {
  parallel_for(out, 2.0 * T * in * out, [&](int64_t ob, int64_t oe) {
    std::vector<float> wide(W.f32() ? 0 : static_cast<size_t>(in));  // a 16-bit row widened
    for (int64_t o = ob; o < oe; ++o) {
      const float* w = W.f32() ? W.f32() + o * static_cast<int64_t>(in) : (W.row(o, in, wide.data()), wide.data());
      float b = bias ? bias[o] : 0.0f;
      for (int t = 0; t < T; ++t) y[static_cast<int64_t>(t) * out + o] = dot(x + static_cast<int64_t>(t) * in, w, in) + b;
    }
  });
}

void rmsnorm(const float* x, int T, int dim, const float* w, double eps, float* y) {
  parallel_for(T, 4.0 * T * dim, [&](int64_t tb, int64_t te) {
    for (int64_t t = tb; t < te; ++t) {
      const float* xr = x + t * dim;
      float* yr = y + t * dim;
      double ss = 0;
      for (int i = 0; i < dim; ++i) ss += static_cast<double>(xr[i]) * xr[i];
      float inv = static_cast<float>(1.0 / std::sqrt(ss / dim + eps));
      for (int i = 0; i < dim; ++i) yr[i] = (xr[i] * inv) * w[i];
    }
  });
}

RopeFreqs rope_freqs(const ModelConfig& c, int64_t max_pos) {
  const int d = c.head_dim, half = d / 2;
  const RopeScaling& r = c.rope;
  RopeFreqs f;
  f.inv_freq.resize(half);
  for (int i = 0; i < half; ++i) f.inv_freq[i] = std::pow(c.rope_theta, -2.0 * i / d);
  if (r.type == "linear") {
    for (auto& x : f.inv_freq) x /= r.factor;
  } else if (r.type == "llama3") {
    const double pi = 3.14159265358979323846;
    double orig = r.original_max_positions;
    double low_wavelen = orig / r.low_freq_factor, high_wavelen = orig / r.high_freq_factor;
    for (auto& x : f.inv_freq) {
      double wavelen = 2 * pi / x;
      if (wavelen > low_wavelen) {
        x = x / r.factor;
      } else if (wavelen < high_wavelen) {
        // unchanged
      } else {
        double smooth = (orig / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
        x = (1 - smooth) * x / r.factor + smooth * x;
      }
    }
  } else if (r.type == "longrope") {
    bool use_long = max_pos + 1 > r.original_max_positions;
    const std::vector<double>& ext = use_long ? r.long_factor : r.short_factor;
    for (int i = 0; i < half; ++i) {
      double e = i < static_cast<int>(ext.size()) ? ext[i] : 1.0;
      f.inv_freq[i] = 1.0 / (e * std::pow(c.rope_theta, 2.0 * i / d));
    }
    f.scale = r.attention_factor;
  }
  return f;
}

void apply_rope(float* x, int T, int heads, int d, const int* pos, const RopeFreqs& f) {
  const int half = d / 2;
  // (the angles' cos and sin in double cost about 40 flops each: counted so that long prompts use the threads)
  parallel_for(T, (40.0 * half + 6.0 * heads * half) * T, [&](int64_t tb, int64_t te) {
    std::vector<float> cs(static_cast<size_t>(half)), sn(static_cast<size_t>(half));
    for (int64_t t = tb; t < te; ++t) {
      for (int i = 0; i < half; ++i) {
        double a = static_cast<double>(pos[t]) * f.inv_freq[static_cast<size_t>(i)];
        cs[static_cast<size_t>(i)] = static_cast<float>(std::cos(a) * f.scale);
        sn[static_cast<size_t>(i)] = static_cast<float>(std::sin(a) * f.scale);
      }
      for (int h = 0; h < heads; ++h) {
        float* v = x + (t * heads + h) * d;
        for (int i = 0; i < half; ++i) {
          float x1 = v[i], x2 = v[i + half];
          v[i] = x1 * cs[static_cast<size_t>(i)] - x2 * sn[static_cast<size_t>(i)];
          v[i + half] = x2 * cs[static_cast<size_t>(i)] + x1 * sn[static_cast<size_t>(i)];
        }
      }
    }
  });
}

void attention(const float* q, int T, int H, int d, const std::vector<const float*>& k,
               const std::vector<const float*>& v, int len, float* out, const std::vector<int>* lens) {
  const int ch = static_cast<int>(k.size());
  const int group = H / ch;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(d)));
  if (lens) len = *std::max_element(lens->begin(), lens->end());
  parallel_for(static_cast<int64_t>(H) * T, 4.0 * d * static_cast<double>(len) * T * H, [&](int64_t b, int64_t e) {
    std::vector<float> p(static_cast<size_t>(len));
    std::vector<float> acc(static_cast<size_t>(d));
    for (int64_t w = b; w < e; ++w) {
      int h = static_cast<int>(w / T), t = static_cast<int>(w % T);
      const float* qr = q + (static_cast<int64_t>(t) * H + h) * d;
      const float* kh = k[h / group];
      const float* vh = v[h / group];
      int visible = (lens ? (*lens)[static_cast<size_t>(h / group)] : len) - T + t + 1;
      float mx = -INFINITY;
      for (int j = 0; j < visible; ++j) {
        p[j] = dot(qr, kh + static_cast<int64_t>(j) * d, d) * scale;
        mx = std::max(mx, p[j]);
      }
      double sum = 0;
      for (int j = 0; j < visible; ++j) {
        p[j] = std::exp(p[j] - mx);
        sum += p[j];
      }
      float inv = static_cast<float>(1.0 / sum);
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int j = 0; j < visible; ++j) {
        float pj = p[j] * inv;
        const float* vr = vh + static_cast<int64_t>(j) * d;
        for (int i = 0; i < d; ++i) acc[i] += pj * vr[i];
      }
      std::copy(acc.begin(), acc.end(), out + (static_cast<int64_t>(t) * H + h) * d);
    }
  });
}

namespace {
double dot_d(const float* a, const float* b, int n) {
  double s = 0;
  for (int i = 0; i < n; ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return s;
}
}  // namespace

void attn_stats(const float* q, int T, int H, int d, const KeyRows& keys, const StatsRequest& req, Stats& out) {
  const int C = static_cast<int>(keys.head.size());
  const int group = H / C, N = keys.rows, past = N - T;
  const int K = req.key_end < 0 ? N : std::min(req.key_end, N);
  const int q0 = std::max(0, req.q_begin), q1 = std::min(T, req.q_end);
  const double inv_sqrt_d = 1.0 / std::sqrt(static_cast<double>(d));
  auto qrow = [&](int t, int h) { return q + (static_cast<int64_t>(t) * H + h) * d; };
  auto krow = [&](int c, int j) { return keys.head[static_cast<size_t>(c)] + static_cast<int64_t>(j) * keys.stride; };
  out.keys = K;
  out.layer = req.layer;
  if (req.mode == StatsMode::KeyNorm) {  // ‖k_{c,j}‖₂ per cache head, accumulated in double
    out.heads = C;
    out.data.assign(static_cast<size_t>(C) * K, 0.0);
    for (int c = 0; c < C; ++c)
      for (int j = 0; j < K; ++j) out.data[static_cast<size_t>(c) * K + j] = std::sqrt(dot_d(krow(c, j), krow(c, j), d));
    return;
  }
  const double work = 2.0 * std::max(1, q1 - q0) * static_cast<double>(N) * d * H;

  if (req.mode == StatsMode::RawDot && req.agg == StatsAgg::AllSum) {
    // One accumulator per key, summed in the order (row, head, dimension).
    out.heads = 1;
    out.data.assign(static_cast<size_t>(K), 0.0);
    parallel_for(K, work, [&](int64_t jb, int64_t je) {
      for (int64_t j = jb; j < je; ++j) {
        double s = 0;
        for (int t = q0; t < q1; ++t) {
          if (j > past + t) continue;
          for (int h = 0; h < H; ++h) {
            const float* a = qrow(t, h);
            const float* b = krow(h / group, static_cast<int>(j));
            for (int i = 0; i < d; ++i) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
          }
        }
        out.data[static_cast<size_t>(j)] = s;
      }
    });
    return;
  }

  // Per query head: RawDot sums, or softmax probabilities (max-subtracted, normalised over the visible keys).
  DVec per(MemCat::Workspace, static_cast<size_t>(H) * K, 0.0);
  DVec scratch(MemCat::Workspace, req.mode == StatsMode::ProbSum ? static_cast<size_t>(H) * N : 0);
  parallel_for(H, work, [&](int64_t hb, int64_t he) {
    for (int64_t h = hb; h < he; ++h) {
      double* acc = per.data() + h * K;
      double* s = req.mode == StatsMode::ProbSum ? scratch.data() + h * N : nullptr;
      const int c = static_cast<int>(h) / group;
      for (int t = q0; t < q1; ++t) {
        const int vis = past + t + 1;
        const float* qt = qrow(t, static_cast<int>(h));
        if (req.mode == StatsMode::RawDot) {
          for (int j = 0; j < std::min(vis, K); ++j) acc[j] += dot_d(qt, krow(c, j), d);
          continue;
        }
        double mx = -INFINITY;
        for (int j = 0; j < vis; ++j) {
          s[j] = dot_d(qt, krow(c, j), d) * inv_sqrt_d;
          mx = std::max(mx, s[j]);
        }
        double z = 0;
        for (int j = 0; j < vis; ++j) z += std::exp(s[j] - mx);
        for (int j = 0; j < std::min(vis, K); ++j) acc[j] += std::exp(s[j] - mx) / z;
      }
    }
  });
  scratch.clear_and_free();

  aggregate_heads(std::move(per), H, C, K, req.agg, out);
}

void aggregate_heads(DVec&& per, int H, int C, int K, StatsAgg agg, Stats& out) {
  const int group = H / C;
  switch (agg) {
    case StatsAgg::PerQueryHead:
      out.heads = H;
      out.data = std::move(per);
      return;
    case StatsAgg::AllSum:
      out.heads = 1;
      out.data.assign(static_cast<size_t>(K), 0.0);
      for (int h = 0; h < H; ++h)
        for (int j = 0; j < K; ++j) out.data[static_cast<size_t>(j)] += per[static_cast<size_t>(h) * K + j];
      return;
    case StatsAgg::KvMean:
    case StatsAgg::KvMax: {
      const bool mx = agg == StatsAgg::KvMax;
      out.heads = C;
      out.data.assign(static_cast<size_t>(C) * K, mx ? -INFINITY : 0.0);
      for (int c = 0; c < C; ++c) {
        double* o = out.data.data() + static_cast<int64_t>(c) * K;
        for (int h = c * group; h < (c + 1) * group; ++h)
          for (int j = 0; j < K; ++j) {
            const double x = per[static_cast<size_t>(h) * K + j];
            o[j] = mx ? std::max(o[j], x) : o[j] + x;
          }
        if (!mx)
          for (int j = 0; j < K; ++j) o[j] /= group;
      }
      return;
    }
  }
}

}  // namespace cpu
}  // namespace gem
