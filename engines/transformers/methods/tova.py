"""tova (TOVA, arXiv 2401.06104, prefill form; engines/README.md): a dense prefill with each layer's cache compressed
right after the layer: score[j] = the last query's softmax(q . k_j / sqrt(d)) (fp32) averaged over all H query heads,
j < n - 1; the top k - 1 (ties -> lower index) plus the last token, the same rows for every KV head. n <= k: nothing
evicted. Decoding at n, n+1, ..."""

from .common import compressing_prefill
from .prefill import Prefill

NAME = "tova"
PARAMS = ("k",)


def prefill(engine, ids, params, _phases):
    torch = engine.torch
    k = int(params["k"])
    n = ids.shape[1]

    def score(q, keys):  # q [1, H, 1, d] (the last row sees every key), keys [1, G, n, d]
        H, G, d = q.shape[1], keys.shape[1], keys.shape[3]
        kf = keys.float().repeat_interleave(H // G, dim=1)  # [1, H, n, d]
        p = torch.softmax(torch.matmul(q.float(), kf.transpose(2, 3)) / (d**0.5), dim=-1)[:, :, 0, :]  # [1, H, n]
        return p.mean(dim=1, keepdim=True).expand(1, G, n)

    cache, logits, sel = compressing_prefill(engine, ids, k, 1, 1, score)
    return Prefill(cache, logits, min(k, n), n, {"kind": "perHead", "perLayer": sel})
