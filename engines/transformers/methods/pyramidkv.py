"""pyramidkv (PyramidKV, arXiv 2406.02069; engines/README.md): SnapKV's votes (snapkv.window_votes: window, pooling,
GQA mean/max) with a budget per layer. With P = k - w, m layers and `beta`: min = P // beta, max = 2P - min; layer l
keeps w + p_l rows, p_l = round(max - l (max - min) / (m - 1)) rounding half to even (integers here), so the layers
keep m k rows together; m = 1: p_0 = P; a layer whose p_l exceeds the prefix n - w keeps all of it. n <= k: nothing
evicted; n < 2P: the uniform k in every layer (= snapkv). The kept length is the mean rows per layer (floored).
Decoding at n, n+1, ..."""

from .common import compressing_prefill
from .prefill import Prefill
from .snapkv import window_votes

NAME = "pyramidkv"
PARAMS = ("k", "window", "pool", "kernel", "beta", "gqa")


def pyramid_prefix(P, beta, m):
    """Prefix rows per layer (the window excluded), as the module docstring states."""
    if m == 1:
        return [P]
    lo = P // beta
    hi = 2 * P - lo
    out = []
    for l in range(m):
        q, r = divmod(hi * (m - 1) - l * (hi - lo), m - 1)
        out.append(q + (1 if 2 * r > m - 1 or (2 * r == m - 1 and q % 2 == 1) else 0))
    return out


def prefill(engine, ids, params, _phases):
    k, w = int(params["k"]), int(params.get("window", 32))
    kernel, pool, gqa = int(params.get("kernel", 5)), params.get("pool", "avg"), params.get("gqa", "mean")
    beta = int(params.get("beta", 20))
    n = ids.shape[1]
    if k <= w:
        raise engine.error("bad_param", f"pyramidkv: k = {k} must be > window = {w}", "the budget k includes the window")
    if gqa not in ("mean", "max"):
        raise engine.error("bad_param", f"pyramidkv: gqa = {gqa!r} must be mean or max", "pyramidkv groups per KV head")
    m = len(engine.model.model.layers)
    P = k - w
    prefix = pyramid_prefix(P, beta, m) if n >= 2 * P else [P] * m
    budget = [w + min(p, n - w) for p in prefix]

    def score(q, keys):
        return window_votes(engine, q, keys, kernel, pool, gqa)

    cache, logits, sel = compressing_prefill(engine, ids, k, w, w, score, layer_k=lambda l: budget[l])
    return Prefill(cache, logits, sum(budget) // m if n > k else n, n, {"kind": "perHead", "perLayer": sel})
