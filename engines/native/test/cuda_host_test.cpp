// Host-side tests of the CUDA backend's GPU-free parts, run on every build (with or without nvcc) by
// test/native-cuda-host.test.ts: the cuBLASLt loader against its header and a stand-in library, and the kernels'
// index math (tile schedules, causal ranges, GQA row packing, mma.sync fragment maps, swizzles), which is written as
// __host__ __device__ functions so that exactly the code the kernels run is checked here.
// Usage: gem-cuda-host-test <path of fake libcublasLt> ; exit status 0 iff every check passed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../src/cpu/kernels.h"
#include "../src/cuda/arena.h"
#include "../src/cuda/cublaslt.h"
#include "../src/cuda/index_math.h"
#include "../src/cuda/ragged.h"
#include "../src/select.h"
#include "../src/model.h"

#include "check.h"

using namespace gem;

// Every function declared in cublaslt_api.h's extern "C" block is in the loader's table, and nothing else is.
static void test_symbol_table_matches_header() {
  std::ifstream f(GEM_CUBLASLT_API_HEADER);
  CHECK(f.good(), "cannot read %s", GEM_CUBLASLT_API_HEADER);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  const size_t block = text.find("extern \"C\" {");
  CHECK(block != std::string::npos, "no extern \"C\" block in the header");
  std::set<std::string> declared;
  std::regex decl(R"((cublasLt\w+)\s*\()");
  const std::string tail = text.substr(block);
  for (std::sregex_iterator it(tail.begin(), tail.end(), decl), end; it != end; ++it) declared.insert((*it)[1]);
  const auto names = cuda::cublaslt_symbol_names();
  const std::set<std::string> table(names.begin(), names.end());
  CHECK(table.size() == names.size(), "duplicate names in the table");
  CHECK(declared.size() == 16, "header declares %zu functions", declared.size());
  for (const auto& d : declared) CHECK(table.count(d) == 1, "%s is declared but not in the loader's table", d.c_str());
  for (const auto& t : table) CHECK(declared.count(t) == 1, "%s is in the table but not declared", t.c_str());
}

static std::string load_error(const std::string& path) {
  try {
    cuda::load_cublaslt(path);
  } catch (const RunnerError& e) {
    return e.code + ": " + e.what() + " | " + e.hint;
  }
  return "";
}

// The loader resolves every symbol of a library that has them all, checks the version, and fails clearly otherwise.
static void test_loader(const std::string& fake) {
  unsetenv("FAKE_CUBLASLT_VERSION");
  cuda::CublasLt lt = cuda::load_cublaslt(fake);
  CHECK(lt.lib != nullptr && lt.path == fake, "loaded %s", lt.path.c_str());
  CHECK(lt.version == 130000, "version %zu", lt.version);
  int resolved = 0;
#define COUNT(f) resolved += lt.f != nullptr;
  GEM_CUBLASLT_FUNCTIONS(COUNT)
#undef COUNT
  CHECK(resolved == 16, "%d of 16 functions resolved", resolved);
  CHECK(std::string(lt.cublasLtGetStatusString(lt::kSuccess)) == "CUBLAS_STATUS_SUCCESS", "status string");
  lt::Handle h = nullptr;
  CHECK(lt.cublasLtCreate(&h) == lt::kNotSupported, "the stand-in's cublasLtCreate was called");

  setenv("FAKE_CUBLASLT_VERSION", "110800", 1);
  std::string e = load_error(fake);
  CHECK(e.find("unsupported: ") == 0 && e.find("is cuBLASLt 11.8.0; the CUDA backend needs 12.0.0 or newer") != std::string::npos,
        "too old: %s", e.c_str());
  unsetenv("FAKE_CUBLASLT_VERSION");

  e = load_error("/nonexistent/libcublasLt.so.13");
  CHECK(e.find("unsupported: the CUDA backend needs cuBLASLt, which could not be loaded (/nonexistent/libcublasLt.so.13: ") == 0 &&
            e.find("GEMBENCH_CUBLASLT=") != std::string::npos,
        "missing: %s", e.c_str());

  // A real shared library without the symbols (libc's loader itself is always there: use this test's libm).
  e = load_error("libm.so.6");
  CHECK(e.find("lacks cuBLASLt functions the CUDA backend calls: cublasLtGetVersion, cublasLtGetCudartVersion") != std::string::npos,
        "wrong library: %s", e.c_str());

  // GEMBENCH_CUBLASLT names the file when no explicit path is given.
  setenv("GEMBENCH_CUBLASLT", fake.c_str(), 1);
  lt = cuda::load_cublaslt();
  CHECK(lt.path == fake, "env path: %s", lt.path.c_str());
  setenv("GEMBENCH_CUBLASLT", "/nonexistent/x.so", 1);
  e = load_error("");
  CHECK(e.find("(/nonexistent/x.so: ") != std::string::npos, "env path missing: %s", e.c_str());
  unsetenv("GEMBENCH_CUBLASLT");
}

using namespace gem::cuda;

// Each mma.sync fragment map covers its tile exactly once over (lane, element), and agrees with the PTX ISA's
// figures at sample points.
static void test_mma_fragment_maps() {
  std::set<int> a, b, c;
  for (int lane = 0; lane < 32; ++lane) {
    for (int e = 0; e < 8; ++e) a.insert(mma_a_row(lane, e) * 16 + mma_a_col(lane, e));
    for (int e = 0; e < 4; ++e) b.insert(mma_b_k(lane, e) * 8 + mma_b_n(lane, e));
    for (int e = 0; e < 4; ++e) c.insert(mma_c_row(lane, e) * 8 + mma_c_col(lane, e));
  }
  CHECK(a.size() == 256 && *a.rbegin() == 255, "A covers %zu of 256", a.size());
  CHECK(b.size() == 128 && *b.rbegin() == 127, "B covers %zu of 128", b.size());
  CHECK(c.size() == 128 && *c.rbegin() == 127, "C covers %zu of 128", c.size());
  // PTX ISA, m16n8k16 .bf16: a0,a1 (row groupID, cols 2·tid + {0,1}); a2,a3 row + 8; a4..a7 cols + 8.
  CHECK(mma_a_row(5, 0) == 1 && mma_a_col(5, 0) == 2, "A lane 5 a0");
  CHECK(mma_a_row(5, 3) == 9 && mma_a_col(5, 3) == 3, "A lane 5 a3");
  CHECK(mma_a_row(31, 6) == 15 && mma_a_col(31, 6) == 14, "A lane 31 a6");
  CHECK(mma_b_k(6, 3) == 13 && mma_b_n(6, 3) == 1, "B lane 6 b3");
  CHECK(mma_c_row(13, 2) == 11 && mma_c_col(13, 2) == 2, "C lane 13 c2");
  // The attention kernel packs P (C fragments of two 8-key blocks) into an A fragment: element e of A register r
  // must be the C element at the same (row, col) of block e / 4 (cols + 8).
  for (int lane = 0; lane < 32; ++lane)
    for (int e = 0; e < 8; ++e) {
      // pa[r] = pack(sc[2kk + r / 2][2 (r % 2)], sc[…][2 (r % 2) + 1]) with e = 2r + {0, 1}
      const int r = e / 2, cblk = r / 2, celem = 2 * (r % 2) + e % 2;
      CHECK(mma_a_row(lane, e) == mma_c_row(lane, celem) && mma_a_col(lane, e) == cblk * 8 + mma_c_col(lane, celem),
            "P repack lane %d e %d", lane, e);
    }
}

static void test_gqa_packing_and_causal_ranges() {
  for (int R : {1, 4, 7}) {
    const int T = 37, G = 3;
    for (int g = 0; g < G; ++g) {
      std::set<std::pair<int, int>> seen;
      for (int i = 0; i < T * R; ++i) {
        const int t = packed_token(i, R), h = packed_head(i, R, g);
        CHECK(t >= 0 && t < T && h >= g * R && h < (g + 1) * R, "R %d i %d", R, i);
        seen.insert({t, h});
      }
      CHECK(static_cast<int>(seen.size()) == T * R, "R %d: %zu (token, head) pairs", R, seen.size());
    }
    for (int past : {0, 5, 100}) {
      const int len = past + T;
      for (int row0 = 0; row0 < T * R; row0 += kAttnBlockM) {
        int want = 0;
        for (int i = row0; i < std::min(row0 + kAttnBlockM, T * R); ++i)
          for (int key = 0; key < len; ++key)
            if (key_visible(key, packed_token(i, R), past, len)) want = std::max(want, key + 1);
        CHECK(block_key_end(row0, kAttnBlockM, R, T, past, len) == want, "R %d past %d row0 %d", R, past, row0);
      }
    }
  }
  CHECK(key_visible(10, 0, 10, 20) && !key_visible(11, 0, 10, 20) && !key_visible(20, 15, 10, 20), "key_visible");
  CHECK(first_row_seeing(130, 100, 0) == 30 && first_row_seeing(50, 100, 7) == 7, "first_row_seeing");
}

static void test_split_schedule() {
  for (int key_end : {1, 63, 64, 65, 1000, 131072})
    for (int splits : {1, 2, 3, 7, 64}) {
      int covered = 0, prev_end = 0;
      for (int s = 0; s < splits; ++s) {
        const int b = split_key_begin(s, key_end, splits), e = split_key_end(s, key_end, splits);
        CHECK(b == prev_end || b == e, "splits contiguous (%d, %d, s %d)", key_end, splits, s);
        CHECK(b % kAttnBlockN == 0 || b == key_end, "tile aligned");
        if (e > b) {
          covered += e - b;
          prev_end = e;
        }
      }
      CHECK(covered == key_end && prev_end == key_end, "key_end %d splits %d covered %d", key_end, splits, covered);
    }
  CHECK(decode_splits(131072, 8, 264) == 33, "decode_splits %d", decode_splits(131072, 8, 264));
  CHECK(decode_splits(100, 8, 264) == 1 && decode_splits(1, 1, 1) == 1, "decode_splits small");
  CHECK(decode_splits(1 << 24, 1, 1 << 20) == kMaxSplits, "decode_splits cap");
}

// Rows on gridDim.y (embedding, RoPE): the grid stays within CUDA's 65535 for any row count — a raised prefill
// chunk, a whole 128K input, up to INT_MAX — and the kernels' loop (row = y, y + gridDim.y, …) visits every row once.
static void test_grid_rows() {
  for (int64_t rows : {int64_t{0}, int64_t{1}, int64_t{4096}, int64_t{65535}, int64_t{65536}, int64_t{131072}, int64_t{200003},
                       int64_t{1} << 20, int64_t{2147483647}}) {
    const int gy = grid_rows(rows);
    CHECK(gy >= 1 && gy <= 65535, "grid_rows(%lld) = %d", static_cast<long long>(rows), gy);
    CHECK(gy == (rows < 1 ? 1 : rows < 65535 ? rows : 65535), "grid_rows(%lld) = %d is not min(rows, 65535)", static_cast<long long>(rows), gy);
    if (rows > (int64_t{1} << 20)) continue;  // the visit count below is brute force
    std::vector<int> seen(static_cast<size_t>(rows), 0);
    for (int y = 0; y < gy; ++y)
      for (int64_t t = y; t < rows; t += gy) ++seen[static_cast<size_t>(t)];
    CHECK(std::all_of(seen.begin(), seen.end(), [](int v) { return v == 1; }), "rows %lld: every row visited once", static_cast<long long>(rows));
  }
}

// The swizzle is a permutation of each row's elements, keeps 8-element chunks contiguous (16-byte stores), and the
// fragment loads of a warp (8 rows × 4 consecutive words) hit 32 distinct banks for 64- and 128-column tiles.
static void test_swizzle() {
  for (int cols : {64, 96, 128}) {
    const int rows = 128;
    std::vector<int> hit(static_cast<size_t>(rows * cols), 0);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c) {
        const int o = swizzle(r, c, cols);
        CHECK(o / cols == r, "row kept");
        if (o >= 0 && o < rows * cols) ++hit[static_cast<size_t>(o)];
        if (c % 8) CHECK(o == swizzle(r, c - c % 8, cols) + c % 8, "chunk contiguous");
      }
    CHECK(std::count(hit.begin(), hit.end(), 1) == rows * cols, "cols %d: not a permutation", cols);
    if (cols == 96) continue;
    for (int row_base : {0, 8, 56})
      for (int k0 = 0; k0 < cols; k0 += 8) {
        std::set<int> banks;
        for (int lane = 0; lane < 32; ++lane) banks.insert(swizzle(row_base + mma_b_n(lane, 0), k0 + mma_b_k(lane, 0) % 8, cols) / 2 % 32);
        CHECK(banks.size() == 32, "cols %d rows %d k0 %d: %zu banks", cols, row_base, k0, banks.size());
      }
  }
}

// order_key is monotonic (NaN lowest, −0 == +0); the radix select built from order_key and radix_pick, emulated
// pass by pass as the kernel runs it, gives exactly the CPU's top_k_indices (ties → lower index, NaN last, sorted).
static void test_topk_radix() {
  const float vals[] = {-INFINITY, -1e30f, -2.5f, -1e-30f, -0.0f, 0.0f, 1e-30f, 1.0f, 3.5f, 1e30f, INFINITY};
  for (size_t i = 1; i < sizeof(vals) / sizeof(vals[0]); ++i)
    CHECK(order_key(vals[i - 1]) <= order_key(vals[i]) && (vals[i - 1] == vals[i] || order_key(vals[i - 1]) < order_key(vals[i])),
          "order_key %zu", i);
  CHECK(order_key(NAN) == 0 && order_key(-INFINITY) > 0, "NaN lowest");
  uint64_t st = 12345;
  auto next = [&] {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<uint32_t>(st >> 33);
  };
  for (int trial = 0; trial < 60; ++trial) {
    const int n = 1 + static_cast<int>(next() % 700);
    std::vector<float> x(static_cast<size_t>(n));
    for (auto& v : x) {
      const uint32_t r = next() % 100;
      v = r < 5 ? NAN : r < 40 ? static_cast<float>(next() % 7) - 3.0f : static_cast<float>(next()) / 4e9f - 0.5f;
    }
    const int k = 1 + static_cast<int>(next() % static_cast<uint32_t>(n + 3));
    const int kk = std::min(k, n);
    // Emulate the kernel.
    uint32_t prefix = 0, mask = 0, want = static_cast<uint32_t>(kk);
    for (int shift = 24; shift >= 0; shift -= 8) {
      uint32_t hist[256] = {0};
      for (float v : x)
        if ((order_key(v) & mask) == prefix) ++hist[(order_key(v) >> shift) & 255u];
      uint32_t above = 0;
      const int dgt = radix_pick(hist, want, &above);
      prefix |= static_cast<uint32_t>(dgt) << shift;
      want -= above;
      mask |= 255u << shift;
    }
    std::vector<int> got;
    uint32_t eq_seen = 0;
    for (int i = 0; i < n; ++i) {
      const uint32_t key = order_key(x[static_cast<size_t>(i)]);
      if (key > prefix || (key == prefix && eq_seen++ < want)) got.push_back(i);
    }
    std::vector<double> xd(x.begin(), x.end());
    const std::vector<int> ref = top_k_indices(xd, kk);
    CHECK(got == ref, "trial %d n %d k %d: %zu vs %zu indices", trial, n, kk, got.size(), ref.size());
  }
}

// The attention kernels' algorithm, emulated on the CPU with the kernels' own index functions and in their order:
// blocks of 64 packed rows per KV head, 64-key tiles up to block_key_end, the causal mask, the online softmax in the
// exp2 domain, the split-K schedule with normalised partials (m, l) and the combine formula, and the natural-log
// LSE — against attention and log-sum-exp computed directly in double. (What the GPU adds — fragments, bf16
// rounding — is checked by the fragment-map tests above and, on a GPU, by the selftest.)
struct EmuOut {
  std::vector<double> o, lse;
};
static EmuOut emulate_attention(const std::vector<float>& q, const std::vector<float>& k, const std::vector<float>& v, int T, int H,
                                int G, int d, int len, int splits) {
  const int R = H / G, rows_total = T * R, past = len - T;
  const double scale_log2 = 1.0 / std::sqrt(static_cast<double>(d)) * 1.4426950408889634;
  EmuOut e;
  e.o.assign(static_cast<size_t>(T) * H * d, 0.0);
  e.lse.assign(static_cast<size_t>(H) * T, 0.0);
  for (int g = 0; g < G; ++g)
    for (int row0 = 0; row0 < rows_total; row0 += kAttnBlockM) {
      const int full = block_key_end(row0, kAttnBlockM, R, T, past, len);
      for (int i = row0; i < std::min(row0 + kAttnBlockM, rows_total); ++i) {
        const int t = packed_token(i, R), h = packed_head(i, R, g);
        std::vector<double> pm, pl;
        std::vector<std::vector<double>> po;
        for (int s = 0; s < splits; ++s) {
          const int kb = splits == 1 ? 0 : split_key_begin(s, full, splits), ke = splits == 1 ? full : split_key_end(s, full, splits);
          double m = -INFINITY, l = 0;
          std::vector<double> acc(static_cast<size_t>(d), 0.0);
          for (int n0 = kb; n0 < ke; n0 += kAttnBlockN) {
            std::vector<double> sc(kAttnBlockN);
            double mnew = m;
            for (int c = 0; c < kAttnBlockN; ++c) {
              const int key = n0 + c;
              double dot = 0;
              if (key < ke)
                for (int x = 0; x < d; ++x)
                  dot += static_cast<double>(q[(static_cast<size_t>(t) * H + h) * d + x]) * k[(static_cast<size_t>(g) * len + key) * d + x];
              sc[static_cast<size_t>(c)] = key_visible(key, t, past, ke) ? dot * scale_log2 : -INFINITY;
              mnew = std::max(mnew, sc[static_cast<size_t>(c)]);
            }
            const double base = mnew == -INFINITY ? 0 : mnew, corr = std::exp2(m - base);
            m = mnew;
            l *= corr;
            for (auto& a : acc) a *= corr;
            for (int c = 0; c < kAttnBlockN; ++c) {
              const double p = std::exp2(sc[static_cast<size_t>(c)] - base);
              l += p;
              if (p > 0)
                for (int x = 0; x < d; ++x) acc[static_cast<size_t>(x)] += p * v[(static_cast<size_t>(g) * len + n0 + c) * d + x];
            }
          }
          for (auto& a : acc) a = l > 0 ? a / l : 0;
          pm.push_back(m);
          pl.push_back(l);
          po.push_back(acc);
        }
        double M = -INFINITY, L = 0;
        for (int s = 0; s < splits; ++s)
          if (pl[static_cast<size_t>(s)] > 0) M = std::max(M, pm[static_cast<size_t>(s)]);
        std::vector<double> acc(static_cast<size_t>(d), 0.0);
        for (int s = 0; s < splits; ++s) {
          if (pl[static_cast<size_t>(s)] <= 0) continue;
          const double w = pl[static_cast<size_t>(s)] * std::exp2(pm[static_cast<size_t>(s)] - M);
          L += w;
          for (int x = 0; x < d; ++x) acc[static_cast<size_t>(x)] += w * po[static_cast<size_t>(s)][static_cast<size_t>(x)];
        }
        for (int x = 0; x < d; ++x) e.o[(static_cast<size_t>(t) * H + h) * d + x] = acc[static_cast<size_t>(x)] / L;
        e.lse[static_cast<size_t>(h) * T + t] = (M + std::log2(L)) * 0.6931471805599453;
      }
    }
  return e;
}

static void test_attention_algorithm() {
  uint64_t st = 99;
  auto rnd = [&] {
    st = st * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(static_cast<double>(st >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  };
  struct Case { int T, len, H, G, d, splits; };
  for (const Case c : {Case{1, 1, 4, 4, 64, 1}, Case{1, 300, 7, 1, 64, 3}, Case{1, 1000, 8, 2, 64, decode_splits(1000, 2, 264)},
                       Case{17, 17, 4, 1, 64, 1}, Case{70, 70, 7, 1, 96, 1}, Case{17, 146, 7, 1, 64, 1}, Case{129, 200, 8, 2, 64, 1},
                       Case{3, 500, 4, 2, 64, 5}}) {
    std::vector<float> q(static_cast<size_t>(c.T) * c.H * c.d), k(static_cast<size_t>(c.G) * c.len * c.d), v(k.size());
    for (auto& x : q) x = rnd() * 2;
    for (auto& x : k) x = rnd() * 2;
    for (auto& x : v) x = rnd();
    const EmuOut e = emulate_attention(q, k, v, c.T, c.H, c.G, c.d, c.len, c.splits);
    double worst = 0, worst_lse = 0;
    const int R = c.H / c.G, past = c.len - c.T;
    for (int t = 0; t < c.T; ++t)
      for (int h = 0; h < c.H; ++h) {
        const int g = h / R;
        std::vector<double> s(static_cast<size_t>(past + t + 1));
        double mx = -INFINITY, z = 0;
        for (int j = 0; j <= past + t; ++j) {
          double dot = 0;
          for (int x = 0; x < c.d; ++x)
            dot += static_cast<double>(q[(static_cast<size_t>(t) * c.H + h) * c.d + x]) * k[(static_cast<size_t>(g) * c.len + j) * c.d + x];
          s[static_cast<size_t>(j)] = dot / std::sqrt(static_cast<double>(c.d));
          mx = std::max(mx, s[static_cast<size_t>(j)]);
        }
        for (auto& x : s) z += std::exp(x - mx);
        worst_lse = std::max(worst_lse, std::fabs(e.lse[static_cast<size_t>(h) * c.T + t] - (mx + std::log(z))));
        for (int x = 0; x < c.d; ++x) {
          double o = 0;
          for (int j = 0; j <= past + t; ++j) o += std::exp(s[static_cast<size_t>(j)] - mx) / z * v[(static_cast<size_t>(g) * c.len + j) * c.d + x];
          worst = std::max(worst, std::fabs(e.o[(static_cast<size_t>(t) * c.H + h) * c.d + x] - o));
        }
      }
    CHECK(worst < 1e-9 && worst_lse < 1e-9, "T %d len %d H %d G %d splits %d: out err %.3g, lse err %.3g", c.T, c.len, c.H, c.G,
          c.splits, worst, worst_lse);
  }
}


// The arena's allocator: aligned ranges, best fit, coalescing on free, peak, exhaustion; then a random sequence
// against a naive model (live ranges never overlap, in_use = their sum, all freed = one free range again).
static void test_offset_allocator() {
  using cuda::OffsetAllocator;
  OffsetAllocator a(4096 + 100);  // capacity rounds down to the alignment
  CHECK(a.capacity() == 4096, "capacity %lld", static_cast<long long>(a.capacity()));
  const int64_t x = a.alloc(1), y = a.alloc(300), z = a.alloc(0);
  CHECK(x == 0 && y == 256 && z == 768, "offsets %lld %lld %lld", static_cast<long long>(x), static_cast<long long>(y),
        static_cast<long long>(z));
  CHECK(a.in_use() == 1024 && a.peak() == 1024, "in use %lld", static_cast<long long>(a.in_use()));
  CHECK(a.alloc(4096) == -1 && a.in_use() == 1024, "too large: -1, nothing changed");
  CHECK(a.free(y) && !a.free(y) && !a.free(12345), "free once; unknown offsets refused");
  // best fit: the 512-byte hole at 256 takes a 512-byte request, not the 3072-byte tail
  CHECK(a.alloc(512) == 256, "best fit into the hole");
  CHECK(a.free(256) && a.free(x) && a.free(z), "free the rest");
  CHECK(a.in_use() == 0 && a.free_ranges() == 1 && a.largest_free() == 4096, "coalesced: %zu ranges, largest %lld",
        a.free_ranges(), static_cast<long long>(a.largest_free()));
  CHECK(a.peak() == 1024, "peak kept");
  a.reset_peak();
  CHECK(a.peak() == 0, "peak reset to in use");

  std::mt19937_64 rng(7);
  OffsetAllocator b(int64_t{1} << 20);
  std::map<int64_t, int64_t> live;  // offset → requested bytes
  bool ok = true;
  for (int step = 0; step < 20000; ++step) {
    if (live.empty() || rng() % 3 != 0) {
      const int64_t n = static_cast<int64_t>(rng() % 20000);
      const int64_t off = b.alloc(n);
      if (off < 0) {
        ok &= b.largest_free() < cuda::align_up(std::max<int64_t>(n, 1));
        continue;
      }
      ok &= off % cuda::kArenaAlign == 0 && off + n <= b.capacity();
      auto next = live.lower_bound(off);
      if (next != live.end()) ok &= off + cuda::align_up(std::max<int64_t>(n, 1)) <= next->first;
      if (next != live.begin()) {
        auto prev = std::prev(next);
        ok &= prev->first + cuda::align_up(std::max<int64_t>(prev->second, 1)) <= off;
      }
      live[off] = n;
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      ok &= b.free(it->first);
      live.erase(it);
    }
    int64_t sum = 0;
    for (const auto& e : live) sum += cuda::align_up(std::max<int64_t>(e.second, 1));
    ok &= sum == b.in_use() && b.peak() >= b.in_use();
  }
  CHECK(ok, "random alloc/free: aligned, disjoint, in_use = the live ranges' sum, failures only when nothing fits");
  for (const auto& e : live) b.free(e.first);
  CHECK(b.in_use() == 0 && b.free_ranges() == 1 && b.largest_free() == b.capacity(), "all freed: one range again");
}

// The prefill chunking of the CUDA forward (backend.cu) computes the statistics op chunk by chunk, each chunk's
// queries over the keys they see (chunk_stats): emulated here with the cpu reference op on each chunk, the sums equal
// the op over the whole call — the decomposition the forward relies on, for both modes (the op is causal), with and
// without earlier cache rows.
static void test_chunked_statistics() {
  const int H = 4, G = 2, d = 8, T = 23;
  std::mt19937_64 rng(11);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  for (int past : {0, 5}) {
    const int len = past + T;
    std::vector<float> q(static_cast<size_t>(T) * H * d), k(static_cast<size_t>(G) * len * d);
    for (auto& v : q) v = nd(rng);
    for (auto& v : k) v = nd(rng);
    auto keys_of = [&](int rows) {
      cpu::KeyRows kr;
      for (int g = 0; g < G; ++g) kr.head.push_back(k.data() + static_cast<size_t>(g) * len * d);
      kr.stride = d;
      kr.rows = rows;
      return kr;
    };
    struct Case {
      StatsMode mode;
      int qb, qe, key_end;
    };
    const Case cases[] = {{StatsMode::ProbSum, 0, T, -1},                // H2O: every row
                          {StatsMode::ProbSum, T - 6, T, past + T - 6},  // SnapKV: a window, the keys before it
                          {StatsMode::RawDot, T - 1, T, -1},             // GemFilter: the last row
                          {StatsMode::RawDot, 2, 17, 20}};               // rows whose later keys are masked
    for (int C : {1, 4, 7, 23, 64})
      for (const Case& cs : cases) {
        const StatsRequest req{0, cs.mode, cs.qb, cs.qe, cs.key_end, StatsAgg::PerQueryHead};
        Stats whole;
        cpu::attn_stats(q.data(), T, H, d, keys_of(len), req, whole);
        const int K = cs.key_end < 0 ? len : std::min(cs.key_end, len);
        std::vector<double> sum(static_cast<size_t>(H) * K, 0.0);
        for (int t0 = 0; t0 < T; t0 += C) {
          const int cn = std::min(C, T - t0);
          const cuda::ChunkStats c = cuda::chunk_stats(cs.qb, cs.qe, K, past, t0, cn);
          if (c.empty()) continue;
          const StatsRequest r{0, cs.mode, c.qb, c.qe, c.keys, StatsAgg::PerQueryHead};
          Stats part;
          cpu::attn_stats(q.data() + static_cast<size_t>(t0) * H * d, cn, H, d, keys_of(past + t0 + cn), r, part);
          for (int h = 0; h < H; ++h)
            for (int j = 0; j < c.keys; ++j) sum[static_cast<size_t>(h) * K + j] += part.row(h)[j];
        }
        double worst = 0;
        for (int h = 0; h < H; ++h)
          for (int j = 0; j < K; ++j)
            worst = std::max(worst, std::abs(sum[static_cast<size_t>(h) * K + j] - whole.row(h)[j]) / (1e-12 + std::abs(whole.row(h)[j])));
        CHECK(whole.keys == K && worst < 1e-9, "past %d chunk %d, mode %d rows [%d, %d): relative difference %g", past, C,
              static_cast<int>(cs.mode), cs.qb, cs.qe, worst);
      }
  }
}

// Prefill buffers and the arena plan for the Llama-3.1-8B shape at 128K: the activations stay chunk-sized (the MLP
// intermediate at full length alone would be 7 GiB), and the plan's parts are what the shape says.
static void test_forward_buffers_and_plan() {
  cuda::ModelShape m;
  m.D = 4096, m.H = 32, m.G = 8, m.d = 128, m.I = 14336, m.V = 128256;
  const int64_t n = 131072;
  const cuda::ForwardBuffers b = cuda::forward_buffers(m, n, n, true);
  CHECK(b.full == n * 4096 * 4 + 2 * n * 64 * 4 + n * 4, "full-length buffers %lld", static_cast<long long>(b.full));
  CHECK(b.chunk == 2 * 8192 * 4096 * 2 + 2 * 8192 * 4096 * 2 + 2 * 8192 * 1024 * 2 + 32 * 8192 * 4 + 2 * 4096 * 14336 * 2 + 2 * 32 * 8192 * 4,
        "chunk buffers %lld", static_cast<long long>(b.chunk));
  CHECK(b.layer_kv == 2 * 8 * 8192 * 128 * 2 && b.stats == 2 * 32 * n * 4 && b.logits == 128256 * 4, "kv/stats/logits");
  CHECK(b.total() < (int64_t{3} << 30), "a 128K prefill's buffers: %.2f GiB", b.total() / 1073741824.0);
  const cuda::ForwardBuffers nc = cuda::forward_buffers(m, n, n, false);
  CHECK(nc.layer_kv == 2 * 8 * n * 128 * 2, "without a cache: the layer's whole K/V (%lld)", static_cast<long long>(nc.layer_kv));
  const int64_t weights = int64_t{8030261248} * 2;
  const cuda::ArenaPlan p = cuda::arena_plan(m, 32, weights, n);
  CHECK(p.weights == weights && p.kv == 33 * (2 * 8 * n * 128 * 2), "plan weights/kv");
  CHECK(p.forward == b.total() && p.slack == (int64_t{64} << 20) + (weights + p.kv + p.forward) / 50, "plan forward/slack");
  CHECK(p.total() < (int64_t{37} << 30), "Llama-3.1-8B at 128K: arena %.2f GiB", p.total() / 1073741824.0);
  // chunk_stats: rows relative to the chunk, keys the chunk can see
  const cuda::ChunkStats c = cuda::chunk_stats(100, 200, 1000, 10, 150, 64);
  CHECK(c.qb == 0 && c.qe == 50 && c.keys == 224, "chunk_stats %d %d %d", c.qb, c.qe, c.keys);
  CHECK(cuda::chunk_stats(100, 200, 1000, 10, 0, 64).empty(), "no rows of the request in the chunk");
}

// The ragged cache's host bookkeeping (ragged.h), on a host emulation of one layer's packed buffer (a row = one int
// naming its head and token): a keep with different lengths per head, an append of two tokens (token-major source,
// per-query-head source mapping too), a growth, and a keep from the ragged layer; offsets, lengths, capacities, the
// rows stored (what bytes() counts) and every row's content.
static void test_ragged_layout() {
  using cuda::RaggedLayout;
  auto apply = [](const std::vector<int>& src, std::vector<int>& dst, const cuda::RowMap& m) {
    for (const auto& p : m) dst[static_cast<size_t>(p.second)] = src[static_cast<size_t>(p.first)];
  };
  // A uniform layer: 2 heads, capacity 10, 8 rows each; row j of head h holds 100·h + j.
  const int G = 2, cap = 10;
  std::vector<int> uni(static_cast<size_t>(G) * cap, -1);
  for (int h = 0; h < G; ++h)
    for (int j = 0; j < 8; ++j) uni[static_cast<size_t>(h * cap + j)] = 100 * h + j;
  const std::vector<std::vector<int>> keep = {{1, 3, 5}, {0, 2, 4, 6, 7}};
  const RaggedLayout r = RaggedLayout::after_keep({3, 5}, 2);
  CHECK(r.off == std::vector<int>({0, 5}) && r.cap == std::vector<int>({5, 7}) && r.len == std::vector<int>({3, 5}), "layout after keep");
  CHECK(r.total_rows() == 12 && r.stored_rows() == 8 && r.max_len() == 5 && !r.uniform(), "rows: buffer %lld, stored %lld",
        static_cast<long long>(r.total_rows()), static_cast<long long>(r.stored_rows()));
  std::vector<int> buf(static_cast<size_t>(r.total_rows()), -1);
  apply(uni, buf, cuda::keep_map(keep, {0, 1}, {0, cap}, r));
  CHECK(buf == std::vector<int>({1, 3, 5, -1, -1, 100, 102, 104, 106, 107, -1, -1}), "kept rows in place");

  // Append 2 tokens: source [T][G] rows, token t of KV head g = 1000 + 10·t + g.
  RaggedLayout a = r;
  CHECK(a.fits(2) && !a.fits(3), "room for 2 more rows per head, not 3");
  std::vector<int> tok = {1000, 1001, 1010, 1011};
  const cuda::RowMap am = cuda::append_map(a, 2, G);
  CHECK(am == cuda::RowMap({{0, 3}, {2, 4}, {1, 10}, {3, 11}}), "append map");
  apply(tok, buf, am);
  for (int& x : a.len) x += 2;
  CHECK(buf == std::vector<int>({1, 3, 5, 1000, 1010, 100, 102, 104, 106, 107, 1001, 1011}), "appended rows");
  CHECK(a.stored_rows() == 12 && a.max_len() == 7, "stored rows after the append");

  // Growth for one more row: each full head's capacity doubles (5 → 10, 7 → 14), contents moved.
  const RaggedLayout gr = a.grown(1);
  CHECK(gr.cap == std::vector<int>({10, 14}) && gr.off == std::vector<int>({0, 10}) && gr.len == a.len && gr.total_rows() == 24, "grown layout");
  std::vector<int> big(static_cast<size_t>(gr.total_rows()), -1);
  apply(buf, big, cuda::move_map(a, gr));
  for (int h = 0; h < G; ++h)
    for (int j = 0; j < a.len[static_cast<size_t>(h)]; ++j)
      CHECK(big[static_cast<size_t>(gr.off[static_cast<size_t>(h)] + j)] == buf[static_cast<size_t>(a.off[static_cast<size_t>(h)] + j)],
            "grown head %d row %d", h, j);
  CHECK(gr.grown(1).cap == gr.cap, "no growth when the rows fit");

  // A keep from the ragged layer (its offsets as the source bases), heads swapped.
  const RaggedLayout k2 = RaggedLayout::after_keep({2, 1}, 0);
  std::vector<int> out(static_cast<size_t>(k2.total_rows()), -1);
  apply(big, out, cuda::keep_map({{0, 6}, {4}}, {1, 0}, gr.off, k2));
  CHECK(out == std::vector<int>({100, 1011, 1010}), "keep from a ragged layer");

  // A per-query-head ragged layer (4 cache heads over 2 KV heads): heads 0, 1 read KV head 0, heads 2, 3 KV head 1.
  const RaggedLayout q4 = RaggedLayout::after_keep({1, 2, 3, 4}, 1);
  const cuda::RowMap qm = cuda::append_map(q4, 1, G);
  CHECK(qm == cuda::RowMap({{0, 1}, {0, 4}, {1, 8}, {1, 13}}), "per-query-head append map");
  bool threw = false;
  try {
    RaggedLayout::packed({3}, {2});
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw, "a capacity below the length is refused");
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gem-cuda-host-test <fake libcublasLt.so>\n");
    return 2;
  }
  test_symbol_table_matches_header();
  test_loader(argv[1]);
  test_mma_fragment_maps();
  test_gqa_packing_and_causal_ranges();
  test_split_schedule();
  test_grid_rows();
  test_swizzle();
  test_topk_radix();
  test_attention_algorithm();
  test_offset_allocator();
  test_chunked_statistics();
  test_forward_buffers_and_plan();
  test_ragged_layout();
  return finish_checks();
}
