// Index math of the Hopper (sm_90a) attention kernels, written as plain functions that the kernels use on the device
// and the host unit tests (engines/native/test/hopper_layout_test.cpp) check on the CPU against the layouts the PTX ISA
// documents: the tile schedule (heaviest query blocks first, causal key-block ranges, which blocks need a mask), the
// shared-memory tile placement of a TMA box loaded with 128-byte swizzle, the wgmma shared-memory matrix descriptors
// that read those tiles (K-major Q/K, MN-major V), the wgmma accumulator and register-A fragment maps, the shared
// memory budget, and the TMA tensor-map geometry. Nothing here touches a GPU; this header compiles with or without
// nvcc.
#pragma once
#include <cstdint>

#if defined(__CUDACC__)
#define GEM_HD __host__ __device__ __forceinline__
#else
#define GEM_HD inline
#endif

namespace gem::hopper {

// ---------- tile shape (both kernels) ----------
// A CTA = 3 warpgroups: warpgroup 0 produces (TMA loads), warpgroups 1 and 2 consume (wgmma + softmax), 64 rows each.
constexpr int kWarpgroupThreads = 128;
constexpr int kConsumerWarpgroups = 2;
constexpr int kThreads = kWarpgroupThreads * (1 + kConsumerWarpgroups);  // 384
constexpr int kBlockM = 64 * kConsumerWarpgroups;  // query rows per CTA (prefill) / key rows per CTA (column sums)
constexpr int kBlockN = 128;                       // key rows per pipeline stage (prefill) / query rows (column sums)
constexpr int kHeadDimPad = 128;  // tiles are 128 columns wide; head_dim 96 loads zeros (TMA out-of-bounds fill) in 96..127
constexpr int kStages = 2;        // K/V pipeline depth
constexpr int kPanelCols = 64;    // a 128-byte swizzle row holds 64 bf16: a 128-column tile is 2 panels
constexpr int kPanels = kHeadDimPad / kPanelCols;
constexpr int kSwizzleAtomBytes = 1024;  // 8 rows x 128 bytes
constexpr int kMaxSmemBytes = 227 * 1024;  // sm_90 opt-in dynamic shared memory per block

GEM_HD constexpr int tile_bytes(int rows) { return rows * kHeadDimPad * 2; }
GEM_HD constexpr int panel_bytes(int rows) { return rows * 128; }

// Shared-memory plan of the prefill kernel (byte offsets from a 1024-aligned base).
struct PrefillSmem {
  static constexpr int q = 0;
  static constexpr int k = q + tile_bytes(kBlockM);
  static constexpr int v = k + kStages * tile_bytes(kBlockN);
  static constexpr int barriers = v + kStages * tile_bytes(kBlockN);
  // barriers: q_full, k_full[S], v_full[S], k_empty[S], v_empty[S] — 8 bytes each
  static constexpr int barrier_count = 1 + 4 * kStages;
  static constexpr int end = barriers + barrier_count * 8;
  static constexpr int bytes = end + kSwizzleAtomBytes;  // + slack to align the dynamic base up to 1024
};
// Column-sum kernel: one key tile (its A operand, kBlockM keys) resident, query tiles streamed.
struct ColsumSmem {
  static constexpr int k = 0;
  static constexpr int q = k + tile_bytes(kBlockM);
  static constexpr int barriers = q + kStages * tile_bytes(kBlockN);
  static constexpr int barrier_count = 1 + 2 * kStages;  // k_full, q_full[S], q_empty[S]
  static constexpr int end = barriers + barrier_count * 8;
  static constexpr int bytes = end + kSwizzleAtomBytes;
};
static_assert(PrefillSmem::bytes <= kMaxSmemBytes, "prefill tiles exceed the 227 KB of shared memory of an sm_90 CTA");
static_assert(ColsumSmem::bytes <= kMaxSmemBytes, "column-sum tiles exceed the 227 KB of shared memory");
static_assert(PrefillSmem::k % kSwizzleAtomBytes == 0 && PrefillSmem::v % kSwizzleAtomBytes == 0, "tiles 1024-aligned");

// ---------- 128-byte swizzle (TMA CU_TENSOR_MAP_SWIZZLE_128B == wgmma descriptor swizzle mode 1) ----------
// Within each 1024-byte atom (8 rows of 128 bytes), the 16-byte chunk index (address bits 4..6) is XORed with the row
// index within the atom (address bits 7..9). Applied to the shared-memory address, so atoms must be 1024-aligned.
GEM_HD constexpr uint32_t swizzle128(uint32_t byte_offset) { return byte_offset ^ (((byte_offset >> 7) & 7u) << 4); }

// Where a TMA load (box inner extent 64 bf16 = 128 bytes, SWIZZLE_128B) puts element (r, c) of a rows x 64 box.
GEM_HD constexpr uint32_t tma_box_offset(int r, int c) { return swizzle128(static_cast<uint32_t>(r * 128 + c * 2)); }
// A rows x 128 tile is two such boxes side by side in memory (panel p = columns 64p..64p+63).
GEM_HD constexpr uint32_t tile_offset(int rows, int r, int c) {
  return static_cast<uint32_t>((c / kPanelCols) * panel_bytes(rows)) + tma_box_offset(r, c % kPanelCols);
}

// ---------- wgmma shared-memory matrix descriptors ----------
// 64-bit descriptor: bits 0-13 start address >> 4, 16-29 leading-dimension byte offset >> 4, 32-45 stride-dimension
// byte offset >> 4, 49-51 base offset (0: atoms 1024-aligned), 62-63 swizzle (1 = 128-byte).
GEM_HD constexpr uint64_t make_desc(uint32_t smem_addr, uint32_t lbo_bytes, uint32_t sbo_bytes) {
  return (static_cast<uint64_t>((smem_addr >> 4) & 0x3FFFu)) | (static_cast<uint64_t>((lbo_bytes >> 4) & 0x3FFFu) << 16) |
         (static_cast<uint64_t>((sbo_bytes >> 4) & 0x3FFFu) << 32) | (static_cast<uint64_t>(1) << 62);
}
// K-major operand (Q or K: rows x head_dim, head_dim contiguous) for wgmma k-step `ks` (16 columns), rows from `row0`.
// Swizzled K-major: LBO unused (1), SBO = 1024 (next 8 rows); k-steps inside a 128-byte row advance the start by 32 B.
constexpr uint32_t kKMajorLbo = 16, kKMajorSbo = kSwizzleAtomBytes;
GEM_HD constexpr uint32_t kmajor_start(uint32_t tile_base, int tile_rows, int row0, int ks) {
  return tile_base + static_cast<uint32_t>((ks * 16 / kPanelCols) * panel_bytes(tile_rows) + row0 * 128 + (ks * 16 % kPanelCols) * 2);
}
// MN-major operand (V as B of P·V: keys x head_dim, head_dim = N contiguous) for k-step `ks` (16 keys).
// Swizzled MN-major: LBO = the next 64 N columns (the next panel), SBO = the next 8 keys (1024 B).
GEM_HD constexpr uint32_t mnmajor_lbo(int tile_rows) { return static_cast<uint32_t>(panel_bytes(tile_rows)); }
constexpr uint32_t kMnMajorSbo = kSwizzleAtomBytes;
GEM_HD constexpr uint32_t mnmajor_start(uint32_t tile_base, int ks) { return tile_base + static_cast<uint32_t>(ks * 16 * 128); }

// ---------- wgmma register fragments (m64nNk16, per warpgroup thread t = 0..127) ----------
// Accumulator D (f32): register i of thread t holds row 16*(t/32) + (t%32)/4 + 8*((i/2)%2), col 8*(i/4) + 2*(t%4) + i%2.
GEM_HD constexpr int acc_row(int t, int i) { return 16 * (t / 32) + (t % 32) / 4 + 8 * ((i / 2) % 2); }
GEM_HD constexpr int acc_col(int t, int i) { return 8 * (i / 4) + 2 * (t % 4) + i % 2; }
// Register A (bf16, 4 x .b32 = 8 halves per thread per k16 step): half j of thread t holds
// row 16*(t/32) + (t%32)/4 + 8*((j/2)%2), col 2*(t%4) + j%2 + 8*(j/4).
GEM_HD constexpr int afrag_row(int t, int j) { return 16 * (t / 32) + (t % 32) / 4 + 8 * ((j / 2) % 2); }
GEM_HD constexpr int afrag_col(int t, int j) { return 2 * (t % 4) + j % 2 + 8 * (j / 4); }
// P as the A operand of P·V: k-step ks's half j is accumulator register 8*ks + j of S (same thread).
GEM_HD constexpr int p_to_afrag_acc_index(int ks, int j) { return 8 * ks + j; }

// ---------- tile schedules ----------
GEM_HD constexpr int ceil_div(int a, int b) { return (a + b - 1) / b; }

// Prefill: CTA `linear` of a 1-D grid of num_q_blocks * H. Heaviest query blocks (the last ones: they see the most
// keys) are launched first; the query heads of one KV group are adjacent so their shared K/V tiles stay in L2.
struct PrefillWork {
  int q_block, head;
};
GEM_HD constexpr PrefillWork prefill_work(int linear, int num_q_blocks, int heads) {
  return PrefillWork{num_q_blocks - 1 - linear / heads, linear % heads};
}
// Query rows [qb*kBlockM, +kBlockM) sit at positions q_offset + row; keys 0..n_k-1 at positions 0..n_k-1. A causal row
// sees keys <= its position. Key blocks a query block reads: [0, kv_block_end).
GEM_HD constexpr int kv_block_end(int q_block, int q_offset, int n_k) {
  return ceil_div((q_offset + (q_block + 1) * kBlockM) < n_k ? (q_offset + (q_block + 1) * kBlockM) : n_k, kBlockN);
}
// A key block needs the causal/out-of-range mask iff some key in it is invisible to some row of the query block:
// its last key lies beyond the block's first query position, or beyond the last key.
GEM_HD constexpr bool kv_block_needs_mask(int q_block, int kv_block, int q_offset, int n_k) {
  return (kv_block + 1) * kBlockN - 1 > q_offset + q_block * kBlockM || (kv_block + 1) * kBlockN > n_k;
}
// Column sums (H2O): CTA `linear` of num_k_blocks * H owns keys [kb*kBlockM, +kBlockM) of one query head; heaviest
// (first) key blocks first. It reads the query blocks (of kBlockN rows, from q_begin) whose rows can see its keys.
struct ColsumWork {
  int k_block, head;
};
GEM_HD constexpr ColsumWork colsum_work(int linear, int heads) { return ColsumWork{linear / heads, linear % heads}; }
// First query block (relative to q_begin) containing a row whose position reaches the key block's first key.
GEM_HD constexpr int colsum_q_block_begin(int k_block, int q_offset, int q_begin) {
  return (k_block * kBlockM - q_offset - q_begin) <= 0 ? 0 : (k_block * kBlockM - q_offset - q_begin) / kBlockN;
}
GEM_HD constexpr bool colsum_q_block_needs_mask(int k_block, int q_block, int q_offset, int q_begin, int q_end) {
  // some key of the block is beyond some row's position, or the query block runs past q_end
  return q_offset + q_begin + q_block * kBlockN < (k_block + 1) * kBlockM - 1 || q_begin + (q_block + 1) * kBlockN > q_end;
}

// ---------- TMA tensor-map geometry ----------
// A [heads][rows][head_dim] view of a bf16 tensor given element strides between rows and between heads; loaded as
// boxes of 64 columns x box_rows rows x 1 head, 128-byte swizzle. cuTensorMapEncodeTiled wants dims innermost first
// and byte strides of dims 1..2; it requires a 16-byte aligned base, strides that are multiples of 16 bytes, box
// extents <= 256, inner box bytes a multiple of 16 and (for 128-byte swizzle) <= 128.
struct TmaGeometry {
  uint64_t dims[3];
  uint64_t strides[2];  // bytes, dims 1 and 2
  uint32_t box[3];
};
GEM_HD constexpr TmaGeometry tma_geometry(int head_dim, int rows, int heads, int64_t row_stride, int64_t head_stride, int box_rows) {
  return TmaGeometry{{static_cast<uint64_t>(head_dim), static_cast<uint64_t>(rows), static_cast<uint64_t>(heads)},
                     {static_cast<uint64_t>(row_stride) * 2, static_cast<uint64_t>(head_stride) * 2},
                     {static_cast<uint32_t>(kPanelCols), static_cast<uint32_t>(box_rows), 1u}};
}
// Why a view cannot be loaded by TMA (nullptr when it can).
GEM_HD constexpr const char* tma_geometry_problem(const TmaGeometry& g, uint64_t base_addr) {
  return (base_addr % 16 != 0)                                   ? "base address not 16-byte aligned"
         : (g.strides[0] % 16 != 0 || g.strides[1] % 16 != 0)   ? "row/head stride not a multiple of 16 bytes"
         : (g.strides[0] >= (1ull << 40) || g.strides[1] >= (1ull << 40)) ? "stride of 2^40 bytes or more"
         : (g.box[1] > 256 || g.box[0] > 256)                    ? "box extent over 256"
         : (g.box[0] * 2 % 16 != 0 || g.box[0] * 2 > 128)       ? "inner box not 16..128 bytes"
         : (g.dims[0] == 0 || g.dims[1] == 0 || g.dims[2] == 0)  ? "empty dimension"
         : (g.dims[1] >= (1ull << 32) || g.dims[2] >= (1ull << 32)) ? "dimension of 2^32 or more"
                                                                  : nullptr;
}
// Bytes one box load delivers (the mbarrier transaction count), out-of-bounds fill included.
GEM_HD constexpr uint32_t tma_box_bytes(const TmaGeometry& g) { return g.box[0] * g.box[1] * g.box[2] * 2u; }

}  // namespace gem::hopper
