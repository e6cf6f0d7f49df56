// `gem-runner gemm-bench` (fast.h: run_gemm_bench): how close the kernels come to this machine's fp32 peak, measured
// in one process: a peak kernel (independent FMA chains in registers) on every thread, then the GEMM and the prefill
// attention of both kernel sets at model shapes, then the peak again. Steady clock, one warm-up, the median of the
// repeats (the peak: the fastest repeat, and % of peak divides by the higher of the two peaks, so it is conservative).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "../json.h"
#include "../threads.h"
#include "fast.h"
#include "kernels.h"

namespace gem {
namespace cpu {

namespace {

std::vector<double> load_average() {
  std::ifstream f("/proc/loadavg");
  double a = -1, b = -1, c = -1;
  if (!(f >> a >> b >> c)) return {};
  return {a, b, c};
}

// Median (or, for the peak, the fastest) seconds of `repeats` runs after one warm-up.
double median_seconds(int repeats, const std::function<void()>& fn, bool fastest = false) {
  fn();
  std::vector<double> s;
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    s.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(s.begin(), s.end());
  return fastest ? s.front() : s[s.size() / 2];
}

std::vector<float> filled(size_t n, uint64_t seed) {
  std::vector<float> v(n);
  for (auto& x : v) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    x = static_cast<float>(static_cast<double>(seed >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
  return v;
}

}  // namespace

int run_gemm_bench(bool quick) {
  const std::string isa = fast_isa();
  if (isa == "none") {
    std::fprintf(stderr, "gem-runner gemm-bench: this CPU has neither AVX-512 nor AVX2+FMA; the fast kernels do not run here\n");
    return 2;
  }
  const int threads = num_threads();
  const int reps = quick ? 3 : 7;
  Json out = Json::object();
  out.set("type", "gemm-bench");
  out.set("isa", isa);
  out.set("threads", threads);
  out.set("loadAverageStart", Json::array_of(load_average()));

  // Peak: each thread runs the FMA chains; flops = threads × iters × 384. The fastest of the repeats (a capacity; on a
  // shared machine a median would blame the kernels below for other processes' load, which % of peak must not hide).
  const int64_t iters = quick ? 4000000 : 20000000;
  volatile float sink = 0;
  auto measure_peak = [&] {
    const double secs = median_seconds(reps, [&] {
      parallel_for(threads, 1e12, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) sink = sink + (isa == "avx512" ? simd::peak_avx512(iters) : simd::peak_avx2(iters));
      });
    }, true);
    return threads * static_cast<double>(iters) * 384.0 / secs / 1e9;
  };
  const double peak = measure_peak();
  out.set("peakGflops", peak);
  std::fprintf(stderr, "gemm-bench: peak %.1f GFLOP/s (%s, %d threads)\n", peak, isa.c_str(), threads);

  std::vector<std::pair<Json, double>> gemms, atts;  // each result and its GFLOP/s (% of peak set at the end)
  // The models' projections (rows × in × out): attention projections over a whole prompt (4096 rows; 1024 quick),
  // MLP chunks of 128 rows (the cpu backend's kMlpChunk), a decode step's GEMV (1 row), for small-llama (hidden 256,
  // 8 × 32 query heads, 2 KV heads, MLP 688) and wide-llama (hidden 1024, head_dim 128, MLP 2816); and 1024³.
  const int P = quick ? 1024 : 4096;
  struct Shape {
    const char* what;
    int T, in, out;
    bool bf16 = false;  // W held as bf16 (a checkpoint kept 16-bit), widened as the kernels read it
  };
  for (const Shape& sh : std::vector<Shape>{{"square", 1024, 1024, 1024},
                                            {"small-llama q/o", P, 256, 256},
                                            {"small-llama k/v", P, 256, 64},
                                            {"small-llama gate/up", 128, 256, 688},
                                            {"small-llama down", 128, 688, 256},
                                            {"wide-llama q/o", P, 1024, 1024},
                                            {"wide-llama k/v", P, 1024, 256},
                                            {"wide-llama gate/up", 128, 1024, 2816},
                                            {"wide-llama down", 128, 2816, 1024},
                                            {"small-llama gate/up decode", 1, 256, 688},
                                            {"wide-llama gate/up decode", 1, 1024, 2816},
                                            {"wide-llama down decode", 1, 2816, 1024},
                                            {"wide-llama gate/up bf16", 128, 1024, 2816, true},
                                            {"wide-llama gate/up decode bf16", 1, 1024, 2816, true}}) {
    const int T = sh.T, in = sh.in, o = sh.out;
    auto x = filled(static_cast<size_t>(T) * in, 1), W = filled(static_cast<size_t>(o) * in, 2);
    std::vector<float> y(static_cast<size_t>(T) * o);
    const double flops = 2.0 * T * in * o;
    // The fast kernels read W as the cpu backend holds it: re-laid in panels (fast.h to_panels).
    Tensor Wp;
    Wp.shape = {o, in};
    if (sh.bf16) {  // the top half of each value (a bf16), and the reference reads the same values widened
      Wp.dtype = "BF16";
      for (float& v : W) {
        uint32_t u;
        __builtin_memcpy(&u, &v, 4);
        Wp.half.push_back(static_cast<uint16_t>(u >> 16));
        u &= 0xFFFF0000u;
        __builtin_memcpy(&v, &u, 4);
      }
    } else {
      Wp.data = W;
    }
    to_panels(Wp);
    const double fs = median_seconds(reps, [&] { fast_matmul(x.data(), T, in, WeightRef::of(Wp), o, nullptr, y.data()); });
    // (the reference kernel, 10–30 GFLOP/s, gets fewer repeats on the big shapes)
    const double rs = median_seconds(flops > 1e9 ? 1 : reps, [&] { matmul(x.data(), T, in, W.data(), o, nullptr, y.data()); });
    Json g = Json::object();
    g.set("shape", sh.what);
    g.set("T", T);
    g.set("in", in);
    g.set("out", o);
    g.set("weightDtype", sh.bf16 ? "bf16" : "f32");
    g.set("fastGflops", flops / fs / 1e9);
    g.set("referenceGflops", flops / rs / 1e9);
    std::fprintf(stderr, "gemm-bench: matmul %s %dx%dx%d fast %.1f GFLOP/s, reference %.1f\n", sh.what, T, in, o, flops / fs / 1e9,
                 flops / rs / 1e9);
    gemms.emplace_back(g, flops / fs / 1e9);
  }

  // (T, H, cache heads, d): the wide preset's and small-llama's attention shapes
  for (auto sh : std::vector<std::array<int, 4>>{{quick ? 1024 : 2048, 8, 2, 128}, {quick ? 1024 : 2048, 8, 2, 32}}) {
    const int T = sh[0], H = sh[1], C = sh[2], d = sh[3];
    auto q = filled(static_cast<size_t>(T) * H * d, 3);
    std::vector<std::vector<float>> k, v;
    std::vector<const float*> kp, vp;
    for (int c = 0; c < C; ++c) {
      k.push_back(filled(static_cast<size_t>(T) * d, 4 + c));
      v.push_back(filled(static_cast<size_t>(T) * d, 40 + c));
      kp.push_back(k.back().data());
      vp.push_back(v.back().data());
    }
    std::vector<float> o(q.size());
    const double flops = 4.0 * d * H * (static_cast<double>(T) * (T + 1) / 2);  // QKᵀ and PV over the causal triangle
    const double fs = median_seconds(reps, [&] { fast_attention(q.data(), T, H, d, kp, vp, T, o.data()); });
    const double rs = median_seconds(1, [&] { attention(q.data(), T, H, d, kp, vp, T, o.data()); });
    Json a = Json::object();
    a.set("T", T);
    a.set("heads", H);
    a.set("kvHeads", C);
    a.set("headDim", d);
    a.set("fastGflops", flops / fs / 1e9);
    a.set("referenceGflops", flops / rs / 1e9);
    std::fprintf(stderr, "gemm-bench: attention T=%d H=%d/%d d=%d fast %.1f GFLOP/s, reference %.1f\n", T, H, C, d, flops / fs / 1e9,
                 flops / rs / 1e9);
    atts.emplace_back(a, flops / fs / 1e9);
  }
  // The peak again at the end: how much the machine's capacity moved during the run; % of peak divides by the higher.
  const double peak_end = measure_peak();
  out.set("peakGflopsEnd", peak_end);
  std::fprintf(stderr, "gemm-bench: peak at the end %.1f GFLOP/s\n", peak_end);
  const double top = std::max(peak, peak_end);
  for (auto* list : {&gemms, &atts}) {
    Json arr = Json::array();
    for (auto& [j, gflops] : *list) {
      j.set("fastPctPeak", 100.0 * gflops / top);
      arr.push(j);
    }
    out.set(list == &gemms ? "matmul" : "attention", arr);
  }
  out.set("loadAverageEnd", Json::array_of(load_average()));
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace cpu
}  // namespace gem
