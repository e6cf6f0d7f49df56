"""knorm (key-norm, arXiv 2406.11430; engines/README.md): a dense prefill with each layer's cache compressed right
after the layer: per KV head, the k - window prefix keys of LOWEST L2 norm (post-RoPE = pre-RoPE norm; float64; ties
-> lower index) plus the last `window` rows (default 0, as kvpress). n <= k: nothing evicted. Decoding at n, n+1, ..."""

from .common import compressing_prefill
from .prefill import Prefill

NAME = "knorm"
PARAMS = ("k", "window")


def prefill(engine, ids, params, _phases):
    k, w = int(params["k"]), int(params.get("window", 0))
    n = ids.shape[1]
    if k <= w:
        raise engine.error("bad_param", f"knorm: k = {k} must be > window = {w}", "the budget k includes the window")

    def score(_q, keys):  # [1, G, n]: the largest score is the smallest norm
        return -keys.double().norm(dim=-1)

    cache, logits, sel = compressing_prefill(engine, ids, k, w, 1, score)
    return Prefill(cache, logits, min(k, n), n, {"kind": "perHead", "perLayer": sel})
