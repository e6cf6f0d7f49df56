// Host tests of the Hopper attention kernels' index math (src/cuda/hopper/layout.h), run on the CPU in `npm test`
// (test/native-hopper-layout.test.ts). Two kinds of check:
//  1. each map against the layout the PTX ISA documents, written out here independently: the 128-byte swizzle, the
//     wgmma shared-memory matrix descriptor (bit fields; K-major and MN-major canonical layouts: which shared address
//     the tensor core reads for operand element (mn, k)), the accumulator and register-A fragments, and the
//     schedules against brute force;
//  2. an emulation of both kernels' data flow on the CPU — TMA boxes placed in a byte array (zero fill out of
//     bounds), wgmma operands read back through the descriptors the kernels build, accumulators per thread and
//     register, the kernels' masking, online softmax, P re-packed as register-A fragments, row log-sum-exp and column
//     sums — against naive attention in double precision, at awkward shapes (head_dim 96/128, GQA groups 1/4/5/7/8,
//     query offsets, partial blocks).
// What this cannot check: the hardware itself (instruction semantics, barriers, races, speed) — that is the GPU
// selftest's job.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <set>
#include <vector>

#include "../src/cuda/hopper/layout.h"

using namespace gem::hopper;

static int g_failures = 0, g_checks = 0;
#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    ++g_checks;                                                                \
    if (!(cond)) {                                                             \
      if (++g_failures <= 30) {                                                \
        std::fprintf(stderr, "FAIL %s:%d: %s — ", __FILE__, __LINE__, #cond); \
        std::fprintf(stderr, __VA_ARGS__);                                     \
        std::fprintf(stderr, "\n");                                            \
      }                                                                        \
    }                                                                          \
  } while (0)

// ---------- the PTX ISA's definitions, written independently of layout.h ----------
// 128-byte swizzle: 16-byte unit u of a 128-byte row r (within its 8-row atom) is stored at unit u XOR (r mod 8).
static uint32_t ref_swizzle128(uint32_t addr) {
  const uint32_t row = (addr / 128) % 8, unit = (addr / 16) % 8;
  return (addr / 1024) * 1024 + row * 128 + ((unit ^ row) * 16) + addr % 16;
}
struct Desc {
  uint32_t start, lbo, sbo, base_offset, swizzle;
};
static Desc decode(uint64_t d) {
  return Desc{static_cast<uint32_t>(d & 0x3FFF) << 4, static_cast<uint32_t>((d >> 16) & 0x3FFF) << 4,
              static_cast<uint32_t>((d >> 32) & 0x3FFF) << 4, static_cast<uint32_t>((d >> 49) & 7),
              static_cast<uint32_t>(d >> 62)};
}
// Shared address the tensor core reads for element (mn, k) (k < 16) of a 16-bit operand given by a 128B-swizzled
// descriptor. Canonical layouts, in 16-byte units T (8 elements): K-major ((8,m),(T,2)) : ((8T,SBO),(1,T)) — 8 rows
// 128 B apart, groups of 8 rows SBO apart, the 16 k elements contiguous; MN-major ((T,8,m),(8,k)) : ((1,T,LBO),(8T,SBO))
// — 64 mn elements contiguous, the next 64 LBO apart, k rows 128 B apart, groups of 8 k rows SBO apart. The swizzle
// applies to the computed address.
static uint32_t ref_operand_addr(const Desc& d, bool mn_major, int mn, int k) {
  uint32_t a;
  if (!mn_major)
    a = d.start + (mn / 8) * d.sbo + (mn % 8) * 128 + k * 2;
  else
    a = d.start + (mn / 64) * d.lbo + (k / 8) * d.sbo + (k % 8) * 128 + (mn % 64) * 2;
  return ref_swizzle128(a);
}
// Accumulator of wgmma m64nNk16 (f32): thread t, register i — warp w = t/32 owns rows 16w..16w+15; lane l holds
// rows l/4 and l/4 + 8 and, in each 8-column chunk c = i/4, columns 2(l%4) and 2(l%4)+1.
static void ref_acc(int t, int i, int& row, int& col) {
  const int w = t / 32, l = t % 32;
  row = 16 * w + l / 4 + ((i % 4) >= 2 ? 8 : 0);
  col = 8 * (i / 4) + 2 * (l % 4) + (i % 2);
}
// Register A of wgmma m64nNk16 (bf16): a0..a7 of lane l in warp w: (g, 2q), (g, 2q+1), (g+8, 2q), (g+8, 2q+1),
// (g, 2q+8), (g, 2q+9), (g+8, 2q+8), (g+8, 2q+9) with g = 16w + l/4, q = l%4.
static void ref_afrag(int t, int j, int& row, int& col) {
  const int w = t / 32, l = t % 32, g = 16 * w + l / 4, q = l % 4;
  static const int dr[8] = {0, 0, 8, 8, 0, 0, 8, 8}, dc[8] = {0, 1, 0, 1, 8, 9, 8, 9};
  row = g + dr[j];
  col = 2 * q + dc[j];
}

static void test_swizzle_and_tiles() {
  for (uint32_t a = 0; a < 4096; a += 2) CHECK(swizzle128(a) == ref_swizzle128(a), "swizzle128(%u)", a);
  // a rows x 128 tile: every element a distinct, in-range, 2-aligned byte offset
  for (int rows : {64, 128}) {
    std::set<uint32_t> seen;
    bool ok = true;
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < kHeadDimPad; ++c) {
        const uint32_t off = tile_offset(rows, r, c);
        ok = ok && off % 2 == 0 && off < static_cast<uint32_t>(tile_bytes(rows)) && seen.insert(off).second;
        // TMA's box placement: panel c/64, row-major 128-byte rows, swizzled
        ok = ok && off == (c / 64) * rows * 128 + ref_swizzle128(r * 128 + (c % 64) * 2);
      }
    CHECK(ok && seen.size() == static_cast<size_t>(rows * kHeadDimPad), "tile_offset is the TMA box layout, rows %d", rows);
  }
}

static void test_descriptors() {
  const uint64_t d = make_desc(0x12340, 16, 1024);
  const Desc x = decode(d);
  CHECK(x.start == 0x12340 && x.lbo == 16 && x.sbo == 1024 && x.base_offset == 0 && x.swizzle == 1, "desc fields");
  CHECK((d & (3ull << 14)) == 0 && (d & (3ull << 30)) == 0 && ((d >> 46) & 7) == 0, "reserved bits zero");
  const Desc y = decode(make_desc(0x3FFF0, mnmajor_lbo(128), kMnMajorSbo));
  CHECK(y.start == 0x3FFF0 && y.lbo == 16384, "14-bit fields hold the 16 KB panel stride and a 256 KB address");

  // Q·Kᵀ: A = rows row_base.. of the Q tile, B = the K tile, both K-major, for every k-step.
  const uint32_t base_q = 0, base_k = static_cast<uint32_t>(tile_bytes(kBlockM));  // 1024-aligned like the kernel's
  bool ok = true;
  for (int row_base : {0, 64})
    for (int ks = 0; ks < kHeadDimPad / 16; ++ks) {
      const Desc a = decode(make_desc(kmajor_start(base_q, kBlockM, row_base, ks), kKMajorLbo, kKMajorSbo));
      for (int m = 0; m < 64; ++m)
        for (int k = 0; k < 16; ++k)
          ok = ok && ref_operand_addr(a, false, m, k) == base_q + tile_offset(kBlockM, row_base + m, ks * 16 + k);
    }
  CHECK(ok, "K-major descriptors read the Q tile where TMA put it");
  ok = true;
  for (int ks = 0; ks < kHeadDimPad / 16; ++ks) {
    const Desc b = decode(make_desc(kmajor_start(base_k, kBlockN, 0, ks), kKMajorLbo, kKMajorSbo));
    for (int n = 0; n < kBlockN; ++n)
      for (int k = 0; k < 16; ++k) ok = ok && ref_operand_addr(b, false, n, k) == base_k + tile_offset(kBlockN, n, ks * 16 + k);
  }
  CHECK(ok, "K-major descriptors read the K tile (B, N = 128) where TMA put it");
  // P·V: B = V tile, MN-major (N = head_dim contiguous), k = keys.
  ok = true;
  const uint32_t base_v = base_k + static_cast<uint32_t>(tile_bytes(kBlockN));
  for (int ks = 0; ks < kBlockN / 16; ++ks) {
    const Desc b = decode(make_desc(mnmajor_start(base_v, ks), mnmajor_lbo(kBlockN), kMnMajorSbo));
    for (int n = 0; n < kHeadDimPad; ++n)
      for (int k = 0; k < 16; ++k) ok = ok && ref_operand_addr(b, true, n, k) == base_v + tile_offset(kBlockN, ks * 16 + k, n);
  }
  CHECK(ok, "MN-major descriptors read the V tile where TMA put it");
}

static void test_fragments() {
  std::set<int> seen;
  bool ok = true;
  for (int t = 0; t < 128; ++t)
    for (int i = 0; i < 64; ++i) {
      int r, c;
      ref_acc(t, i, r, c);
      ok = ok && r == acc_row(t, i) && c == acc_col(t, i);
      seen.insert(r * 128 + c);
    }
  CHECK(ok && seen.size() == 64 * 128, "accumulator map = PTX figure, a bijection onto 64 x 128");
  seen.clear();
  ok = true;
  for (int t = 0; t < 128; ++t)
    for (int j = 0; j < 8; ++j) {
      int r, c;
      ref_afrag(t, j, r, c);
      ok = ok && r == afrag_row(t, j) && c == afrag_col(t, j);
      seen.insert(r * 16 + c);
    }
  CHECK(ok && seen.size() == 64 * 16, "register-A map = PTX figure, a bijection onto 64 x 16");
  ok = true;
  for (int t = 0; t < 128; ++t)
    for (int ks = 0; ks < 8; ++ks)
      for (int j = 0; j < 8; ++j) {
        const int i = p_to_afrag_acc_index(ks, j);
        ok = ok && acc_row(t, i) == afrag_row(t, j) && acc_col(t, i) == 16 * ks + afrag_col(t, j);
      }
  CHECK(ok, "S accumulator registers re-packed as P's register-A fragments hold the same (row, col), same thread");
  // The two rows of a thread and the quad that shares them (softmax reductions use xor 1, 2 shuffles).
  ok = true;
  for (int t = 0; t < 128; ++t)
    for (int i = 0; i < 64; ++i) ok = ok && acc_row(t, i) == acc_row(t, 2 * ((i / 2) % 2)) && acc_row(t ^ 1, i) == acc_row(t, i) &&
                                       acc_row(t ^ 2, i) == acc_row(t, i) && acc_row(t ^ 4, i) != acc_row(t, i);
  CHECK(ok, "each thread holds 2 rows; a row lives in one quad (lanes differing in bits 0-1)");
}

static bool visible(int qpos, int key, int n_k) { return key <= qpos && key < n_k; }

static void test_prefill_schedule() {
  for (int n_q : {1, 127, 128, 129, 500, 1024})
    for (int q_offset : {0, 5, 128, 777})
      for (int heads : {1, 4, 7}) {
        const int n_k = q_offset + n_q, nb = ceil_div(n_q, kBlockM);
        std::set<std::pair<int, int>> seen;
        int prev_work = 1 << 30;
        bool ordered = true, ranges = true, masks = true;
        for (int linear = 0; linear < nb * heads; ++linear) {
          const PrefillWork w = prefill_work(linear, nb, heads);
          seen.insert({w.q_block, w.head});
          const int end = kv_block_end(w.q_block, q_offset, n_k);
          ordered = ordered && end <= prev_work;  // heaviest (most key blocks) first
          prev_work = end;
          // brute force: the key blocks holding a key some row of the block sees
          int last_needed = -1;
          for (int kb = 0; kb * kBlockN < n_k; ++kb) {
            bool any = false, all = true;
            for (int r = 0; r < kBlockM; ++r)
              for (int c = 0; c < kBlockN; ++c) {
                const bool v = visible(q_offset + w.q_block * kBlockM + r, kb * kBlockN + c, n_k);
                any = any || v;
                all = all && v;
              }
            if (any) last_needed = kb;
            if (kb < end) masks = masks && (kv_block_needs_mask(w.q_block, kb, q_offset, n_k) == !all);
          }
          ranges = ranges && end == last_needed + 1;
        }
        CHECK(seen.size() == static_cast<size_t>(nb * heads), "prefill_work covers every (block, head) once");
        CHECK(ordered, "heaviest query blocks first (n_q %d, offset %d)", n_q, q_offset);
        CHECK(ranges, "kv_block_end = last key block any row sees + 1 (n_q %d, offset %d)", n_q, q_offset);
        CHECK(masks, "masked exactly the blocks with an invisible (row, key) pair (n_q %d, offset %d)", n_q, q_offset);
        // adjacent CTAs of one query block share KV heads (group-major head order)
        CHECK(prefill_work(1, nb, heads).q_block == nb - 1 || heads == 1, "a block's heads are launched together");
      }
}

static void test_colsum_schedule() {
  for (int n_q : {1, 130, 300})
    for (int q_offset : {0, 200})
      for (int q_begin : {0, 7})
        for (int q_end_back : {0, 3}) {
          const int q_end = n_q - q_end_back, n_k = q_offset + n_q;
          if (q_begin >= q_end) continue;
          const int qb_end = ceil_div(q_end - q_begin, kBlockN);
          bool ok = true, masks = true;
          for (int kb = 0; kb * kBlockM < n_k; ++kb) {
            const int begin = colsum_q_block_begin(kb, q_offset, q_begin);
            for (int qb = 0; qb < qb_end; ++qb) {
              bool any = false, all = true;
              for (int r = 0; r < kBlockN; ++r)
                for (int c = 0; c < kBlockM; ++c) {
                  const int qr = q_begin + qb * kBlockN + r, key = kb * kBlockM + c;
                  const bool v = qr < q_end && key <= q_offset + qr;
                  any = any || v;
                  all = all && v;
                }
              if (qb < begin) ok = ok && !any;  // skipped blocks contribute nothing
              if (qb >= begin) masks = masks && (colsum_q_block_needs_mask(kb, qb, q_offset, q_begin, q_end) == !all);
            }
          }
          CHECK(ok, "colsum skips only query blocks that see none of its keys (n_q %d off %d qb %d)", n_q, q_offset, q_begin);
          CHECK(masks, "colsum masks exactly the blocks with an invisible pair (n_q %d off %d qb %d)", n_q, q_offset, q_begin);
        }
  std::set<std::pair<int, int>> seen;
  for (int linear = 0; linear < 5 * 3; ++linear) seen.insert({colsum_work(linear, 3).k_block, colsum_work(linear, 3).head});
  CHECK(seen.size() == 15 && colsum_work(0, 3).k_block == 0, "colsum_work covers every (key block, head), first keys first");
}

static void test_tma_geometry_and_smem() {
  // Q as [n][H*d] activations: row stride H*d, head stride d; a cache as [G][cap][d]: row stride d, head stride cap*d.
  const TmaGeometry q = tma_geometry(128, 1000, 32, 32 * 128, 128, kBlockM);
  CHECK(q.dims[0] == 128 && q.dims[1] == 1000 && q.dims[2] == 32, "dims innermost first");
  CHECK(q.strides[0] == 32 * 128 * 2 && q.strides[1] == 256, "byte strides of rows and heads");
  CHECK(q.box[0] == 64 && q.box[1] == 128 && q.box[2] == 1, "box: one 128-byte swizzle row x 128 rows x 1 head");
  CHECK(tma_box_bytes(q) * kPanels == static_cast<uint32_t>(tile_bytes(kBlockM)), "two boxes fill a tile (expect_tx bytes)");
  CHECK(tma_geometry_problem(q, 0x10000) == nullptr, "aligned view accepted");
  CHECK(tma_geometry_problem(q, 0x10008) != nullptr, "misaligned base refused");
  const TmaGeometry phi = tma_geometry(96, 4096, 32, 96, 4096 * 96, kBlockN);
  CHECK(tma_geometry_problem(phi, 0) == nullptr && phi.dims[0] == 96, "head_dim 96: columns 96..127 are out of bounds (zeros)");
  CHECK(tma_geometry_problem(tma_geometry(128, 10, 3, 132, 8, kBlockN), 0) != nullptr, "row stride not 16-byte multiple refused");
  CHECK(PrefillSmem::bytes <= kMaxSmemBytes && ColsumSmem::bytes <= kMaxSmemBytes, "shared memory within 227 KB (%d, %d)",
        PrefillSmem::bytes, ColsumSmem::bytes);
  CHECK(PrefillSmem::barriers % 8 == 0 && ColsumSmem::barriers % 8 == 0, "mbarriers 8-byte aligned");
  CHECK(PrefillSmem::q % 1024 == 0 && PrefillSmem::k % 1024 == 0 && PrefillSmem::v % 1024 == 0 && ColsumSmem::q % 1024 == 0,
        "tiles on swizzle-atom boundaries");
}

// ---------- CPU emulation of the kernels' data flow ----------
static uint16_t to_bf16(float f) {  // round to nearest even
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7FFF + ((u >> 16) & 1);
  return static_cast<uint16_t>(u >> 16);
}
static float from_bf16(uint16_t h) {
  const uint32_t u = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
struct Lcg {
  uint64_t s;
  float next() {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<float>(static_cast<double>(s >> 11) / 9007199254740992.0 * 2.0 - 1.0);
  }
};
// A [heads][rows][d] view with strides, as the kernels see global memory.
struct View {
  std::vector<uint16_t> data;
  int rows, heads, d;
  int64_t row_stride, head_stride;
  float at(int h, int r, int c) const { return from_bf16(data[h * head_stride + r * row_stride + c]); }
};
static View random_view(int rows, int heads, int d, bool row_major_heads, Lcg& g, float amp) {
  View v{{}, rows, heads, d, row_major_heads ? int64_t(heads) * d : d, row_major_heads ? d : int64_t(rows) * d};
  v.data.resize(static_cast<size_t>(rows) * heads * d);
  for (auto& x : v.data) x = to_bf16(g.next() * amp);
  return v;
}
// TMA: load box (64 columns from c0) x box_rows rows from r0 of head h into smem at `dst` (128B swizzle), zeros
// outside the tensor.
static void tma_box(std::vector<uint8_t>& smem, uint32_t dst, const View& v, int c0, int r0, int h, int box_rows) {
  for (int r = 0; r < box_rows; ++r)
    for (int c = 0; c < 64; ++c) {
      const int gr = r0 + r, gc = c0 + c;
      const uint16_t x = (gr < v.rows && gc < v.d) ? v.data[h * v.head_stride + gr * v.row_stride + gc] : 0;
      std::memcpy(&smem[dst + tma_box_offset(r, c)], &x, 2);
    }
}
static float smem_bf16(const std::vector<uint8_t>& smem, uint32_t addr) {
  uint16_t x;
  std::memcpy(&x, &smem[addr], 2);
  return from_bf16(x);
}
// wgmma m64n128k16 for one warpgroup: acc[t][i] (+)= A·B with A, B read through descriptors (or A from registers).
using Acc = std::vector<std::vector<float>>;  // [128 threads][64 registers]
static void wgmma_ss(Acc& acc, const std::vector<uint8_t>& smem, uint64_t da, uint64_t db, bool b_mn_major, bool accumulate) {
  const Desc a = decode(da), b = decode(db);
  for (int t = 0; t < 128; ++t)
    for (int i = 0; i < 64; ++i) {
      int m, n;
      ref_acc(t, i, m, n);
      float s = accumulate ? acc[t][i] : 0.0f;
      for (int k = 0; k < 16; ++k)
        s += smem_bf16(smem, ref_operand_addr(a, false, m, k)) * smem_bf16(smem, ref_operand_addr(b, b_mn_major, n, k));
      acc[t][i] = s;
    }
}
static void wgmma_rs(Acc& acc, const std::vector<std::vector<uint16_t>>& afrag /*[t][8]*/, const std::vector<uint8_t>& smem,
                     uint64_t db) {
  const Desc b = decode(db);
  float A[64][16];
  for (int t = 0; t < 128; ++t)
    for (int j = 0; j < 8; ++j) {
      int r, c;
      ref_afrag(t, j, r, c);
      A[r][c] = from_bf16(afrag[t][j]);
    }
  for (int t = 0; t < 128; ++t)
    for (int i = 0; i < 64; ++i) {
      int m, n;
      ref_acc(t, i, m, n);
      for (int k = 0; k < 16; ++k) acc[t][i] += A[m][k] * smem_bf16(smem, ref_operand_addr(b, true, n, k));
    }
}

struct Shape {
  int n_q, q_offset, heads, group, d;
};

// Emulates prefill_kernel for every CTA; returns O [heads][n_q][d] and lse [heads][n_q].
static void emulate_prefill(const Shape& s, const View& Q, const View& K, const View& V, std::vector<float>& O,
                            std::vector<float>& lse) {
  const int n_k = s.q_offset + s.n_q, nb = ceil_div(s.n_q, kBlockM);
  const float scale = 1.0f / std::sqrt(static_cast<float>(s.d)), scale_log2 = scale * 1.4426950408889634f;
  O.assign(static_cast<size_t>(s.heads) * s.n_q * s.d, NAN);
  lse.assign(static_cast<size_t>(s.heads) * s.n_q, NAN);
  std::vector<uint8_t> smem(PrefillSmem::end, 0);
  for (int linear = 0; linear < nb * s.heads; ++linear) {
    const PrefillWork w = prefill_work(linear, nb, s.heads);
    const int kvh = w.head / s.group, n_kv = kv_block_end(w.q_block, s.q_offset, n_k);
    for (int p = 0; p < kPanels; ++p) tma_box(smem, PrefillSmem::q + p * panel_bytes(kBlockM), Q, p * 64, w.q_block * kBlockM, w.head, kBlockM);
    for (int wg = 0; wg < kConsumerWarpgroups; ++wg) {
      const int row_base = 64 * wg, qpos0 = s.q_offset + w.q_block * kBlockM + row_base;
      Acc S(128, std::vector<float>(64)), Oa(128, std::vector<float>(64, 0.0f));
      std::vector<float> m_run(128 * 2, -INFINITY), l_run(128 * 2, 0.0f);
      bool finite_max = true;
      for (int j = 0; j < n_kv; ++j) {
        const int st = j % kStages;
        const uint32_t kt = PrefillSmem::k + st * tile_bytes(kBlockN), vt = PrefillSmem::v + st * tile_bytes(kBlockN);
        for (int p = 0; p < kPanels; ++p) {
          tma_box(smem, kt + p * panel_bytes(kBlockN), K, p * 64, j * kBlockN, kvh, kBlockN);
          tma_box(smem, vt + p * panel_bytes(kBlockN), V, p * 64, j * kBlockN, kvh, kBlockN);
        }
        for (int ks = 0; ks < kHeadDimPad / 16; ++ks)
          wgmma_ss(S, smem, make_desc(kmajor_start(PrefillSmem::q, kBlockM, row_base, ks), kKMajorLbo, kKMajorSbo),
                   make_desc(kmajor_start(kt, kBlockN, 0, ks), kKMajorLbo, kKMajorSbo), false, ks > 0);
        const bool masked = kv_block_needs_mask(w.q_block, j, s.q_offset, n_k);
        std::vector<std::vector<uint16_t>> P(128, std::vector<uint16_t>(64));
        if (masked)
          for (int t = 0; t < 128; ++t)
            for (int i = 0; i < 64; ++i)
              if (!visible(qpos0 + acc_row(t, i), j * kBlockN + acc_col(t, i), n_k)) S[t][i] = -INFINITY;
        // quad_max: every thread of the quad sees the others' (masked) scores before any is overwritten
        std::vector<float> mnew(128 * 2);
        for (int t = 0; t < 128; ++t)
          for (int h = 0; h < 2; ++h) {
            float mx = m_run[t * 2 + h];
            for (int u = t & ~3; u < (t & ~3) + 4; ++u)
              for (int i = 0; i < 64; ++i)
                if ((i / 2) % 2 == h) mx = std::fmax(mx, S[u][i]);
            mnew[t * 2 + h] = mx;
          }
        for (int t = 0; t < 128; ++t) {
          float alpha[2];
          for (int h = 0; h < 2; ++h) {
            const float mx = mnew[t * 2 + h];
            finite_max = finite_max && std::isfinite(mx);
            alpha[h] = std::exp2((m_run[t * 2 + h] - mx) * scale_log2);
            m_run[t * 2 + h] = mx;
            float sum = 0.0f;
            for (int i = 0; i < 64; ++i)
              if ((i / 2) % 2 == h) {
                S[t][i] = std::exp2(std::fma(S[t][i], scale_log2, -mx * scale_log2));
                sum += S[t][i];
              }
            l_run[t * 2 + h] = l_run[t * 2 + h] * alpha[h] + sum;
          }
          for (int i = 0; i < 64; ++i) Oa[t][i] *= alpha[(i / 2) % 2];
          for (int ks = 0; ks < 8; ++ks)
            for (int jj = 0; jj < 8; ++jj) P[t][ks * 8 + jj] = to_bf16(S[t][p_to_afrag_acc_index(ks, jj)]);
        }
        for (int ks = 0; ks < kBlockN / 16; ++ks) {
          std::vector<std::vector<uint16_t>> frag(128, std::vector<uint16_t>(8));
          for (int t = 0; t < 128; ++t)
            for (int jj = 0; jj < 8; ++jj) frag[t][jj] = P[t][ks * 8 + jj];
          wgmma_rs(Oa, frag, smem, make_desc(mnmajor_start(vt, ks), mnmajor_lbo(kBlockN), kMnMajorSbo));
        }
      }
      CHECK(finite_max, "row max finite at every block (key 0 is visible to every row and lies in block 0)");
      for (int t = 0; t < 128; ++t) {
        float l[2];
        for (int h = 0; h < 2; ++h) {
          l[h] = 0.0f;
          for (int u = t & ~3; u < (t & ~3) + 4; ++u) l[h] += l_run[u * 2 + h];
        }
        for (int i = 0; i < 64; ++i) {
          const int row = w.q_block * kBlockM + row_base + acc_row(t, i), col = acc_col(t, i);
          if (row < s.n_q && col < s.d) O[(static_cast<size_t>(w.head) * s.n_q + row) * s.d + col] = Oa[t][i] / l[(i / 2) % 2];
        }
        if (t % 4 == 0)
          for (int h = 0; h < 2; ++h) {
            const int row = w.q_block * kBlockM + row_base + acc_row(t, 2 * h);
            if (row < s.n_q) lse[static_cast<size_t>(w.head) * s.n_q + row] = (m_run[t * 2 + h] * scale_log2 + std::log2(l[h])) * 0.6931471805599453f;
          }
      }
    }
  }
}

// Emulates colsum_kernel over query rows [q_begin, q_end): out [heads][n_k].
static void emulate_colsum(const Shape& s, int q_begin, int q_end, const View& Q, const View& K, const std::vector<float>& lse,
                           std::vector<float>& out) {
  const int n_k = s.q_offset + s.n_q;
  const float scale_log2 = 1.4426950408889634f / std::sqrt(static_cast<float>(s.d));
  out.assign(static_cast<size_t>(s.heads) * n_k, NAN);
  std::vector<uint8_t> smem(ColsumSmem::end, 0);
  const int nkb = ceil_div(n_k, kBlockM), qb_end = ceil_div(q_end - q_begin, kBlockN);
  for (int linear = 0; linear < nkb * s.heads; ++linear) {
    const ColsumWork w = colsum_work(linear, s.heads);
    const int kvh = w.head / s.group;
    for (int p = 0; p < kPanels; ++p) tma_box(smem, ColsumSmem::k + p * panel_bytes(kBlockM), K, p * 64, w.k_block * kBlockM, kvh, kBlockM);
    for (int wg = 0; wg < kConsumerWarpgroups; ++wg) {
      const int row_base = 64 * wg, key0 = w.k_block * kBlockM + row_base;
      std::vector<float> sums(128 * 2, 0.0f);
      Acc S(128, std::vector<float>(64));
      for (int qb = colsum_q_block_begin(w.k_block, s.q_offset, q_begin); qb < qb_end; ++qb) {
        const int st = (qb - colsum_q_block_begin(w.k_block, s.q_offset, q_begin)) % kStages;
        const uint32_t qt = ColsumSmem::q + st * tile_bytes(kBlockN);
        const int qrow0 = q_begin + qb * kBlockN;
        for (int p = 0; p < kPanels; ++p) tma_box(smem, qt + p * panel_bytes(kBlockN), Q, p * 64, qrow0, w.head, kBlockN);
        for (int ks = 0; ks < kHeadDimPad / 16; ++ks)
          wgmma_ss(S, smem, make_desc(kmajor_start(ColsumSmem::k, kBlockM, row_base, ks), kKMajorLbo, kKMajorSbo),
                   make_desc(kmajor_start(qt, kBlockN, 0, ks), kKMajorLbo, kKMajorSbo), false, ks > 0);
        const bool masked = colsum_q_block_needs_mask(w.k_block, qb, s.q_offset, q_begin, q_end);
        for (int t = 0; t < 128; ++t)
          for (int i = 0; i < 64; ++i) {
            const int qr = qrow0 + acc_col(t, i), key = key0 + acc_row(t, i);
            const float l2 = qr < q_end ? lse[static_cast<size_t>(w.head) * s.n_q + qr] * 1.4426950408889634f : INFINITY;
            float p = std::exp2(std::fma(S[t][i], scale_log2, -l2));
            if (masked && (qr >= q_end || key > s.q_offset + qr)) p = 0.0f;
            sums[t * 2 + (i / 2) % 2] += p;
          }
      }
      for (int t = 0; t < 128; t += 4)
        for (int h = 0; h < 2; ++h) {
          float total = 0.0f;
          for (int u = t; u < t + 4; ++u) total += sums[u * 2 + h];
          const int key = key0 + acc_row(t, 2 * h);
          if (key < n_k) out[static_cast<size_t>(w.head) * n_k + key] = total;
        }
    }
  }
}

static void test_emulated_kernels() {
  // heads = kv_heads x group; shapes with partial blocks, offsets (chunked prefill), both head dims
  const Shape shapes[] = {{200, 0, 4, 4, 128}, {131, 70, 5, 5, 96}, {70, 300, 7, 7, 128}, {129, 0, 8, 8, 96}, {257, 3, 2, 1, 128}};
  Lcg g{12345};
  int shape_no = 0;
  for (const Shape& s : shapes) {
    const int n_k = s.q_offset + s.n_q, kv_heads = s.heads / s.group;
    const View Q = random_view(s.n_q, s.heads, s.d, true, g, 2.0f);         // [n][H*d] activations
    const View K = random_view(n_k, kv_heads, s.d, shape_no % 2 == 0, g, 2.0f);  // either layout
    const View V = random_view(n_k, kv_heads, s.d, shape_no % 2 == 1, g, 1.0f);
    std::vector<float> O, lse;
    emulate_prefill(s, Q, K, V, O, lse);
    const double scale = 1.0 / std::sqrt(static_cast<double>(s.d));
    double err = 0, ref_norm = 0, lse_err = 0;
    bool all_written = true;
    std::vector<double> P_ref(static_cast<size_t>(s.heads) * s.n_q * n_k, 0.0), lse_ref(static_cast<size_t>(s.heads) * s.n_q);
    for (int h = 0; h < s.heads; ++h)
      for (int r = 0; r < s.n_q; ++r) {
        const int qpos = s.q_offset + r;
        std::vector<double> sc(qpos + 1);
        double mx = -1e300;
        for (int j = 0; j <= qpos; ++j) {
          double dot = 0;
          for (int c = 0; c < s.d; ++c) dot += static_cast<double>(Q.at(h, r, c)) * K.at(h / s.group, j, c);
          sc[j] = dot * scale;
          mx = std::max(mx, sc[j]);
        }
        double l = 0;
        for (int j = 0; j <= qpos; ++j) l += std::exp(sc[j] - mx);
        lse_ref[static_cast<size_t>(h) * s.n_q + r] = mx + std::log(l);
        for (int j = 0; j <= qpos; ++j) P_ref[(static_cast<size_t>(h) * s.n_q + r) * n_k + j] = std::exp(sc[j] - mx) / l;
        for (int c = 0; c < s.d; ++c) {
          double o = 0;
          for (int j = 0; j <= qpos; ++j) o += std::exp(sc[j] - mx) / l * V.at(h / s.group, j, c);
          const float got = O[(static_cast<size_t>(h) * s.n_q + r) * s.d + c];
          all_written = all_written && std::isfinite(got);
          err += (got - o) * (got - o);
          ref_norm += o * o;
        }
        lse_err = std::max(lse_err, std::fabs(lse[static_cast<size_t>(h) * s.n_q + r] - lse_ref[static_cast<size_t>(h) * s.n_q + r]));
      }
    const double rel = std::sqrt(err / ref_norm);
    CHECK(all_written, "every output element written (shape %d)", shape_no);
    // bf16 P (8 significant bits) against double: well inside the 1e-2 bf16 band
    CHECK(rel < 5e-3, "emulated prefill matches naive attention: rel err %.2e (shape %d: n_q %d off %d H %d group %d d %d)", rel,
          shape_no, s.n_q, s.q_offset, s.heads, s.group, s.d);
    CHECK(lse_err < 1e-4 * std::max(1.0, std::fabs(lse_ref[0])) + 1e-4, "row log-sum-exp matches: max err %.2e (shape %d)", lse_err, shape_no);

    // column sums over all rows (H2O) and over a trailing window (SnapKV-like range)
    for (int window : {0, 33}) {
      const int q_begin = window == 0 ? 0 : std::max(0, s.n_q - window), q_end = s.n_q;
      std::vector<float> cs;
      emulate_colsum(s, q_begin, q_end, Q, K, lse, cs);
      double cerr = 0, cnorm = 0;
      bool written = true;
      for (int h = 0; h < s.heads; ++h)
        for (int j = 0; j < n_k; ++j) {
          double ref = 0;
          for (int r = q_begin; r < q_end; ++r) ref += P_ref[(static_cast<size_t>(h) * s.n_q + r) * n_k + j];
          const float got = cs[static_cast<size_t>(h) * n_k + j];
          written = written && std::isfinite(got);
          cerr += (got - ref) * (got - ref);
          cnorm += ref * ref;
        }
      const double crel = std::sqrt(cerr / cnorm);
      CHECK(written, "every column sum written (shape %d)", shape_no);
      CHECK(crel < 1e-4, "emulated column sums match naive probabilities: rel err %.2e (shape %d, rows %d..%d)", crel, shape_no,
            q_begin, q_end);
    }
    ++shape_no;
  }
}

int main() {
  test_swizzle_and_tiles();
  test_descriptors();
  test_fragments();
  test_prefill_schedule();
  test_colsum_schedule();
  test_tma_geometry_and_smem();
  test_emulated_kernels();
  std::printf("%d checks, %d failures\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
