"""observed (kvpress's ObservedAttentionPress; engines/README.md): a dense prefill with each layer's cache compressed
right after the layer: per KV head, score[j] = H2O's column sum (the causal attention's softmax summed over every
query row, fp32; the mean over the KV head's query heads) divided by n - j, the number of queries that see key j; the
last `recent` rows (default 0, as kvpress) plus the top k - recent of the others (ties -> lower index). n <= k: nothing
evicted. Decoding at n, n+1, ..."""

from . import h2o
from .common import compressing_prefill
from .prefill import Prefill

NAME = "observed"
PARAMS = ("k", "recent")


def prefill(engine, ids, params, _phases):
    torch = engine.torch
    k, recent = int(params["k"]), int(params.get("recent", 0))
    n = ids.shape[1]
    if k <= recent:
        raise engine.error("bad_param", f"observed: k = {k} must be > recent = {recent}", "the budget k includes the recent window")
    seen = (n - torch.arange(n, dtype=torch.float32)).view(1, 1, n)  # queries that see key j

    def score(q, keys):
        return h2o.column_sums(engine, q, keys, "mean") / seen.to(keys.device)

    cache, logits, sel = compressing_prefill(engine, ids, k, recent, n, score)
    return Prefill(cache, logits, min(k, n), n, {"kind": "perHead", "perLayer": sel})
