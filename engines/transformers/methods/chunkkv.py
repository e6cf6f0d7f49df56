"""chunkkv (ChunkKV, arXiv 2502.00299; engines/README.md): SnapKV's window votes (snapkv.window_votes, pooled per
query head) averaged over all H query heads; the prefix [0, n - w) cut into chunks of `chunk` tokens (default 20, the
last shorter), a chunk scoring the mean of its votes; chunks taken by score (ties -> the earlier chunk) while they fit
whole in k - w, the first that does not fit cut to its leading positions that do. Plus the window; the same rows for
every KV head. Done through the compressing prefill's top-k with a per-position score that orders the positions by
(chunk rank, position in the chunk), so its top k - w are exactly those rows. n <= k: nothing evicted."""

from .common import compressing_prefill
from .prefill import Prefill
from .snapkv import window_votes

NAME = "chunkkv"
PARAMS = ("k", "window", "pool", "kernel", "chunk")


def prefill(engine, ids, params, _phases):
    torch = engine.torch
    k, w = int(params["k"]), int(params.get("window", 32))
    kernel, pool, chunk = int(params.get("kernel", 5)), params.get("pool", "avg"), int(params.get("chunk", 20))
    n = ids.shape[1]
    if k <= w:
        raise engine.error("bad_param", f"chunkkv: k = {k} must be > window = {w}", "the budget k includes the window")
    if chunk < 1:
        raise engine.error("bad_param", f"chunkkv: chunk = {chunk} must be >= 1", "a chunk holds at least one token")

    def score(q, keys):
        votes = window_votes(engine, q, keys, kernel, pool, "per-query-head")[0].double().mean(dim=0)  # [n - w]
        prefix = votes.shape[0]
        chunks = (prefix + chunk - 1) // chunk
        padded = torch.zeros(chunks * chunk, dtype=torch.float64, device=votes.device)
        padded[:prefix] = votes
        sizes = torch.full((chunks,), float(chunk), dtype=torch.float64, device=votes.device)
        sizes[-1] = prefix - (chunks - 1) * chunk
        means = padded.view(chunks, chunk).sum(dim=1) / sizes
        rank = torch.empty(chunks, dtype=torch.float64, device=votes.device)
        rank[torch.sort(means, descending=True, stable=True).indices] = torch.arange(chunks, dtype=torch.float64, device=votes.device)
        pos = torch.arange(prefix, dtype=torch.float64, device=votes.device)
        c = torch.div(pos, chunk, rounding_mode="floor")
        order = -(rank[c.long()] * chunk + (pos - c * chunk))  # larger = taken earlier
        return order.view(1, 1, prefix).expand(1, keys.shape[1], prefix)

    cache, logits, sel = compressing_prefill(engine, ids, k, w, w, score)
    return Prefill(cache, logits, min(k, n), n, {"kind": "perHead", "perLayer": sel})
