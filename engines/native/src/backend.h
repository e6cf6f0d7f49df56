// The backend: what the generate loop and the methods are written against (cf. llama.cpp's backend table).
//
// A backend is created once per runner process (`--backend cpu|cuda`). It loads and OWNS the model (its weights in
// the backend's own format: fp32 host tensors for the cpu reference, bf16 device tensors for cuda), creates KV caches,
// and runs `forward`: a run of tokens through layers 0..last_layer, appending K/V to a cache (or dropping each layer's
// K/V as soon as the layer is done). Methods never see Q or K: they ask for ATTENTION STATISTICS at chosen layers
// (the one op below, computed where the data lives) and edit the cache through the KVCache interface. Every byte a
// backend allocates is reported to the active MemoryTracker (memory.h).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine.h"
#include "memory.h"
#include "model.h"

namespace gem {

// ---- the attention-statistics op ----
//
// Over the keys a layer's attention sees (the cache's rows after this call's rows were appended, or this call's own
// keys when there is no cache) and the queries of this forward call (row t of T sees keys 0 .. keys - T + t):
//   RawDot : s[h][j] = Σ_{t ∈ [q_begin, q_end)} q_{t,h} · k_{c(h),j}          (post-RoPE, no 1/√d, no softmax)
//   ProbSum: s[h][j] = Σ_{t ∈ [q_begin, q_end)} softmax_{j' visible to t}(q_{t,h} · k_{c(h),j'} / √d)[j]
//   KeyNorm: s[c][j] = ‖k_{c,j}‖₂ per cache head c (no queries; the aggregation is ignored: [cache heads][K]) — what
//            key-norm scores, so that methods still never touch K (a RoPE rotation keeps the norm)
// for keys j < key_end (a key not visible to a row adds 0), where c(h) = h / (H / cache heads). Then aggregated:
//   PerQueryHead → [H][K];  KvMean / KvMax → [cache heads][K] (the mean / max over the query heads reading each cache
//   head, summed in head order);  AllSum → [1][K] (Σ over every head and row, one double accumulator per key in the
//   order (row, head, dimension)).
// Accumulated in double. The cpu reference is cpu::attn_stats (kernels.h); other backends match it within their
// stated tolerance (gem-runner selftest).
enum class StatsMode { RawDot, ProbSum, KeyNorm };
enum class StatsAgg { PerQueryHead, KvMean, KvMax, AllSum };

struct StatsRequest {
  int layer = 0;
  StatsMode mode = StatsMode::RawDot;
  int q_begin = 0, q_end = 0;  // query rows of this forward call
  int key_end = -1;            // scores for keys [0, key_end); -1: every key the layer sees
  StatsAgg agg = StatsAgg::PerQueryHead;
};

// A statistics result on the host: [heads][keys] doubles, counted as workspace while it lives.
struct Stats {
  int layer = 0, heads = 0, keys = 0;
  DVec data{MemCat::Workspace};
  const double* row(int h) const { return data.data() + static_cast<int64_t>(h) * keys; }
};

// ---- the KV cache ----
// Per layer, per cache head, rows of head_dim post-RoPE keys and values (one row per kept token). A layer starts with
// the model's G KV heads; `keep` may change the head count (per-query-head compression: H heads, head h holding rows
// of KV head h / (H/G)). Query head h reads cache head h / (H / heads). The heads of a layer may hold DIFFERENT numbers
// of rows (a ragged keep, Ada-SnapKV): every head stores only its own rows, attention and decode read each head's own
// length (a decode step appends one row to every head; query t of T sees rows 0 .. rows(l, h) - T + t of its head),
// and bytes() counts the rows stored. The statistics op and H2O's decode eviction need equal lengths (a backend
// answers internal / unsupported otherwise). A cache may carry one accumulated score per row and head (H2O's
// decode-time eviction).
class KVCache {
 public:
  virtual ~KVCache() = default;
  virtual int layers() const = 0;
  virtual int heads(int layer) const = 0;
  virtual int rows(int layer, int head) const = 0;
  virtual int64_t bytes() const = 0;
  // New head h of `layer` = rows keep[h] (sorted ascending; counts may differ per head: a ragged layer) of current head
  // src_head[h]; room for reserve_extra more rows per head. With `scores` (same shape as keep), the kept rows carry
  // those scores.
  virtual void keep(int layer, const std::vector<std::vector<int>>& keep, const std::vector<int>& src_head, int reserve_extra,
                    const std::vector<std::vector<double>>* scores = nullptr) = 0;
};

// H2O's decode-time eviction, done by the backend inside a decode forward step, per layer, after the step's
// attention: the new row joins with score 0; the step's attention probabilities (ProbSum, KvMean over the query heads
// reading each cache head) are added to every row's score; then, while the layer holds more than `budget` rows, per
// cache head the row with the lowest score among all but the last `recent` rows (ties → the older row) is removed.
struct DecodeEviction {
  int budget = 0;  // 0: off
  int recent = 0;
};

// Called once per statistics request, right after its layer's attention (or after its Q/K at a stop layer); the
// cache (when there is one) already holds the layer's rows, so a method may compress that layer here.
using StatsCallback = std::function<void(Stats& stats, KVCache* cache)>;

struct ForwardOptions {
  int last_layer = -1;         // run layers 0..last_layer (-1: all layers)
  bool stop_after_qk = false;  // at last_layer: compute Q and K only (no V, no attention, no MLP) — GemFilter's pass 1
  bool want_logits = false;    // the last token's logits (needs all layers)
  std::vector<StatsRequest> stats;
  StatsCallback on_stats;
  DecodeEviction eviction;
  std::vector<InspectLayer>* capture = nullptr;  // post-RoPE Q/K of these layers copied to the host (inspect)
};

// What a backend loads: a synthetic preset (+ overrides, seed) or a Hugging Face folder.
struct LoadSpec {
  std::string model;  // "synthetic:<preset>" or a folder path
  Json overrides;
  uint64_t seed = 0;
  int max_context = 0;  // > 0: the longest input + output the requests will use (a GPU backend sizes its memory for it)
  bool synthetic() const { return model.rfind("synthetic:", 0) == 0; }
};

// Op-level entry points on host buffers, for `gem-runner selftest`: each op of a backend run on the same random data
// as the cpu reference. An op returns false when this backend does not support it at that shape (a skip, not a
// failure). Layouts: activations row-major [T][...]; keys/values one contiguous [rows][d] buffer per cache head.
class BackendOps {
 public:
  virtual ~BackendOps() = default;
  virtual bool matmul(const float* x, int T, int in, const float* W, int out, const float* bias, float* y) = 0;
  virtual bool rmsnorm(const float* x, int T, int dim, const float* w, double eps, float* y) = 0;
  // RoPE of the config's scaling at these positions (tables as the cpu backend computes them).
  virtual bool rope(float* x, int T, int heads, int d, const int* pos, const ModelConfig& c) = 0;
  virtual bool swiglu(const float* gate, const float* up, int64_t n, float* out) = 0;
  // Causal GQA attention of T queries against `rows` cache rows (the last T are the queries' own); T == 1 is decode.
  virtual bool attention(const float* q, int T, int H, int d, const std::vector<const float*>& k,
                         const std::vector<const float*>& v, int rows, float* out) = 0;
  virtual bool attn_stats(const float* q, int T, int H, int d, const std::vector<const float*>& k, int rows,
                          const StatsRequest& req, Stats& out) = 0;
  // Top-k of n scores: ties → lower index, the indices sorted ascending.
  virtual bool top_k(const double* scores, int n, int k, std::vector<int>& out) = 0;
};

// ---- phase timing (MEASUREMENT.md "Timing") ----
// A PhaseTimer is started by Backend::start_timer() at the beginning of a phase; elapsed_ms() waits until all work
// enqueued before the call has finished and returns the milliseconds from the start to that point. It may be called
// more than once (each call measures from the same start: e.g. TTFT, then the total), and the results never
// decrease. cpu: std::chrono::steady_clock (work is synchronous). cuda: CUDA events recorded in the backend's stream
// (the host reads the time only after synchronizing on the end event).
class PhaseTimer {
 public:
  virtual ~PhaseTimer() = default;
  virtual double elapsed_ms() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;         // "cpu" | "cuda"
  virtual std::string device_name() const = 0;  // e.g. "AMD EPYC … (2 threads)", "NVIDIA H100 80GB HBM3"
  virtual std::string compute_capability() const { return ""; }  // "9.0" on a GPU, "" on the cpu
  virtual std::vector<std::string> dtypes() const = 0;

  // Loads a model (replacing the loaded one, which is freed first). The default builds the host model
  // (make_synthetic / load_hf_folder) and adopts it; a backend may generate synthetic weights itself instead.
  virtual void load(const LoadSpec& spec);
  // Whether the default load keeps a BF16 / F16 checkpoint's matrices in their 16-bit dtype (load_hf_folder's keep16):
  // a backend whose kernels widen them as they read them (cpu) says yes; one that converts everything on adopt, no.
  virtual bool keeps_16bit_weights() const { return false; }
  // The dtype the loaded weights are held in ("f32", "bf16", "f16", "mixed"): the host model's, else the compute dtype.
  virtual std::string weight_dtype() const { return host_model() ? host_model()->weight_dtype() : dtypes().front(); }
  // Takes a host model (the loader's fp32 tensors, each knowing its source dtype).
  virtual void adopt(std::unique_ptr<Model> host) = 0;
  virtual void unload() = 0;
  virtual bool loaded() const = 0;
  virtual const ModelConfig& config() const = 0;
  virtual const std::string& source() const = 0;
  virtual int64_t weight_bytes() const = 0;
  // The host model (export needs it); nullptr when the weights live only on a device.
  virtual const Model* host_model() const = 0;

  virtual std::unique_ptr<KVCache> new_cache(int reserve_rows) = 0;
  // Runs ids[t] at positions[t]. With `cache`, each layer's K/V rows are appended and attention reads the whole cache
  // (earlier rows + the new ones, causal among the new ones); without, attention sees only these tokens and each
  // layer's K/V are freed after the layer. Returns the last token's logits when opts.want_logits. Non-finite hidden
  // states or logits → RunnerError("bad_model") naming the first layer where they appear.
  virtual std::vector<float> forward(const std::vector<int>& ids, const std::vector<int>& positions, KVCache* cache,
                                     const ForwardOptions& opts) = 0;
  // The op-level table for the selftest (owned by the backend).
  virtual BackendOps& ops() = 0;

  // A timer started now (see PhaseTimer), and the clock it reads, as the hello reports it: "steady-clock" (cpu) or
  // "cuda-events" (cuda).
  virtual std::unique_ptr<PhaseTimer> start_timer() = 0;
  virtual std::string timer_clock() const = 0;

  // Device-level memory figures beside the tracker's counts (a generate answer's memory.extra), read once at the end
  // of each generate: the cuda backend's arena size and its peak of bytes in use since the previous call, and
  // cudaMemGetInfo's used and total bytes; none on the cpu.
  virtual std::vector<std::pair<std::string, double>> memory_extra() { return {}; }
};

std::vector<std::string> backend_names();  // the backends built into this runner ("cpu", and "cuda" where built)
// Throws RunnerError("unsupported") for a backend not built in; device is the GPU index for cuda.
std::unique_ptr<Backend> make_backend(const std::string& name, int device);

}  // namespace gem
