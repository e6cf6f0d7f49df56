"""dense: all layers over all n tokens into a DynamicCache; decoding at n, n+1, ..."""

from .prefill import Prefill

NAME = "dense"
PARAMS = ()


def prefill(engine, ids, _params, _phases):
    cache, logits = engine.prefill(ids)
    n = ids.shape[1]
    return Prefill(cache, logits, n, n, {"kind": "all"})
