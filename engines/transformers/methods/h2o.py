"""h2o (engines/README.md): a dense prefill with each layer's cache compressed right after the layer by H2O's scores:
score[j] = sum over i >= j of softmax(q_i . k_j / sqrt(d)) (the causal attention's column sums, fp32, computed in
blocks of query rows against the keys up to the block's end: no n x n matrix), grouped per KV head (gqa mean / max)
or per query head (per-query-head: a cache of H heads); the last `recent` rows plus the top k - recent of the others
(ties -> lower index). One-shot at prefill; decoding at n, n+1, ...

evictDuringDecode: every kept row carries its prefill score; at each decode step and layer, after the step's
attention, the new row joins with score 0, the step's probabilities over all cached rows (mean over the query heads
reading each cache head) are added, and a layer holding more than k rows evicts, per cache head, its lowest-scored row
among all but the last `recent` (ties -> the older row)."""

import contextlib

from .common import compressing_prefill, group, heads, hidden_and_rope, layer_kv, per_query_head_cache, project, set_layer_kv
from .prefill import Prefill

NAME = "h2o"
PARAMS = ("k", "recent", "evictDuringDecode", "gqa")
# query rows per block such that a block holds about this many fp32 scores per query head
BLOCK_SCORES = 1 << 26


def column_sums(engine, q, keys, gqa):
    """The causal attention's column sums of all n query rows q [1, H, n, d] over keys [1, heads, n, d], fp32, in
    blocks of query rows (no n x n matrix), grouped per cache head (common.group)."""
    torch = engine.torch
    H, heads_, n, d = q.shape[1], keys.shape[1], keys.shape[2], keys.shape[3]
    per, block = H // heads_, max(1, min(n, BLOCK_SCORES // n))
    cols = torch.zeros(1, H, n, dtype=torch.float32, device=keys.device)
    for g in range(heads_):
        kg = keys[0, g].float()  # [n, d]
        qg = q[0, g * per : (g + 1) * per].float()  # [per, n, d]
        for i0 in range(0, n, block):
            i1 = min(n, i0 + block)
            s = torch.matmul(qg[:, i0:i1], kg[:i1].transpose(0, 1)) / (d**0.5)  # [per, b, i1]
            causal = torch.arange(i1, device=s.device)[None, :] > torch.arange(i0, i1, device=s.device)[:, None]
            cols[0, g * per : (g + 1) * per, :i1] += torch.softmax(s.masked_fill(causal, float("-inf")), dim=-1).sum(dim=1)
    return group(cols, heads_, gqa)


def prefill(engine, ids, params, _phases):
    k, recent, gqa = int(params["k"]), int(params.get("recent", 32)), params.get("gqa", "mean")
    evict_decode = bool(params.get("evictDuringDecode", False))
    n = ids.shape[1]
    if k <= recent:
        raise engine.error("bad_param", f"h2o: k = {k} must be > recent = {recent}", "the budget k includes the recent window")

    def score(q, keys):
        return column_sums(engine, q, keys, gqa)

    row_scores = {}

    def on_keep(idx, keep, votes):
        row_scores[idx] = votes[0].gather(1, keep).double()  # [heads, kept]: each kept row's prefill score

    per_q = gqa == "per-query-head" and (n > k or evict_decode)
    with per_query_head_cache(engine) if per_q else contextlib.nullcontext():
        cache, logits, sel = compressing_prefill(engine, ids, k, recent, n, score, on_keep if evict_decode else None)
    hooks = None
    if evict_decode:
        hooks = lambda: decode_eviction(engine, row_scores, k, recent, per_q)  # noqa: E731
    elif per_q:
        hooks = lambda: per_query_head_cache(engine)  # noqa: E731
    kind = "perQueryHead" if gqa == "per-query-head" else "perHead"
    return Prefill(cache, logits, min(k, n), n, {"kind": kind, "perLayer": sel}, hooks)


@contextlib.contextmanager
def decode_eviction(engine, row_scores, budget, recent, per_q):
    """Hooks on every attention module for the decode steps: the step's query (the model's RoPE), then after the
    layer's attention its probabilities over the cached rows added to the rows' scores and, over budget, one row evicted
    per cache head."""
    torch = engine.torch
    handles, queries = [], {}

    def pre(idx):
        def hook(module, args, kwargs):
            hs, (cos, sin) = hidden_and_rope(args, kwargs)
            queries[idx] = project(engine, module, hs[:, -1:, :], "q", cos[:, -1:], sin[:, -1:])

        return hook

    def post(idx):
        def hook(_module, _args, kwargs, _out):
            cache = kwargs.get("past_key_values", kwargs.get("past_key_value"))
            keys, values = layer_kv(cache, idx)  # [1, heads, rows, d]: the new row included
            q = queries.pop(idx)  # [1, H, 1, d]
            H, cheads, d = q.shape[1], keys.shape[1], keys.shape[3]
            kf = keys[0].double().repeat_interleave(H // cheads, dim=0)  # [H, rows, d]
            p = torch.softmax(torch.matmul(q[0].double(), kf.transpose(1, 2))[:, 0, :] / (d**0.5), dim=-1)  # [H, rows]
            p = p.view(cheads, H // cheads, -1).mean(dim=1)  # mean over the query heads reading each cache head
            scores = torch.cat([row_scores[idx], torch.zeros(cheads, 1, dtype=torch.float64, device=p.device)], dim=1) + p
            rows = keys.shape[2]
            if rows > budget:
                # the lowest score among all but the last `recent` rows; ties -> the older row (argmin's first)
                victim = scores[:, : rows - recent].argmin(dim=1)  # [heads]
                keepmask = torch.ones_like(scores, dtype=torch.bool)
                keepmask[torch.arange(cheads, device=p.device), victim] = False
                scores = scores[keepmask].view(cheads, rows - 1)
                gather = keepmask[None, :, :, None].expand_as(keys)
                set_layer_kv(cache, idx, keys[gather].view(1, cheads, rows - 1, d), values[gather].view(1, cheads, rows - 1, d))
            row_scores[idx] = scores

        return hook

    for i, layer in enumerate(engine.model.model.layers):
        handles.append(layer.self_attn.register_forward_pre_hook(pre(i), with_kwargs=True))
        handles.append(layer.self_attn.register_forward_hook(post(i), with_kwargs=True))
    try:
        with per_query_head_cache(engine) if per_q else contextlib.nullcontext():
            yield
    finally:
        for h in handles:
            h.remove()
