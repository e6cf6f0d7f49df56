"""gembench's speed peer: the bench suite's cells through PyTorch + Hugging Face transformers (engines/transformers/).

Speaks the runner's protocol (engines/native/PROTOCOL.md), one JSON request per stdin line, one JSON answer per
stdout line; anything else it or its libraries print goes to stderr. Ops: load, describe, generate, unload, shutdown.
Run `python peer.py --check` to print the versions it would use (the harness does, before a run starts).

  --device cuda: bf16 weights on the first visible GPU (the harness sets CUDA_VISIBLE_DEVICES), SDPA attention,
                 phases timed with torch.cuda.Event (read after a synchronize), memory = torch.cuda.max_memory_allocated
                 per phase (reset at each phase's start);
  --device cpu:  fp32 weights, SDPA attention, time.perf_counter, no memory figure.

Methods (what a transformers user writing the paper's algorithms would run; engines/transformers/README.md):
  dense      the whole prompt in one forward into a DynamicCache, then greedy decoding.
  gemfilter  pass 1 = the model truncated to layers 0..r (as the authors' code does it; no cache kept), with a hook on
             layer r's attention: its last query and all keys after RoPE, score[j] = sum_h q_h . K_{g(h),j} (no
             1/sqrt(d), no softmax), average pooling 5/1/2 with zero padding, top-k' (k' = min(k, n)) sorted; then
             the kept tokens, in order, through the full model as a dense prefill at positions 0..k'-1, and decoding.
  snapkv     a dense prefill whose cache is compressed right after each layer (hooks on the attention): the last
             `window` queries' softmax rows summed over the prefix keys, pooled, mean/max over each KV head's query
             heads, top k - window per KV head plus the window; decoding at the prompt's own positions. gqa
             per-query-head (a cache of H heads) is not implemented.
  h2o        the same per-layer compression with H2O's scores: every query's softmax row summed into column scores
             (blocks of query rows, no n x n matrix), mean/max per KV head, the last `recent` rows kept; one-shot at
             prefill (no evictDuringDecode), gqa per-query-head not implemented.
Decoding is greedy, token by token through the cache, the next input kept on the device (no per-token sync).
"""

import argparse
import json
import sys
import time

_OUT = sys.stdout
sys.stdout = sys.stderr  # libraries that print() must not break the protocol stream

PROTOCOL = 1
METHODS = ["dense", "gemfilter", "snapkv", "h2o"]
# H2O's column sums: query rows per block such that a block holds about this many fp32 scores per query head
H2O_BLOCK_SCORES = 1 << 26


class PeerError(Exception):
    def __init__(self, code, message, hint=""):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


def versions():
    import torch
    import transformers

    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cuda": bool(torch.cuda.is_available()),
    }


class Clock:
    """Phase marks: CUDA events recorded in the stream on the GPU, perf_counter on the CPU."""

    def __init__(self, torch, cuda):
        self.torch, self.cuda = torch, cuda

    def mark(self):
        if self.cuda:
            e = self.torch.cuda.Event(enable_timing=True)
            e.record()
            return e
        return time.perf_counter()

    def ms(self, a, b):
        """Milliseconds from mark a to mark b (call after a synchronize on the GPU)."""
        return a.elapsed_time(b) if self.cuda else (b - a) * 1000.0


class Peer:
    def __init__(self, device):
        import torch
        import transformers

        major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
        if (major, minor) < (4, 48):
            raise SystemExit(f"transformers {transformers.__version__} is too old for the peer (it needs >= 4.48: attention gets position_embeddings)")
        self.torch, self.transformers = torch, transformers
        self.cuda = device == "cuda"
        if self.cuda and not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no CUDA device (a CPU-only torch build, or no GPU)")
        self.device = torch.device("cuda:0" if self.cuda else "cpu")
        self.dtype = torch.bfloat16 if self.cuda else torch.float32
        self.dtype_kw = "dtype" if (major, minor) >= (4, 56) else "torch_dtype"
        self.clock = Clock(torch, self.cuda)
        self.model = None
        self.weight_bytes = 0

    # ---------- protocol ----------

    def hello(self):
        v = versions()
        dev = self.torch.cuda.get_device_name(0) if self.cuda else "cpu"
        cc = None
        if self.cuda:
            cc = "%d.%d" % self.torch.cuda.get_device_capability(0)
        return {
            "type": "hello",
            "protocol": PROTOCOL,
            "build": f"transformers {v['transformers']}, torch {v['torch']}, python {v['python']}",
            "backend": f"torch-{'cuda' if self.cuda else 'cpu'} {'bf16' if self.cuda else 'fp32'} sdpa",
            "device": dev,
            "computeCapability": cc,
            "timer": "cuda-events" if self.cuda else "perf-counter",
            "capabilities": {"methods": METHODS, "presets": []},
        }

    def describe_config(self, config):
        eos = config.eos_token_id
        eos = [] if eos is None else (list(eos) if isinstance(eos, (list, tuple)) else [eos])
        heads = config.num_attention_heads
        return {
            "family": config.model_type,
            "modelType": config.model_type,
            "layers": config.num_hidden_layers,
            "hiddenSize": config.hidden_size,
            "heads": heads,
            "kvHeads": getattr(config, "num_key_value_heads", None) or heads,
            "headDim": getattr(config, "head_dim", None) or config.hidden_size // heads,
            "intermediateSize": config.intermediate_size,
            "dtype": "bf16" if self.cuda else "f32",
            "vocabSize": config.vocab_size,
            "maxPositions": config.max_position_embeddings,
            "eosIds": [int(x) for x in eos],
            "bosId": None if config.bos_token_id is None else int(config.bos_token_id),
        }

    def load(self, req):
        from transformers import AutoModelForCausalLM

        self.unload(req)
        t0 = time.perf_counter()
        path = req["model"]
        if path.startswith("synthetic:"):
            raise PeerError("unsupported", f"the peer loads Hugging Face folders, not {path}", "the harness exports synthetic models first")
        try:
            model = AutoModelForCausalLM.from_pretrained(path, attn_implementation="sdpa", **{self.dtype_kw: self.dtype})
        except (OSError, ValueError) as e:
            raise PeerError("model_error", f"transformers cannot load {path}: {e}", "")
        model.to(self.device).eval()
        self.model = model
        self.weight_bytes = sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers()))
        info = self.describe_config(model.config)
        info["parameterCount"] = sum(p.numel() for p in model.parameters())
        info["residentBytes"] = {"weights": self.weight_bytes}
        info["loadMs"] = (time.perf_counter() - t0) * 1000.0
        return info

    def describe(self, req):
        from transformers import AutoConfig

        return self.describe_config(AutoConfig.from_pretrained(req["model"]))

    def unload(self, _req):
        self.model = None
        if self.cuda:
            self.torch.cuda.empty_cache()
        return {}

    # ---------- memory ----------

    def phase_start(self):
        if self.cuda:
            self.torch.cuda.synchronize()
            self.torch.cuda.reset_peak_memory_stats()

    def phase_bytes(self, kv_bytes):
        """The phase's peak (torch.cuda.max_memory_allocated) split as weights, the KV cache at the phase's end, and
        the rest (activations); None on the CPU."""
        if not self.cuda:
            return None
        total = int(self.torch.cuda.max_memory_allocated())
        kv = int(kv_bytes)
        return {"weights": self.weight_bytes, "kv": kv, "activations": max(0, total - self.weight_bytes - kv), "workspace": 0, "total": total}

    @staticmethod
    def cache_bytes(cache):
        total = 0
        if cache is None:
            return 0
        layers = getattr(cache, "layers", None)
        tensors = []
        if layers is not None:
            for layer in layers:
                tensors += [getattr(layer, "keys", None), getattr(layer, "values", None)]
        else:
            tensors = list(getattr(cache, "key_cache", [])) + list(getattr(cache, "value_cache", []))
        for t in tensors:
            if t is not None and hasattr(t, "numel"):
                total += t.numel() * t.element_size()
        return total

    # ---------- methods ----------

    def prefill(self, ids):
        """A dense prefill into a new cache: (cache, logits of the last row)."""
        out = self.model.model(input_ids=ids, use_cache=True)
        logits = self.model.lm_head(out.last_hidden_state[:, -1:, :])
        return out.past_key_values, logits

    def heads(self, attn):
        cfg = self.model.config
        H = cfg.num_attention_heads
        G = getattr(cfg, "num_key_value_heads", None) or H
        d = getattr(attn, "head_dim", None) or cfg.hidden_size // H
        return H, G, d

    def project(self, attn, hs, what, cos, sin):
        """Post-RoPE queries ("q") or keys ("k") of the rows of hs ([1, rows, D]) with those rows' cos/sin:
        [1, heads, rows, d], through the layer's own weights (phi3: its fused qkv_proj) and the model's own RoPE."""
        torch = self.torch
        H, G, d = self.heads(attn)
        rows = hs.shape[1]
        if hasattr(attn, "q_proj"):
            x = (attn.q_proj if what == "q" else attn.k_proj)(hs)
        else:  # phi3: qkv_proj = [q; k; v] rows, no bias
            w = attn.qkv_proj.weight
            x = torch.nn.functional.linear(hs, w[: H * d] if what == "q" else w[H * d : H * d + G * d])
        x = x.view(1, rows, H if what == "q" else G, d).transpose(1, 2)
        rope = sys.modules[type(attn).__module__].apply_rotary_pos_emb
        x, _ = rope(x, x, cos, sin)
        return x

    def gemfilter_select(self, ids, r, k, keep_last):
        """Pass 1 over layers 0..r and the selection: the kept positions, ascending (a 1-D device tensor)."""
        torch = self.torch
        model = self.model
        n = ids.shape[1]
        attn = model.model.layers[r].self_attn
        cfg = model.config
        H, G, d = self.heads(attn)
        got = {}

        def hook(_module, args, kwargs):
            hs = kwargs["hidden_states"] if "hidden_states" in kwargs else args[0]
            cos, sin = kwargs["position_embeddings"]
            q = self.project(attn, hs[:, -1:, :], "q", cos[:, -1:], sin[:, -1:])
            kk = self.project(attn, hs, "k", cos, sin)
            # score[j] = sum over query heads h of q_h . K_{g(h), j}: the group's queries summed first.
            qg = q[0, :, 0, :].float().view(G, H // G, d).sum(dim=1)
            got["score"] = torch.einsum("gnd,gd->n", kk[0].float(), qg)

        handle = attn.register_forward_pre_hook(hook, with_kwargs=True)
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
        keep = min(k, n)
        return torch.topk(pooled, keep).indices.sort().values

    def compressing_prefill(self, ids, k, last, rows, score):
        """A dense prefill whose cache is compressed right after each layer, before the next runs (SnapKV and H2O,
        METHODS.md): a pre-hook on each attention module projects the queries of its last `rows` rows with the model's
        own RoPE; a forward hook then scores the layer's n - last older cached rows per KV head with
        score(q [1, H, rows, d], keys [1, G, n, d]) -> [1, G, n - last], and keeps the top k - last of them (sorted)
        with the last `last` rows. No eviction when n <= k. Returns (cache, logits of the last row)."""
        torch = self.torch
        n = ids.shape[1]
        queries = {}
        handles = []

        def pre(idx):
            def hook(module, args, kwargs):
                hs = kwargs["hidden_states"] if "hidden_states" in kwargs else args[0]
                cos, sin = kwargs["position_embeddings"]
                queries[idx] = self.project(module, hs[:, -rows:, :], "q", cos[:, -rows:], sin[:, -rows:])

            return hook

        def post(idx):
            def hook(module, _args, kwargs, _out):
                cache = kwargs.get("past_key_values", kwargs.get("past_key_value"))
                layer = cache.layers[idx] if hasattr(cache, "layers") else None
                keys = layer.keys if layer is not None else cache.key_cache[idx]
                values = layer.values if layer is not None else cache.value_cache[idx]
                votes = score(queries.pop(idx), keys)
                keep = votes.topk(k - last, dim=-1).indices.sort(dim=-1).values.unsqueeze(-1).expand(-1, -1, -1, keys.shape[-1])
                nk = torch.cat([keys[:, :, : n - last].gather(2, keep), keys[:, :, n - last :]], dim=2)
                nv = torch.cat([values[:, :, : n - last].gather(2, keep), values[:, :, n - last :]], dim=2)
                if layer is not None:
                    layer.keys, layer.values = nk, nv
                else:
                    cache.key_cache[idx], cache.value_cache[idx] = nk, nv

            return hook

        if n > k:
            for i, layer in enumerate(self.model.model.layers):
                handles.append(layer.self_attn.register_forward_pre_hook(pre(i), with_kwargs=True))
                handles.append(layer.self_attn.register_forward_hook(post(i), with_kwargs=True))
        try:
            return self.prefill(ids)
        finally:
            for h in handles:
                h.remove()

    def group(self, votes, G, gqa):
        """[1, H, m] per query head -> [1, G, m] per KV head: the mean (gqa "mean") or the max over its query heads."""
        votes = votes.view(1, G, votes.shape[1] // G, votes.shape[2])
        return votes.mean(dim=2) if gqa == "mean" else votes.amax(dim=2)

    def snapkv_prefill(self, ids, params):
        """SnapKV: the last `window` queries' softmax rows over all keys (causal inside the window) summed over the
        window for the prefix keys, pooled along the keys, grouped per KV head; the window's rows always kept."""
        torch = self.torch
        F = torch.nn.functional
        k, w = int(params["k"]), int(params.get("window", 32))
        kernel, pool, gqa = int(params.get("kernel", 5)), params.get("pool", "avg"), params.get("gqa", "mean")
        n = ids.shape[1]

        def score(q, keys):
            H, G, d = q.shape[1], keys.shape[1], keys.shape[3]
            kf = keys.float().repeat_interleave(H // G, dim=1)  # [1, H, n, d]
            s = torch.matmul(q.float(), kf.transpose(2, 3)) / (d**0.5)  # [1, H, w, n]
            causal = torch.arange(n, device=s.device)[None, :] > (n - w + torch.arange(w, device=s.device))[:, None]
            votes = torch.softmax(s.masked_fill(causal, float("-inf")), dim=-1)[..., : n - w].sum(dim=2)  # [1, H, n - w]
            if pool == "avg":
                votes = F.avg_pool1d(votes, kernel_size=kernel, stride=1, padding=kernel // 2, count_include_pad=True)
            else:
                votes = F.max_pool1d(votes, kernel_size=kernel, stride=1, padding=kernel // 2)
            return self.group(votes, G, gqa)

        return self.compressing_prefill(ids, k, w, w, score)

    def h2o_prefill(self, ids, params):
        """H2O: every query's softmax row summed into column scores (score[j] = sum over i >= j of the probability of
        key j for query i), computed in blocks of query rows against the keys up to the block's end so that no n x n
        matrix exists; grouped per KV head; the last `recent` rows always kept."""
        torch = self.torch
        k, recent, gqa = int(params["k"]), int(params.get("recent", 32)), params.get("gqa", "mean")
        n = ids.shape[1]
        block = max(1, min(n, H2O_BLOCK_SCORES // n))

        def score(q, keys):
            H, G, d = q.shape[1], keys.shape[1], keys.shape[3]
            per = H // G
            cols = torch.zeros(1, H, n, dtype=torch.float32, device=keys.device)
            for g in range(G):
                kg = keys[0, g].float()  # [n, d]
                qg = q[0, g * per : (g + 1) * per].float()  # [per, n, d]
                for i0 in range(0, n, block):
                    i1 = min(n, i0 + block)
                    s = torch.matmul(qg[:, i0:i1], kg[:i1].transpose(0, 1)) / (d**0.5)  # [per, b, i1]
                    causal = torch.arange(i1, device=s.device)[None, :] > torch.arange(i0, i1, device=s.device)[:, None]
                    cols[0, g * per : (g + 1) * per, :i1] += torch.softmax(s.masked_fill(causal, float("-inf")), dim=-1).sum(dim=1)
            return self.group(cols[..., : n - recent], G, gqa)

        return self.compressing_prefill(ids, k, recent, n, score)

    def generate(self, req):
        torch = self.torch
        if self.model is None:
            raise PeerError("no_model", "no model is loaded", "load one first")
        method = req.get("method", {})
        name = method.get("name")
        params = method.get("params", {})
        if name not in METHODS:
            raise PeerError("unsupported", f"the transformers peer has no {name!r}", f"peer methods: {', '.join(METHODS)}")
        if name in ("snapkv", "h2o"):
            if params.get("gqa", "mean") not in ("mean", "max"):
                raise PeerError("unsupported", f"the transformers peer runs {name} with gqa mean or max (one cache per KV head), not per-query-head", "")
            if name == "h2o" and params.get("evictDuringDecode", False):
                raise PeerError("unsupported", "the transformers peer runs h2o's one-shot eviction at prefill only (no evictDuringDecode)", "")
            last = int(params.get("window", 32)) if name == "snapkv" else int(params.get("recent", 32))
            if int(params["k"]) <= last:
                raise PeerError("bad_param", f"{name}: k must be > {'window' if name == 'snapkv' else 'recent'}", "")
        if req.get("minNewTokens", 0) > 0:
            raise PeerError("unsupported", "the transformers peer does not implement minNewTokens", "")
        max_new = int(req.get("maxNewTokens", 0))
        eos = set() if req.get("ignoreEos") else set(req.get("eosIds", self.describe_config(self.model.config)["eosIds"])) | set(req.get("stopIds", []))
        stop_from = int(req.get("stopCheckFrom", 0))
        ids = torch.tensor([req["inputIds"]], dtype=torch.long, device=self.device)
        n = ids.shape[1]
        clock = self.clock
        zero = {"weights": 0, "kv": 0, "activations": 0, "workspace": 0, "total": 0}
        mem_filter = None if not self.cuda else dict(zero)
        oom = None
        try:
            with torch.inference_mode():
                self.phase_start()
                t_start = clock.mark()
                t_filter = t_start
                kept = n
                if name == "gemfilter":
                    r, k = int(params["filterLayer"]), int(params["k"])
                    if not 0 <= r < self.model.config.num_hidden_layers:
                        raise PeerError("bad_param", f"filterLayer {r} is not a layer of this {self.model.config.num_hidden_layers}-layer model", "")
                    idx = self.gemfilter_select(ids, r, k, int(params.get("keepLast", 0)))
                    ids = ids[:, idx]
                    kept = int(ids.shape[1])
                    t_filter = clock.mark()
                    mem_filter = self.phase_bytes(0)
                    self.phase_start()
                    t_prefill0 = clock.mark()
                else:
                    t_prefill0 = t_start
                out_ids = []
                prefill = {"snapkv": self.snapkv_prefill, "h2o": self.h2o_prefill}.get(name)
                cache, logits = prefill(ids, params) if prefill is not None else self.prefill(ids)
                if prefill is not None:
                    kept = min(int(params["k"]), n)
                # decoding continues after the prompt's positions (SnapKV's and H2O's caches are shorter than them),
                # the position counted on the device so that no step waits for the host
                pos = torch.tensor([[n if prefill is not None else kept]], dtype=torch.long, device=self.device)
                t_prefill = clock.mark()
                mem_prefill = self.phase_bytes(self.cache_bytes(cache))
                decode_tokens = 0
                stop_reason = "length"
                if max_new > 0:
                    tok = logits[:, -1, :].argmax(dim=-1, keepdim=True)
                    first = int(tok.item())
                    t_first = clock.mark()
                    out_ids.append(first)
                    self.phase_start()
                    t_dec0 = clock.mark()
                    pending = []
                    if eos and first in eos and stop_from <= 0:
                        stop_reason = "eos"
                    else:
                        for step in range(1, max_new):
                            step_out = self.model.model(input_ids=tok, past_key_values=cache, use_cache=True, position_ids=pos)
                            pos = pos + 1
                            cache = step_out.past_key_values
                            tok = self.model.lm_head(step_out.last_hidden_state[:, -1:, :])[:, -1, :].argmax(dim=-1, keepdim=True)
                            decode_tokens += 1
                            if eos:
                                t = int(tok.item())
                                out_ids.append(t)
                                if step >= stop_from and t in eos:
                                    stop_reason = "eos"
                                    break
                            else:
                                pending.append(tok)
                    t_end = clock.mark()
                    if pending:
                        out_ids += torch.cat(pending, dim=1)[0].tolist()
                else:
                    t_first = t_prefill
                    t_dec0 = t_end = clock.mark()
                if self.cuda:
                    torch.cuda.synchronize()
                mem_decode = self.phase_bytes(self.cache_bytes(cache))
        except torch.cuda.OutOfMemoryError as e:
            oom = str(e).splitlines()[0]
        if oom is not None:
            # the exception (and its frames' tensors) is gone here: drop this call's own and return the memory
            cache = logits = tok = pending = ids = None
            torch.cuda.empty_cache()
            raise PeerError("out_of_memory", f"torch ran out of GPU memory: {oom}", "the peer (PyTorch + transformers) cannot run this length on this GPU")
        timings = {
            "filterMs": clock.ms(t_start, t_filter) if name == "gemfilter" else 0.0,
            "prefillMs": clock.ms(t_prefill0, t_prefill),
            "decodeMs": clock.ms(t_dec0, t_end),
            "decodeTokens": decode_tokens,
            "ttftMs": clock.ms(t_start, t_first),
            "totalMs": clock.ms(t_start, t_end),
        }
        memory = None
        if self.cuda:
            phases = {"filter": mem_filter, "prefill": mem_prefill, "decode": mem_decode}
            memory = {"phases": phases, "peak": max(phases.values(), key=lambda m: m["total"])}
        return {
            "outputIds": out_ids,
            "inputLength": n,
            "keptLength": kept,
            "stopReason": stop_reason,
            "timings": timings,
            "memory": memory,
        }


def serve(device):
    peer = Peer(device)
    _OUT.write(json.dumps(peer.hello()) + "\n")
    _OUT.flush()
    ops = {"load": peer.load, "describe": peer.describe, "generate": peer.generate, "unload": peer.unload}
    for line in sys.stdin:
        if not line.strip():
            continue
        rid = None
        try:
            req = json.loads(line)
            rid = req.get("id")
            op = req.get("op")
            if op == "shutdown":
                _OUT.write(json.dumps({"id": rid, "ok": True, "result": {}}) + "\n")
                _OUT.flush()
                return
            if op not in ops:
                raise PeerError("bad_request", f"unknown op {op!r}", "ops: " + ", ".join(sorted(ops)) + ", shutdown")
            answer = {"id": rid, "ok": True, "result": ops[op](req)}
        except PeerError as e:
            answer = {"id": rid, "ok": False, "error": {"code": e.code, "message": e.message, "hint": e.hint}}
        except (KeyError, TypeError, ValueError) as e:
            answer = {"id": rid, "ok": False, "error": {"code": "bad_request", "message": f"{type(e).__name__}: {e}", "hint": ""}}
        _OUT.write(json.dumps(answer) + "\n")
        _OUT.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--check", action="store_true", help="print the versions as JSON and exit")
    a = ap.parse_args()
    if a.check:
        _OUT.write(json.dumps(versions()) + "\n")
        return
    serve(a.device)


if __name__ == "__main__":
    main()
