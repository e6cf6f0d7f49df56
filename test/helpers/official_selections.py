"""The GemFilter authors' own selection code as the peer of our methods (opt-in parity test).

Reads one JSON request on stdin, prints one JSON answer. Imports the selection functions from a checkout of
https://github.com/SalesforceAIResearch/GemFilter (its my_baseline/ folder, as the paper's experiments ran them) and
applies them, in fp32, to the post-RoPE queries and keys our runner's `inspect` returned — so both sides score
identical Q/K and only the selection logic is compared.

Request: {"repo": DIR, "heads": H, "kvHeads": G, "headDim": d,
          "layers": [{"layer": l, "q": [[H*d floats] per token], "k": [[G*d floats] per token]}, ...],
          "gemfilter": {"layer": r, "k": k}, "snapkv": [{"k": k, "window": w, "kernel": 5, "pool": "avg"|"max"}, ...],
          "h2o": {"k": k, "recent": 32} | null}
Answer:  {"gemfilter": [sorted indices],
          "snapkv": [{layer: [[sorted indices] per query head]} per snapkv setting],  # official: per query head
          "snapkvPooled": [{layer: [[pooled score of each token before the window] per query head] | null}, ...],
          "h2o": {layer: [[sorted indices] per KV head]},         # utils_h2o with sum_group over each KV head's group
          "h2oPerQueryHead": {layer: [[sorted indices] per query head]}}  # as their H2O attention calls it
"""

import json
import math
import sys

import torch


def tensors(layer, H, G, d):
    n = len(layer["q"])
    q = torch.tensor(layer["q"], dtype=torch.float32).view(n, H, d).transpose(0, 1).unsqueeze(0)  # [1, H, n, d]
    k = torch.tensor(layer["k"], dtype=torch.float32).view(n, G, d).transpose(0, 1).unsqueeze(0)  # [1, G, n, d]
    return q, k


def positions(heads, n, width=1):
    """[1, heads, n, width] holding each token's position: passed as values, it shows which tokens were kept."""
    return torch.arange(n, dtype=torch.float32).view(1, 1, n, 1).expand(1, heads, n, width).clone()


def main():
    req = json.load(sys.stdin)
    sys.path.insert(0, req["repo"])
    from my_baseline.GemFilter.gem_filter_utils import standard_dis_index
    from my_baseline.SnapKV import snapkv_utils
    from my_baseline.SnapKV.snapkv_utils import SnapKVCluster, repeat_kv
    from my_baseline.H2O.utils_h2o import H2OKVCache_LayerWise

    # Record the pooled scores update_kv ranks (max pooling makes plateaus of exactly equal scores, where
    # torch.topk's choice among ties is unspecified; the test then compares scores instead of indices).
    pooled = []

    class RecordingF:
        def __getattr__(self, name):
            return getattr(torch.nn.functional, name)

        def avg_pool1d(self, *args, **kwargs):
            pooled.append(torch.nn.functional.avg_pool1d(*args, **kwargs))
            return pooled[-1]

        def max_pool1d(self, *args, **kwargs):
            pooled.append(torch.nn.functional.max_pool1d(*args, **kwargs))
            return pooled[-1]

    snapkv_utils.F = RecordingF()

    H, G, d = req["heads"], req["kvHeads"], req["headDim"]
    groups = H // G
    by_layer = {entry["layer"]: entry for entry in req["layers"]}
    out = {"snapkv": [{} for _ in req["snapkv"]], "snapkvPooled": [{} for _ in req["snapkv"]], "h2o": {}, "h2oPerQueryHead": {}}

    # GemFilter (find_context): last query row against repeated keys, summed over heads, avg-pooled, top-k.
    gf = req["gemfilter"]
    q, k = tensors(by_layer[gf["layer"]], H, G, d)
    n = q.shape[2]
    _, idx = standard_dis_index(repeat_kv(k, groups), q[:, :, -1:, :], min(gf["k"], n), pool=True, sum_over_heads=True)
    out["gemfilter"] = sorted(idx.view(-1).tolist())

    for layer, entry in by_layer.items():
        q, k = tensors(entry, H, G, d)
        n = q.shape[2]
        # SnapKV (update_kv on repeated K, as the hijacked attention calls it): the kept positions come back in the
        # value tensor, which carries each token's position.
        for i, s in enumerate(req["snapkv"]):
            cluster = SnapKVCluster(window_size=s["window"], max_capacity_prompt=s["k"], kernel_size=s["kernel"],
                                    pooling="avgpool" if s["pool"] == "avg" else "maxpool")
            pooled.clear()
            _, v = cluster.update_kv(repeat_kv(k, groups), q, positions(H, n, d), None, groups)
            out["snapkv"][i][layer] = [sorted(int(x) for x in v[0, h, :, 0].tolist()) for h in range(H)]
            out["snapkvPooled"][i][layer] = pooled[0][0].tolist() if pooled else None

        # H2O: the causal softmax in fp32 (repeated K, as the H2O attention computes it), then the official cache
        # update; the kept positions come back through a key cache that carries each token's position.
        h = req["h2o"]
        scores = torch.matmul(q, repeat_kv(k, groups).transpose(2, 3)) / math.sqrt(d)
        causal = torch.triu(torch.full((n, n), torch.finfo(torch.float32).min), diagonal=1)
        probs = torch.softmax(scores + causal, dim=-1, dtype=torch.float32)

        # Their H2O attention (my_baseline/H2O/*_h2o_attention.py) repeats K/V to H heads before the cache update and
        # calls the cache with num_key_value_groups = 1: one heavy-hitter set per query head, H cached heads.
        class RepeatedCache:
            key_cache = {layer: positions(H, n)}
            value_cache = {layer: positions(H, n)}

        per_q = H2OKVCache_LayerWise(hh_size=h["k"] - h["recent"], recent_size=h["recent"])
        per_q._clean_scores()
        kept_q = per_q(torch.zeros(1, H, n, 1), torch.zeros(1, H, n, 1), layer, 1, RepeatedCache(), probs)
        out["h2oPerQueryHead"][layer] = [sorted(int(x) for x in kept_q.key_cache[layer][0, i, :, 0].tolist()) for i in range(H)]

        if G == 1:  # utils_h2o squeezes the cache tensor, which breaks with a single KV head
            continue

        class Cache:
            key_cache = {layer: positions(G, n)}
            value_cache = {layer: positions(G, n)}

        cache = H2OKVCache_LayerWise(hh_size=h["k"] - h["recent"], recent_size=h["recent"])
        cache._clean_scores()
        kept = cache(torch.zeros(1, H, n, 1), torch.zeros(1, H, n, 1), layer, groups, Cache(), probs)
        out["h2o"][layer] = [sorted(int(x) for x in kept.key_cache[layer][0, g, :, 0].tolist()) for g in range(G)]

    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
