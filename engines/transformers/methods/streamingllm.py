"""streamingllm (StreamingLLM, arXiv 2309.17453; engines/README.md): a dense prefill; every layer and KV head keeps the
same rows: the first `sinks` prompt positions (attention sinks, default 4) and the last k - sinks. No scores (each
layer is cut right after its attention, which changes nothing downstream in the prompt's forward). n <= k: nothing
evicted. Decoding at n, n+1, ..."""

from .common import compressing_prefill
from .prefill import Prefill

NAME = "streamingllm"
PARAMS = ("k", "sinks")


def prefill(engine, ids, params, _phases):
    torch = engine.torch
    k, sinks = int(params["k"]), int(params.get("sinks", 4))
    n = ids.shape[1]
    if sinks > k:
        raise engine.error("bad_param", f"streamingllm: sinks = {sinks} must be <= k = {k}", "the budget k includes the sinks")

    def score(_q, keys):  # 1 on the sinks, 0 elsewhere: the top `sinks` of the first n - (k - sinks) are the sinks
        s = torch.zeros(keys.shape[0], keys.shape[1], keys.shape[2], device=keys.device)
        s[..., :sinks] = 1.0
        return s

    cache, logits, sel = compressing_prefill(engine, ids, k, k - sinks, 1, score)
    return Prefill(cache, logits, min(k, n), n, {"kind": "perHead", "perLayer": sel})
