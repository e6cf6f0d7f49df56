// Hopper (sm_90a) prefill attention and H2O column sums; see attention.h for the contract and layout.h for the index
// math (host-tested in engines/native/test/hopper_layout_test.cpp). Device code exists only in the sm_90a pass
// (wgmma and setmaxnreg need the `a` target); other passes compile empty kernels and available() says no.
#include "attention.h"

#include <cuda.h>  // CUtensorMap and its enums (types only: the driver entry point is fetched at run time)
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <mutex>

#include "layout.h"

#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ == 900) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
#define GEM_HOPPER_DEVICE 1
#else
#define GEM_HOPPER_DEVICE 0
#endif

namespace gem::hopper {
namespace {

#if GEM_HOPPER_DEVICE
// ---------- PTX wrappers (PTX ISA 8.x: mbarrier, cp.async.bulk.tensor, wgmma, setmaxnreg) ----------
__device__ __forceinline__ uint32_t smem_addr(const void* p) { return static_cast<uint32_t>(__cvta_generic_to_shared(p)); }

__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}
__device__ __forceinline__ void mbar_expect_tx(uint32_t bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}
__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}
// Wait until the phase of parity `parity` has completed.
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
  uint32_t done = 0;
  do {
    asm volatile(
        "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
        : "=r"(done)
        : "r"(bar), "r"(parity)
        : "memory");
  } while (!done);
}
// One TMA box of a 3-D tensor map into shared memory, completing `bar`'s transaction count.
__device__ __forceinline__ void tma_load_3d(uint32_t dst, const CUtensorMap* map, int c0, int c1, int c2, uint32_t bar) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(dst),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(c0), "r"(c1), "r"(c2), "r"(bar)
      : "memory");
}
__device__ __forceinline__ void prefetch_tensormap(const CUtensorMap* map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}
// Keep the accumulator registers live across the asynchronous wgmma (no reordering of their uses around the wait).
__device__ __forceinline__ void fence_regs(float (&d)[64]) {
#pragma unroll
  for (int i = 0; i < 64; ++i) asm volatile("" : "+f"(d[i])::"memory");
}
__device__ __forceinline__ void fence_frag(uint32_t (&a)[8][4]) {
#pragma unroll
  for (int k = 0; k < 8; ++k)
#pragma unroll
    for (int r = 0; r < 4; ++r) asm volatile("" : "+r"(a[k][r])::"memory");
}
template <int R>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(R));
}
template <int R>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(R));
}
__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
  uint32_t r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;\n" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
}
// The quad of threads sharing an accumulator row.
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}
// D[64x128] (+)= A[64x16] (shared, K-major) * B[16x128] (shared, K-major); both operands via descriptors.
__device__ __forceinline__ void wgmma_ss_m64n128k16(float (&d)[64], uint64_t desc_a, uint64_t desc_b, int accumulate) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %66, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, %64, %65, p, 1, 1, 0, 0;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
      "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
      "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
      "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
      "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
      "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
      "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
      "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "l"(desc_a), "l"(desc_b), "r"(accumulate));
}
// D[64x128] += A[64x16] (registers, bf16 pairs) * B[16x128] (shared, MN-major: imm-trans-b = 1).
__device__ __forceinline__ void wgmma_rs_m64n128k16(float (&d)[64], const uint32_t (&a)[4], uint64_t desc_b) {
  asm volatile(
      "{\n.reg .pred p;\nsetp.ne.b32 p, %69, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, %16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, %32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, %48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63}, {%64, %65, %66, %67}, %68, p, 1, 1, 1;\n}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
      "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
      "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
      "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
      "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
      "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
      "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
      "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "l"(desc_b), "n"(1));
}
#endif  // GEM_HOPPER_DEVICE

// Register budget after the warpgroup split (per thread): 24 for the producer, 240 for the consumers;
// 128·24 + 256·240 = 64512 of the SM's 65536.
constexpr int kProducerRegs = 24;
constexpr int kConsumerRegs = 240;

// ---------- prefill ----------
struct PrefillArgs {
  void* o;
  int64_t o_row_stride, o_head_stride;
  float* lse;
  int64_t lse_head_stride;
  int n_q, n_k, q_offset, heads, group, head_dim, num_q_blocks;
  float scale_log2;  // scale · log2(e)
  float scale;
};

__global__ void __launch_bounds__(kThreads, 1)
    prefill_kernel(const __grid_constant__ CUtensorMap map_q, const __grid_constant__ CUtensorMap map_k,
                   const __grid_constant__ CUtensorMap map_v, const PrefillArgs a) {
#if GEM_HOPPER_DEVICE
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  // Swizzle atoms must sit on 1024-byte boundaries of the shared address space.
  const uint32_t raw = smem_addr(smem_raw);
  const uint32_t base = (raw + kSwizzleAtomBytes - 1) & ~static_cast<uint32_t>(kSwizzleAtomBytes - 1);
  const uint32_t sq = base + PrefillSmem::q, sk = base + PrefillSmem::k, sv = base + PrefillSmem::v;
  const uint32_t bar_q = base + PrefillSmem::barriers;
  auto bar_k_full = [&](int s) { return bar_q + 8u * (1 + s); };
  auto bar_v_full = [&](int s) { return bar_q + 8u * (1 + kStages + s); };
  auto bar_k_empty = [&](int s) { return bar_q + 8u * (1 + 2 * kStages + s); };
  auto bar_v_empty = [&](int s) { return bar_q + 8u * (1 + 3 * kStages + s); };

  const PrefillWork work = prefill_work(static_cast<int>(blockIdx.x), a.num_q_blocks, a.heads);
  const int qb = work.q_block, head = work.head, kv_head = head / a.group;
  const int n_kv = kv_block_end(qb, a.q_offset, a.n_k);
  const int warpgroup = static_cast<int>(threadIdx.x) / kWarpgroupThreads;
  const int t = static_cast<int>(threadIdx.x) % kWarpgroupThreads;

  if (threadIdx.x == 0) {
    prefetch_tensormap(&map_q);
    prefetch_tensormap(&map_k);
    prefetch_tensormap(&map_v);
    mbar_init(bar_q, 1);
    for (int s = 0; s < kStages; ++s) {
      mbar_init(bar_k_full(s), 1);
      mbar_init(bar_v_full(s), 1);
      mbar_init(bar_k_empty(s), 4 * kConsumerWarpgroups);  // one arrival per consumer warp
      mbar_init(bar_v_empty(s), 4 * kConsumerWarpgroups);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();

  if (warpgroup == 0) {
    // ----- producer: one thread issues every TMA load -----
    setmaxnreg_dec<kProducerRegs>();
    if (t == 0) {
      const uint32_t kv_bytes = static_cast<uint32_t>(tile_bytes(kBlockN));
      mbar_expect_tx(bar_q, static_cast<uint32_t>(tile_bytes(kBlockM)));
      for (int p = 0; p < kPanels; ++p)
        tma_load_3d(sq + p * panel_bytes(kBlockM), &map_q, p * kPanelCols, qb * kBlockM, head, bar_q);
      auto load_k = [&](int j) {
        const int s = j % kStages;
        mbar_wait(bar_k_empty(s), ((j / kStages) & 1) ^ 1);
        mbar_expect_tx(bar_k_full(s), kv_bytes);
        for (int p = 0; p < kPanels; ++p)
          tma_load_3d(sk + s * tile_bytes(kBlockN) + p * panel_bytes(kBlockN), &map_k, p * kPanelCols, j * kBlockN, kv_head,
                      bar_k_full(s));
      };
      auto load_v = [&](int j) {
        const int s = j % kStages;
        mbar_wait(bar_v_empty(s), ((j / kStages) & 1) ^ 1);
        mbar_expect_tx(bar_v_full(s), kv_bytes);
        for (int p = 0; p < kPanels; ++p)
          tma_load_3d(sv + s * tile_bytes(kBlockN) + p * panel_bytes(kBlockN), &map_v, p * kPanelCols, j * kBlockN, kv_head,
                      bar_v_full(s));
      };
      // K runs one block ahead of V: the consumers' iteration j needs K_j and V_{j-1}.
      load_k(0);
      for (int j = 0; j < n_kv; ++j) {
        if (j + 1 < n_kv) load_k(j + 1);
        load_v(j);
      }
    }
    return;
  }

  // ----- consumers: warpgroup w (1 or 2) owns query rows 64(w-1) .. 64(w-1)+63 of the block -----
  setmaxnreg_inc<kConsumerRegs>();
  const int w = warpgroup - 1;
  const int lane = t % 32;
  const int row_base = 64 * w;                              // first row of this warpgroup in the Q tile
  const int qpos0 = a.q_offset + qb * kBlockM + row_base;   // position of that row
  const int r0 = acc_row(t, 0), r1 = acc_row(t, 2);         // this thread's two rows (within the warpgroup)
  const float scale_log2 = a.scale_log2;

  float s_acc[64];
  float o_acc[64];
#pragma unroll
  for (int i = 0; i < 64; ++i) o_acc[i] = 0.0f;
  float m_run[2] = {-INFINITY, -INFINITY};
  float l_run[2] = {0.0f, 0.0f};
  uint32_t p_frag[8][4];  // P of the previous block as 8 k-steps of register-A fragments

  auto issue_qk = [&](int s) {
    const uint32_t k_tile = sk + s * tile_bytes(kBlockN);
    wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < kHeadDimPad / 16; ++ks) {
      const uint64_t da = make_desc(kmajor_start(sq, kBlockM, row_base, ks), kKMajorLbo, kKMajorSbo);
      const uint64_t db = make_desc(kmajor_start(k_tile, kBlockN, 0, ks), kKMajorLbo, kKMajorSbo);
      wgmma_ss_m64n128k16(s_acc, da, db, ks > 0 ? 1 : 0);
    }
    wgmma_commit();
  };
  auto issue_pv = [&](int s) {
    const uint32_t v_tile = sv + s * tile_bytes(kBlockN);
    wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < kBlockN / 16; ++ks) {
      const uint64_t db = make_desc(mnmajor_start(v_tile, ks), mnmajor_lbo(kBlockN), kMnMajorSbo);
      wgmma_rs_m64n128k16(o_acc, p_frag[ks], db);
    }
    wgmma_commit();
  };
  auto release = [&](uint32_t bar) {
    __syncwarp();
    if (lane == 0) mbar_arrive(bar);
  };
  // Mask (only where needed), online softmax of s_acc in place (s_acc becomes exp2 of the shifted scores); returns
  // the factor each row's running output must be multiplied by.
  auto softmax = [&](int j, float (&alpha)[2]) {
    if (kv_block_needs_mask(qb, j, a.q_offset, a.n_k)) {
#pragma unroll
      for (int i = 0; i < 64; ++i) {
        const int key = j * kBlockN + acc_col(t, i);
        const int qpos = qpos0 + acc_row(t, i);
        if (key > qpos || key >= a.n_k) s_acc[i] = -INFINITY;
      }
    }
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      float mx = m_run[h];
#pragma unroll
      for (int i = 0; i < 64; ++i)
        if ((i / 2) % 2 == h) mx = fmaxf(mx, s_acc[i]);
      mx = quad_max(mx);  // finite: key 0 is visible to every row and lies in block 0, processed first
      alpha[h] = exp2f((m_run[h] - mx) * scale_log2);
      m_run[h] = mx;
      const float shift = mx * scale_log2;
      float sum = 0.0f;
#pragma unroll
      for (int i = 0; i < 64; ++i)
        if ((i / 2) % 2 == h) {
          s_acc[i] = exp2f(fmaf(s_acc[i], scale_log2, -shift));
          sum += s_acc[i];
        }
      l_run[h] = l_run[h] * alpha[h] + sum;  // per-thread partial row sum; the quad is summed at the end
    }
  };
  auto to_p = [&]() {
#pragma unroll
    for (int ks = 0; ks < 8; ++ks)
#pragma unroll
      for (int r = 0; r < 4; ++r)
        p_frag[ks][r] = pack_bf16(s_acc[p_to_afrag_acc_index(ks, 2 * r)], s_acc[p_to_afrag_acc_index(ks, 2 * r + 1)]);
  };

  mbar_wait(bar_q, 0);
  // block 0
  mbar_wait(bar_k_full(0), 0);
  issue_qk(0);
  wgmma_wait<0>();
  fence_regs(s_acc);
  release(bar_k_empty(0));
  {
    float alpha[2];
    softmax(0, alpha);
  }
  to_p();
  for (int j = 1; j < n_kv; ++j) {
    const int s = j % kStages, sp = (j - 1) % kStages;
    mbar_wait(bar_k_full(s), (j / kStages) & 1);
    issue_qk(s);                                      // S_j = Q·K_jᵀ
    mbar_wait(bar_v_full(sp), ((j - 1) / kStages) & 1);
    issue_pv(sp);                                     // O += P_{j-1}·V_{j-1}, in flight with S_j
    wgmma_wait<1>();                                  // S_j done
    fence_regs(s_acc);
    release(bar_k_empty(s));
    float alpha[2];
    softmax(j, alpha);                                // overlaps P·V on the tensor cores
    wgmma_wait<0>();
    fence_regs(o_acc);
    fence_frag(p_frag);                               // P's registers stay untouched until P·V has read them
    release(bar_v_empty(sp));
#pragma unroll
    for (int i = 0; i < 64; ++i) o_acc[i] *= alpha[(i / 2) % 2];
    to_p();
  }
  {
    const int sp = (n_kv - 1) % kStages;
    mbar_wait(bar_v_full(sp), ((n_kv - 1) / kStages) & 1);
    issue_pv(sp);
    wgmma_wait<0>();
    fence_regs(o_acc);
    fence_frag(p_frag);
    release(bar_v_empty(sp));
  }

  // ----- epilogue: normalise, write O (bf16) and the row log-sum-exp -----
  float inv_l[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    l_run[h] = quad_sum(l_run[h]);
    inv_l[h] = 1.0f / l_run[h];
  }
  __nv_bfloat16* o = static_cast<__nv_bfloat16*>(a.o) + static_cast<int64_t>(head) * a.o_head_stride;
  const int row_in_q0 = qb * kBlockM + row_base;
#pragma unroll
  for (int i = 0; i < 64; i += 2) {
    const int row = row_in_q0 + acc_row(t, i), col = acc_col(t, i);
    if (row < a.n_q && col < a.head_dim) {
      const float inv = inv_l[(i / 2) % 2];
      *reinterpret_cast<__nv_bfloat162*>(o + row * a.o_row_stride + col) =
          __floats2bfloat162_rn(o_acc[i] * inv, o_acc[i + 1] * inv);
    }
  }
  if (a.lse != nullptr && t % 4 == 0) {
    const float ln2 = 0.69314718055994531f;
    const int rows[2] = {row_in_q0 + r0, row_in_q0 + r1};
#pragma unroll
    for (int h = 0; h < 2; ++h)
      if (rows[h] < a.n_q)
        a.lse[static_cast<int64_t>(head) * a.lse_head_stride + rows[h]] = (m_run[h] * scale_log2 + log2f(l_run[h])) * ln2;
  }
#endif  // GEM_HOPPER_DEVICE
}

// ---------- column sums (H2O pass 2) ----------
struct ColsumArgs {
  const float* lse;
  int64_t lse_head_stride;
  float* out;
  int64_t out_head_stride;
  int n_q, n_k, q_offset, q_begin, q_end, heads, group;
  float scale_log2;
};

__global__ void __launch_bounds__(kThreads, 1)
    colsum_kernel(const __grid_constant__ CUtensorMap map_q, const __grid_constant__ CUtensorMap map_k, const ColsumArgs a) {
#if GEM_HOPPER_DEVICE
  extern __shared__ __align__(1024) unsigned char smem_raw[];
  const uint32_t raw = smem_addr(smem_raw);
  const uint32_t base = (raw + kSwizzleAtomBytes - 1) & ~static_cast<uint32_t>(kSwizzleAtomBytes - 1);
  const uint32_t sk = base + ColsumSmem::k, sq = base + ColsumSmem::q;
  const uint32_t bar_k = base + ColsumSmem::barriers;
  auto bar_q_full = [&](int s) { return bar_k + 8u * (1 + s); };
  auto bar_q_empty = [&](int s) { return bar_k + 8u * (1 + kStages + s); };

  const ColsumWork work = colsum_work(static_cast<int>(blockIdx.x), a.heads);
  const int kb = work.k_block, head = work.head, kv_head = head / a.group;
  const int qb_begin = colsum_q_block_begin(kb, a.q_offset, a.q_begin);
  const int qb_end = ceil_div(a.q_end - a.q_begin, kBlockN);
  const int warpgroup = static_cast<int>(threadIdx.x) / kWarpgroupThreads;
  const int t = static_cast<int>(threadIdx.x) % kWarpgroupThreads;

  if (threadIdx.x == 0) {
    prefetch_tensormap(&map_q);
    prefetch_tensormap(&map_k);
    mbar_init(bar_k, 1);
    for (int s = 0; s < kStages; ++s) {
      mbar_init(bar_q_full(s), 1);
      mbar_init(bar_q_empty(s), 4 * kConsumerWarpgroups);
    }
    asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
  }
  __syncthreads();

  if (warpgroup == 0) {
    setmaxnreg_dec<kProducerRegs>();
    if (t == 0) {
      mbar_expect_tx(bar_k, static_cast<uint32_t>(tile_bytes(kBlockM)));
      for (int p = 0; p < kPanels; ++p)
        tma_load_3d(sk + p * panel_bytes(kBlockM), &map_k, p * kPanelCols, kb * kBlockM, kv_head, bar_k);
      for (int qb = qb_begin; qb < qb_end; ++qb) {
        const int j = qb - qb_begin, s = j % kStages;
        mbar_wait(bar_q_empty(s), ((j / kStages) & 1) ^ 1);
        mbar_expect_tx(bar_q_full(s), static_cast<uint32_t>(tile_bytes(kBlockN)));
        for (int p = 0; p < kPanels; ++p)
          tma_load_3d(sq + s * tile_bytes(kBlockN) + p * panel_bytes(kBlockN), &map_q, p * kPanelCols,
                      a.q_begin + qb * kBlockN, head, bar_q_full(s));
      }
    }
    return;
  }

  setmaxnreg_inc<kConsumerRegs>();
  const int w = warpgroup - 1;
  const int lane = t % 32;
  const int row_base = 64 * w;  // first key of this warpgroup within the key block
  const int key0 = kb * kBlockM + row_base;
  const float log2e = 1.4426950408889634f;
  float s_acc[64];
  float col_sum[2] = {0.0f, 0.0f};  // this thread's two key rows, partial over its columns

  mbar_wait(bar_k, 0);
  for (int qb = qb_begin; qb < qb_end; ++qb) {
    const int j = qb - qb_begin, s = j % kStages;
    const int qrow0 = a.q_begin + qb * kBlockN;  // Q row of column 0 of this tile
    // This thread's 32 columns' log-sum-exp (in log2 units), fetched before the GEMM so the loads overlap it.
    float lse2[32];
#pragma unroll
    for (int c = 0; c < 32; ++c) {
      const int qr = qrow0 + acc_col(t, 4 * (c / 2) + c % 2);
      lse2[c] = qr < a.q_end ? __ldg(a.lse + static_cast<int64_t>(head) * a.lse_head_stride + qr) * log2e : INFINITY;
    }
    mbar_wait(bar_q_full(s), (j / kStages) & 1);
    const uint32_t q_tile = sq + s * tile_bytes(kBlockN);
    wgmma_fence();
#pragma unroll
    for (int ks = 0; ks < kHeadDimPad / 16; ++ks) {
      const uint64_t da = make_desc(kmajor_start(sk, kBlockM, row_base, ks), kKMajorLbo, kKMajorSbo);
      const uint64_t db = make_desc(kmajor_start(q_tile, kBlockN, 0, ks), kKMajorLbo, kKMajorSbo);
      wgmma_ss_m64n128k16(s_acc, da, db, ks > 0 ? 1 : 0);
    }
    wgmma_commit();
    wgmma_wait<0>();
    fence_regs(s_acc);
    __syncwarp();
    if (lane == 0) mbar_arrive(bar_q_empty(s));
    const bool masked = colsum_q_block_needs_mask(kb, qb, a.q_offset, a.q_begin, a.q_end);
#pragma unroll
    for (int i = 0; i < 64; ++i) {
      // register i: key row acc_row(t, i), query column acc_col(t, i) = 8·(i/4) + 2·(t%4) + i%2 → lse2[2·(i/4) + i%2]
      float p = exp2f(fmaf(s_acc[i], a.scale_log2, -lse2[2 * (i / 4) + i % 2]));
      if (masked) {
        const int key = key0 + acc_row(t, i);
        const int qr = qrow0 + acc_col(t, i);
        if (qr >= a.q_end || key > a.q_offset + qr) p = 0.0f;
      }
      col_sum[(i / 2) % 2] += p;
    }
  }
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const float total = quad_sum(col_sum[h]);
    const int key = key0 + acc_row(t, 2 * h);
    if (t % 4 == 0 && key < a.n_k) a.out[static_cast<int64_t>(head) * a.out_head_stride + key] = total;
  }
#endif  // GEM_HOPPER_DEVICE
}

// ---------- host side ----------

// cuTensorMapEncodeTiled from the driver, fetched through the runtime (nothing links libcuda): by version from CUDA
// 12.5 on (cudaGetDriverEntryPoint is deprecated there and gone in 13), plain cudaGetDriverEntryPoint on 12.0-12.4
// (the toolkit floor, CMakeLists.txt).
using EncodeTiled = CUresult (*)(CUtensorMap*, CUtensorMapDataType, cuuint32_t, void*, const cuuint64_t*, const cuuint64_t*,
                                 const cuuint32_t*, const cuuint32_t*, CUtensorMapInterleave, CUtensorMapSwizzle,
                                 CUtensorMapL2promotion, CUtensorMapFloatOOBfill);
EncodeTiled encode_tiled() {
  static EncodeTiled fn = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    void* p = nullptr;
#if CUDART_VERSION >= 12050
    cudaDriverEntryPointQueryResult q{};
    if (cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &p, 12000, cudaEnableDefault, &q) == cudaSuccess &&
        q == cudaDriverEntryPointSuccess)
      fn = reinterpret_cast<EncodeTiled>(p);
#else
    if (cudaGetDriverEntryPoint("cuTensorMapEncodeTiled", &p, cudaEnableDefault) == cudaSuccess && p != nullptr)
      fn = reinterpret_cast<EncodeTiled>(p);
#endif
  });
  return fn;
}

std::string view_problem(const char* name, const void* ptr, int head_dim, int rows, int heads, int64_t row_stride,
                         int64_t head_stride) {
  if (ptr == nullptr) return std::string(name) + ": null pointer";
  if (row_stride < head_dim || head_stride < 0) return std::string(name) + ": strides smaller than a row";
  const TmaGeometry g = tma_geometry(head_dim, rows, heads, row_stride, head_stride, kBlockN);
  const char* why = tma_geometry_problem(g, reinterpret_cast<uint64_t>(ptr));
  return why == nullptr ? std::string() : std::string(name) + ": " + why;
}

std::string encode(CUtensorMap* map, const void* ptr, int head_dim, int rows, int heads, int64_t row_stride,
                   int64_t head_stride, int box_rows) {
  const EncodeTiled fn = encode_tiled();
  if (fn == nullptr) return "cuTensorMapEncodeTiled is not available from the driver";
  const TmaGeometry g = tma_geometry(head_dim, rows, heads, row_stride, head_stride, box_rows);
  const cuuint64_t dims[3] = {g.dims[0], g.dims[1], g.dims[2]};
  const cuuint64_t strides[2] = {g.strides[0], g.strides[1]};
  const cuuint32_t box[3] = {g.box[0], g.box[1], g.box[2]};
  const cuuint32_t elem_strides[3] = {1, 1, 1};
  const CUresult r = fn(map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<void*>(ptr), dims, strides, box, elem_strides,
                        CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B, CU_TENSOR_MAP_L2_PROMOTION_L2_256B,
                        CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);  // NONE = zeros out of bounds (NAN_REQUEST_ZERO_FMA = NaN)
  return r == CUDA_SUCCESS ? std::string() : "cuTensorMapEncodeTiled failed (CUresult " + std::to_string(static_cast<int>(r)) + ")";
}

std::string shape_problem(int head_dim, int heads, int kv_heads, int n_q, int n_k, int q_offset) {
  if (head_dim != 96 && head_dim != 128) return "head_dim " + std::to_string(head_dim) + " (the Hopper kernels take 96 or 128)";
  if (heads <= 0 || kv_heads <= 0 || heads % kv_heads != 0) return "heads not a multiple of kv_heads";
  if (n_q <= 0 || n_k <= 0 || q_offset < 0) return "empty query or key range";
  if (static_cast<int64_t>(ceil_div(n_q, kBlockM)) * heads > 0x7fffffff) return "grid too large";
  return {};
}

std::string launch_error(const char* what) {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? std::string() : std::string(what) + ": " + cudaGetErrorString(e);
}

}  // namespace

bool available(int device) {
  cudaFuncAttributes attr{};
  if (cudaFuncGetAttributes(&attr, prefill_kernel) != cudaSuccess) return false;
  int major = 0, minor = 0;
  if (cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device) != cudaSuccess)
    return false;
  // binaryVersion 90 = the sm_90a cubin was selected (a build without it carries only empty kernels)
  return major == 9 && minor == 0 && attr.binaryVersion == 90 && encode_tiled() != nullptr;
}

std::string unsupported(const PrefillParams& p) {
  std::string why = shape_problem(p.head_dim, p.heads, p.kv_heads, p.n_q, p.n_k, p.q_offset);
  if (why.empty()) why = view_problem("q", p.q, p.head_dim, p.n_q, p.heads, p.q_row_stride, p.q_head_stride);
  if (why.empty()) why = view_problem("k", p.k, p.head_dim, p.n_k, p.kv_heads, p.k_row_stride, p.k_head_stride);
  if (why.empty()) why = view_problem("v", p.v, p.head_dim, p.n_k, p.kv_heads, p.v_row_stride, p.v_head_stride);
  if (why.empty() && (p.o == nullptr || p.o_row_stride % 2 != 0 || p.o_head_stride % 2 != 0 ||
                      reinterpret_cast<uintptr_t>(p.o) % 4 != 0))
    why = "o: null or not 4-byte aligned";
  if (why.empty() && !(p.scale > 0.0f)) why = "scale must be positive";
  return why;
}

std::string unsupported(const ColsumParams& p) {
  std::string why = shape_problem(p.head_dim, p.heads, p.kv_heads, p.n_q, p.n_k, p.q_offset);
  if (why.empty() && (p.q_begin < 0 || p.q_end > p.n_q || p.q_begin >= p.q_end)) why = "query range outside [0, n_q)";
  if (why.empty()) why = view_problem("q", p.q, p.head_dim, p.n_q, p.heads, p.q_row_stride, p.q_head_stride);
  if (why.empty()) why = view_problem("k", p.k, p.head_dim, p.n_k, p.kv_heads, p.k_row_stride, p.k_head_stride);
  if (why.empty() && (p.lse == nullptr || p.out == nullptr)) why = "lse/out: null";
  if (why.empty() && !(p.scale > 0.0f)) why = "scale must be positive";
  return why;
}

std::string attention_prefill(const PrefillParams& p, cudaStream_t stream) {
  std::string why = unsupported(p);
  if (!why.empty()) return "hopper prefill: " + why;
  CUtensorMap mq, mk, mv;
  why = encode(&mq, p.q, p.head_dim, p.n_q, p.heads, p.q_row_stride, p.q_head_stride, kBlockM);
  if (why.empty()) why = encode(&mk, p.k, p.head_dim, p.n_k, p.kv_heads, p.k_row_stride, p.k_head_stride, kBlockN);
  if (why.empty()) why = encode(&mv, p.v, p.head_dim, p.n_k, p.kv_heads, p.v_row_stride, p.v_head_stride, kBlockN);
  if (!why.empty()) return "hopper prefill: " + why;
  PrefillArgs a{};
  a.o = p.o;
  a.o_row_stride = p.o_row_stride;
  a.o_head_stride = p.o_head_stride;
  a.lse = p.lse;
  a.lse_head_stride = p.lse_head_stride;
  a.n_q = p.n_q;
  a.n_k = p.n_k;
  a.q_offset = p.q_offset;
  a.heads = p.heads;
  a.group = p.heads / p.kv_heads;
  a.head_dim = p.head_dim;
  a.num_q_blocks = ceil_div(p.n_q, kBlockM);
  a.scale = p.scale;
  a.scale_log2 = p.scale * 1.4426950408889634f;
  if (cudaFuncSetAttribute(prefill_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, PrefillSmem::bytes) != cudaSuccess)
    return launch_error("hopper prefill: cudaFuncSetAttribute");
  prefill_kernel<<<a.num_q_blocks * p.heads, kThreads, PrefillSmem::bytes, stream>>>(mq, mk, mv, a);
  return launch_error("hopper prefill: launch");
}

std::string attention_colsum(const ColsumParams& p, cudaStream_t stream) {
  std::string why = unsupported(p);
  if (!why.empty()) return "hopper colsum: " + why;
  CUtensorMap mq, mk;
  why = encode(&mq, p.q, p.head_dim, p.n_q, p.heads, p.q_row_stride, p.q_head_stride, kBlockN);
  if (why.empty()) why = encode(&mk, p.k, p.head_dim, p.n_k, p.kv_heads, p.k_row_stride, p.k_head_stride, kBlockM);
  if (!why.empty()) return "hopper colsum: " + why;
  ColsumArgs a{};
  a.lse = p.lse;
  a.lse_head_stride = p.lse_head_stride;
  a.out = p.out;
  a.out_head_stride = p.out_head_stride;
  a.n_q = p.n_q;
  a.n_k = p.n_k;
  a.q_offset = p.q_offset;
  a.q_begin = p.q_begin;
  a.q_end = p.q_end;
  a.heads = p.heads;
  a.group = p.heads / p.kv_heads;
  a.scale_log2 = p.scale * 1.4426950408889634f;
  if (cudaFuncSetAttribute(colsum_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, ColsumSmem::bytes) != cudaSuccess)
    return launch_error("hopper colsum: cudaFuncSetAttribute");
  colsum_kernel<<<ceil_div(p.n_k, kBlockM) * p.heads, kThreads, ColsumSmem::bytes, stream>>>(mq, mk, a);
  return launch_error("hopper colsum: launch");
}

}  // namespace gem::hopper
