"""gemfilter (the paper's Algorithm 1), as the authors' code runs it: pass 1 = the model truncated to layers 0..r
(no cache kept), with a pre-hook on layer r's attention: its last query and all keys after RoPE,
score[j] = sum_h q_h . K_{g(h),j} (fp32; no 1/sqrt(d), no softmax), average pooling 5/1/2 with zero padding, the last
keepLast positions forced in, the top k' = min(k, n) (ties -> lower index) sorted; then the kept ids, in order,
through the full model as a dense prefill at positions 0..k'-1, and decoding at k'. Unlike the native runner, pass 1
also computes layer r's attention output and MLP (the authors' code does; the selection is the same)."""

from .common import heads, hidden_and_rope, project, top_sorted
from .prefill import Prefill

NAME = "gemfilter"
PARAMS = ("filterLayer", "k", "keepLast")


def select(engine, ids, r, k, keep_last):
    torch = engine.torch
    model = engine.model
    n = ids.shape[1]
    attn = model.model.layers[r].self_attn
    H, G, d = heads(engine, attn)
    got = {}

    def hook(_module, args, kwargs):
        hs, (cos, sin) = hidden_and_rope(args, kwargs)
        q = project(engine, attn, hs[:, -1:, :], "q", cos[:, -1:], sin[:, -1:])
        kk = project(engine, attn, hs, "k", cos, sin)
        qg = q[0, :, 0, :].float().view(G, H // G, d).sum(dim=1)  # a group's queries summed first
        got["score"] = torch.einsum("gnd,gd->n", kk[0].float(), qg)

    handle = attn.register_forward_pre_hook(hook, with_kwargs=True)
    cfg = model.config
    layers = cfg.num_hidden_layers
    try:
        cfg.num_hidden_layers = r + 1  # the model's forward runs layers[:num_hidden_layers]
        model.model(input_ids=ids, use_cache=False)
    finally:
        cfg.num_hidden_layers = layers
        handle.remove()
    pooled = torch.nn.functional.avg_pool1d(got["score"].view(1, 1, n), kernel_size=5, stride=1, padding=2, count_include_pad=True).view(n)
    if keep_last > 0:
        pooled[n - keep_last :] = float("inf")
    return top_sorted(torch, pooled, min(k, n))


def second_pass(engine, ids, idx):
    """The kept ids at new positions 0..k'-1 through the full model (gemfilter's and random's prefill)."""
    kept = ids[:, idx]
    cache, logits = engine.prefill(kept)
    k = int(kept.shape[1])
    return Prefill(cache, logits, k, k, {"kind": "indices", "indices": idx.tolist()})


def prefill(engine, ids, params, phases):
    r, k = int(params["filterLayer"]), int(params["k"])
    layers = engine.model.config.num_hidden_layers
    if not 0 <= r < layers:
        raise engine.error("bad_param", f"filterLayer {r} is not a layer of this {layers}-layer model", f"0 <= filterLayer < {layers}")
    idx = select(engine, ids, r, k, int(params.get("keepLast", 0)))
    phases.filter_done()
    return second_pass(engine, ids, idx)
