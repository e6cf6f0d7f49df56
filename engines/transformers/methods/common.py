"""What the methods share: projections through a layer's own weights and RoPE, a stable top-k (ties -> lower index),
the per-layer compressing prefill of SnapKV and H2O, GQA grouping, and the per-query-head cache (H heads)."""

import contextlib
import sys


def heads(engine, attn):
    """(H, G, d) of an attention module."""
    cfg = engine.model.config
    H = cfg.num_attention_heads
    G = getattr(cfg, "num_key_value_heads", None) or H
    d = getattr(attn, "head_dim", None) or cfg.hidden_size // H
    return H, G, d


def project(engine, attn, hs, what, cos, sin):
    """Post-RoPE queries ("q") or keys ("k") of the rows of hs ([1, rows, D]) with those rows' cos/sin:
    [1, heads, rows, d], through the layer's own weights (phi3: its fused qkv_proj) and the model's own RoPE."""
    torch = engine.torch
    H, G, d = heads(engine, attn)
    rows = hs.shape[1]
    if hasattr(attn, "q_proj"):
        x = torch.nn.functional.linear(hs, attn.q_proj.weight if what == "q" else attn.k_proj.weight,
                                       (attn.q_proj if what == "q" else attn.k_proj).bias)
    else:  # phi3: qkv_proj = [q; k; v] rows, no bias
        w = attn.qkv_proj.weight
        x = torch.nn.functional.linear(hs, w[: H * d] if what == "q" else w[H * d : H * d + G * d])
    x = x.view(1, rows, H if what == "q" else G, d).transpose(1, 2)
    rope = sys.modules[type(attn).__module__].apply_rotary_pos_emb
    x, _ = rope(x, x, cos, sin)
    return x


def hidden_and_rope(args, kwargs):
    """An attention module's input hidden states and (cos, sin), from a forward pre-hook's arguments."""
    hs = kwargs["hidden_states"] if "hidden_states" in kwargs else args[0]
    return hs, kwargs["position_embeddings"]


def top_sorted(torch, scores, count):
    """The `count` largest entries along the last axis, ties -> the lower index (a stable descending sort), returned
    ascending (engines/README.md: every selection sorted ascending)."""
    order = torch.sort(scores, dim=-1, descending=True, stable=True).indices[..., :count]
    return order.sort(dim=-1).values


def group(votes, G, gqa):
    """[1, H, m] per query head -> [1, G, m] per KV head: mean (gqa "mean") or max (gqa "max") over its query heads;
    "per-query-head" keeps the H rows (the cache then has H heads: per_query_head_cache)."""
    if gqa == "per-query-head":
        return votes
    H = votes.shape[1]
    v = votes.view(1, G, H // G, votes.shape[2])
    return v.mean(dim=2) if gqa == "mean" else v.amax(dim=2)


def layer_kv(cache, idx):
    layer = cache.layers[idx] if hasattr(cache, "layers") else None
    if layer is not None:
        return layer.keys, layer.values
    return cache.key_cache[idx], cache.value_cache[idx]


def set_layer_kv(cache, idx, k, v):
    if hasattr(cache, "layers"):
        cache.layers[idx].keys, cache.layers[idx].values = k, v
    else:
        cache.key_cache[idx], cache.value_cache[idx] = k, v


@contextlib.contextmanager
def per_query_head_cache(engine):
    """The official per-query-head variant: every layer's K/V projections repeated to the H query heads (head h holds
    K/V head g(h)), so the cache has H heads and each can be compressed on its own. Numerically the attention is the
    model's own (transformers repeats K/V the same way before attending)."""
    torch = engine.torch
    handles, saved = [], []
    for layer in engine.model.model.layers:
        attn = layer.self_attn
        H, G, d = heads(engine, attn)
        rep = H // G

        def repeat(x, width):  # [1, s, G*d] -> [1, s, H*d], each KV head's d values repeated rep times in place
            s = x.shape[1]
            return x.view(1, s, width // d, 1, d).expand(1, s, width // d, rep, d).reshape(1, s, width * rep)

        if hasattr(attn, "k_proj"):
            handles.append(attn.k_proj.register_forward_hook(lambda _m, _a, out: repeat(out, out.shape[-1])))
            handles.append(attn.v_proj.register_forward_hook(lambda _m, _a, out: repeat(out, out.shape[-1])))
        else:  # phi3: [q | k | v] -> [q | k repeated | v repeated]; the module reads num_key_value_heads
            def fused(_m, _a, out, H=H, G=G, d=d):
                q, k, v = out[..., : H * d], out[..., H * d : (H + G) * d], out[..., (H + G) * d :]
                return torch.cat([q, repeat(k, G * d), repeat(v, G * d)], dim=-1)

            handles.append(attn.qkv_proj.register_forward_hook(fused))
            saved.append((attn, "num_key_value_heads", attn.num_key_value_heads))
            attn.num_key_value_heads = H
        saved.append((attn, "num_key_value_groups", attn.num_key_value_groups))
        attn.num_key_value_groups = 1
    try:
        yield
    finally:
        for h in handles:
            h.remove()
        for obj, name, value in saved:
            setattr(obj, name, value)


def compressing_prefill(engine, ids, k, last, rows, score, on_keep=None, layer_k=None):
    """A dense prefill whose cache is compressed right after each layer, before the next runs (SnapKV and H2O,
    engines/README.md): a pre-hook on each attention module projects the queries of its last `rows` rows with the
    model's own RoPE; a forward hook then scores the layer's cached rows per cache head with
    score(q [1, H, rows, d], keys [1, heads, n, d]) -> [1, heads, n] (the selection reads the first n - last), and
    keeps the top k - last of those (ties -> lower index, sorted) with the last `last` rows. No eviction when n <= k
    (the scores are still computed when on_keep wants them). on_keep(layer, keep [heads, kept], scores [1, heads, n])
    sees each layer's kept rows. layer_k(layer), when given, is that layer's budget in place of k (PyramidKV); k alone
    decides whether anything is evicted. Returns (cache, logits of the last row, selection [layer][head] lists)."""
    torch = engine.torch
    n = ids.shape[1]
    evict = n > k
    queries, selection, handles = {}, {}, []

    def pre(idx):
        def hook(module, args, kwargs):
            hs, (cos, sin) = hidden_and_rope(args, kwargs)
            queries[idx] = project(engine, module, hs[:, -rows:, :], "q", cos[:, -rows:], sin[:, -rows:])

        return hook

    def post(idx):
        def hook(_module, _args, kwargs, _out):
            cache = kwargs.get("past_key_values", kwargs.get("past_key_value"))
            keys, values = layer_kv(cache, idx)
            votes = score(queries.pop(idx), keys)
            if evict:
                top = top_sorted(torch, votes[..., : n - last], (layer_k(idx) if layer_k else k) - last)[0]  # [heads, k - last]
                keep = torch.cat([top, torch.arange(n - last, n, device=top.device).expand(top.shape[0], last)], dim=1)
                gather = keep[None, :, :, None].expand(-1, -1, -1, keys.shape[-1])
                set_layer_kv(cache, idx, keys.gather(2, gather), values.gather(2, gather))
            else:
                keep = torch.arange(n, device=keys.device).expand(keys.shape[1], n)
            selection[idx] = keep
            if on_keep is not None:
                on_keep(idx, keep, votes)

        return hook

    if evict or on_keep is not None:
        for i, layer in enumerate(engine.model.model.layers):
            handles.append(layer.self_attn.register_forward_pre_hook(pre(i), with_kwargs=True))
            handles.append(layer.self_attn.register_forward_hook(post(i), with_kwargs=True))
    try:
        cache, logits = engine.prefill(ids)
    finally:
        for h in handles:
            h.remove()
    layers = len(engine.model.model.layers)
    if not selection:  # nothing evicted: every row of every cache head
        sel = [[list(range(n))] * layer_kv(cache, 0)[0].shape[1] for _ in range(layers)]
    else:
        sel = [selection[i].tolist() for i in range(layers)]
    return cache, logits, sel
