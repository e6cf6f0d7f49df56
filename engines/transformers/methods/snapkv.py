"""snapkv (engines/README.md): a dense prefill with each layer's cache compressed right after the layer: the last
`window` queries' softmax rows over all keys (causal inside the window, fp32, 1/sqrt(d)) summed over the window for
the prefix keys, pooled along the keys (avg: zeros counted; max: padding never wins; kernel `kernel`), grouped per KV
head (gqa mean / max) or kept per query head (per-query-head: a cache of H heads), and the top k - window prefix rows
(ties -> lower index) kept with the window's rows. n <= k: nothing evicted. Decoding at n, n+1, ..."""

import contextlib

from .common import compressing_prefill, group, per_query_head_cache
from .prefill import Prefill

NAME = "snapkv"
PARAMS = ("k", "window", "pool", "kernel", "gqa")


def window_votes(engine, q, keys, kernel, pool, gqa):
    """SnapKV's votes: the last w = q.shape[2] queries q [1, H, w, d] over keys [1, heads, n, d], summed over the
    window for the n - w prefix keys, pooled, grouped (common.group) -> [1, heads (or H), n - w]."""
    torch = engine.torch
    F = torch.nn.functional
    H, heads_, n, d, w = q.shape[1], keys.shape[1], keys.shape[2], keys.shape[3], q.shape[2]
    kf = keys.float().repeat_interleave(H // heads_, dim=1)  # [1, H, n, d]
    s = torch.matmul(q.float(), kf.transpose(2, 3)) / (d**0.5)  # [1, H, w, n]
    causal = torch.arange(n, device=s.device)[None, :] > (n - w + torch.arange(w, device=s.device))[:, None]
    votes = torch.softmax(s.masked_fill(causal, float("-inf")), dim=-1)[..., : n - w].sum(dim=2)  # [1, H, n - w]
    if pool == "avg":
        votes = F.avg_pool1d(votes, kernel_size=kernel, stride=1, padding=kernel // 2, count_include_pad=True)
    else:
        votes = F.max_pool1d(votes, kernel_size=kernel, stride=1, padding=kernel // 2)
    return group(votes, heads_, gqa)


def prefill(engine, ids, params, _phases):
    k, w = int(params["k"]), int(params.get("window", 32))
    kernel, pool, gqa = int(params.get("kernel", 5)), params.get("pool", "avg"), params.get("gqa", "mean")
    n = ids.shape[1]
    if k <= w:
        raise engine.error("bad_param", f"snapkv: k = {k} must be > window = {w}", "the budget k includes the window")

    def score(q, keys):
        return window_votes(engine, q, keys, kernel, pool, gqa)

    per_q = gqa == "per-query-head"
    with per_query_head_cache(engine) if per_q else contextlib.nullcontext():
        cache, logits, sel = compressing_prefill(engine, ids, k, w, w, score)
    return Prefill(cache, logits, min(k, n), n, {"kind": "perQueryHead" if per_q else "perHead", "perLayer": sel},
                   (lambda: per_query_head_cache(engine)) if per_q else None)
