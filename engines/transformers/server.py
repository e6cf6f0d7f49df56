"""gembench's transformers engine: every suite's cells through PyTorch + Hugging Face transformers
(engines/transformers/README.md), beside the native runner on the same weights.

Speaks the runner's protocol (engines/native/PROTOCOL.md), one JSON request per stdin line, one JSON answer per
stdout line; anything else it or its libraries print goes to stderr. Ops: load, describe, generate, unload, shutdown.
`python server.py --check` prints the versions it would use and its capabilities (the harness runs it before a run);
`--capabilities` prints the capabilities alone (no torch import).

  --device cuda: bf16 weights on the first visible GPU (the harness sets CUDA_VISIBLE_DEVICES), SDPA attention,
                 phases timed with torch.cuda.Event (read after a synchronize), memory = torch.cuda.max_memory_allocated
                 per phase (reset at each phase's start);
  --device cpu:  fp32 weights, SDPA attention, time.perf_counter; no memory figure (torch's CPU allocator keeps no
                 peak statistics, and the process's RSS would count the interpreter and libraries, not the phase).

The methods are in methods/ (one file each, as the native runner's src/methods/); this file owns the model, greedy
decoding with the request's stop ids / eosIds / stopCheckFrom / minNewTokens, timings, memory and the selection.
"""

import argparse
import json
import os
import sys
import time

_OUT = sys.stdout
sys.stdout = sys.stderr  # libraries that print() must not break the protocol stream
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from methods import METHODS, capabilities  # noqa: E402

PROTOCOL = 1


class EngineError(Exception):
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


class Engine:
    def __init__(self, device):
        import torch
        import transformers

        major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
        if (major, minor) < (4, 48):
            raise SystemExit(f"transformers {transformers.__version__} is too old for the engine (it needs >= 4.48: attention gets position_embeddings)")
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
        # on the CPU its threads too: the reports subtract a run's own threads from the load average (reports/machine-load.ts)
        dev = self.torch.cuda.get_device_name(0) if self.cuda else "cpu (%d threads)" % self.torch.get_num_threads()
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
            "capabilities": capabilities(),
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
            "weightDtype": "bf16" if self.cuda else "f32",  # loaded in the compute dtype
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
            raise EngineError("unsupported", f"the transformers engine loads Hugging Face folders, not {path}", "the harness exports synthetic models first")
        try:
            model = AutoModelForCausalLM.from_pretrained(path, attn_implementation="sdpa", **{self.dtype_kw: self.dtype})
        except (OSError, ValueError) as e:
            raise EngineError("model_error", f"transformers cannot load {path}: {e}", "")
        model.to(self.device).eval()
        self.model = model
        self.weight_bytes = sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers()))
        info = self.describe_config(model.config)
        info["parameterCount"] = sum(p.numel() for p in model.parameters())
        info["residentBytes"] = {"weights": self.weight_bytes}
        info["loadMs"] = (time.perf_counter() - t0) * 1000.0
        return info

    def describe(self, req):
        from transformers import AutoConfig, AutoModelForCausalLM

        config = AutoConfig.from_pretrained(req["model"])
        info = self.describe_config(config)
        # The parameter count without loading a weight (the model built on the meta device: shapes only), so the
        # harness can size the load's timeout; load counts the same way on the real model.
        with self.torch.device("meta"):
            info["parameterCount"] = sum(p.numel() for p in AutoModelForCausalLM.from_config(config).parameters())
        return info

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

    # ---------- what the methods call ----------

    @staticmethod
    def error(code, message, hint=""):
        return EngineError(code, message, hint)

    def prefill(self, ids):
        """A dense prefill into a new cache: (cache, logits of the last row)."""
        out = self.model.model(input_ids=ids, use_cache=True)
        logits = self.model.lm_head(out.last_hidden_state[:, -1:, :])
        return out.past_key_values, logits

    # ---------- generate ----------

    def check_request(self, req, name, params, n, max_new):
        if self.model is None:
            raise EngineError("no_model", "no model is loaded", "load one first")
        if name not in METHODS:
            raise EngineError("unknown_method", f"the transformers engine has no method {name!r}", f"its methods: {', '.join(METHODS)}")
        extra = sorted(set(params) - set(METHODS[name].PARAMS))
        if extra:
            raise EngineError("unsupported", f"the transformers engine's {name} has no parameter {', '.join(extra)}", f"its parameters: {', '.join(METHODS[name].PARAMS) or 'none'}")
        if n == 0:
            raise EngineError("bad_input", "empty input", "")
        vocab = self.model.config.vocab_size
        bad = [t for t in req["inputIds"] if not 0 <= int(t) < vocab]
        if bad:
            raise EngineError("bad_input", f"token id {bad[0]} is outside the vocabulary (0..{vocab - 1})", "")
        limit = self.model.config.max_position_embeddings
        if n + max_new > limit and not req.get("allowLongInput", False):
            raise EngineError("bad_input", f"input length {n} + maxNewTokens {max_new} exceeds the model's max_position_embeddings {limit}", "shorten the input, or set allowLongInput: true")
        min_new = int(req.get("minNewTokens", 0))
        if not 0 <= min_new <= max_new:
            raise EngineError("bad_param", f"minNewTokens = {min_new} must be in [0, maxNewTokens = {max_new}]", "")
        return min_new

    def generate(self, req):
        if "turns" in req or "turnMode" in req:
            return self.generate_turns(req)
        torch = self.torch
        method = req.get("method", {})
        name = method.get("name")
        params = method.get("params", {})
        max_new = int(req.get("maxNewTokens", 0))
        n = len(req["inputIds"])
        min_new = self.check_request(req, name, params, n, max_new)
        model_eos = self.describe_config(self.model.config)["eosIds"]
        eos = set(int(x) for x in (req["eosIds"] if "eosIds" in req else model_eos))
        stops = set(int(x) for x in req.get("stopIds", []))
        banned = sorted(eos | stops)
        check = not req.get("ignoreEos", False) and bool(eos or stops)
        stop_from = int(req.get("stopCheckFrom", 0))
        ids = torch.tensor([req["inputIds"]], dtype=torch.long, device=self.device)
        clock = self.clock
        engine = self
        marks = {}

        class Phases:
            """The method calls filter_done() at the end of a filter pass (gemfilter, random): the filter phase's time and
            memory end there and the prefill's begin."""

            @staticmethod
            def filter_done():
                marks["filter"] = clock.mark()
                marks["mem_filter"] = engine.phase_bytes(0)
                engine.phase_start()
                marks["prefill0"] = clock.mark()

        oom = None
        out_ids = []
        first_logits = None
        try:
            with torch.inference_mode():
                self.phase_start()
                t_start = clock.mark()
                pre = METHODS[name].prefill(self, ids, params, Phases)
                t_prefill0 = marks.get("prefill0", t_start)
                t_prefill = clock.mark()
                cache = pre.cache
                mem_prefill = self.phase_bytes(self.cache_bytes(cache))
                # decoding continues at the method's next position (SnapKV's and H2O's caches are shorter than it),
                # the position counted on the device so that no step waits for the host
                pos = torch.tensor([[pre.next_position]], dtype=torch.long, device=self.device)
                decode_tokens = 0
                stop_reason = "length"
                ban = torch.tensor(banned, dtype=torch.long, device=self.device) if banned and min_new > 0 else None

                def choose(logits, step):
                    row = logits[:, -1, :].float()
                    if ban is not None and step < min_new:
                        row = row.index_fill(1, ban, float("-inf"))
                    return row.argmax(dim=-1, keepdim=True)

                def stopped(t, step):
                    if not check or step < stop_from:
                        return None
                    return "eos" if t in eos else "stop" if t in stops else None

                if req.get("returnLogits", False):
                    first_logits = pre.logits[0, -1].float().tolist()
                t_first = t_dec0 = t_end = None
                if max_new > 0:
                    tok = choose(pre.logits, 0)
                    first = int(tok.item())
                    t_first = clock.mark()
                    out_ids.append(first)
                    self.phase_start()
                    t_dec0 = clock.mark()
                    pending = []
                    stop_reason = stopped(first, 0) or "length"
                    sync = check or min_new > 0
                    if stop_reason == "length":
                        with pre.decode_hooks() if pre.decode_hooks is not None else _null():
                            for step in range(1, max_new):
                                step_out = self.model.model(input_ids=tok, past_key_values=cache, use_cache=True, position_ids=pos)
                                pos = pos + 1
                                cache = step_out.past_key_values
                                tok = choose(self.model.lm_head(step_out.last_hidden_state[:, -1:, :]), step)
                                decode_tokens += 1
                                if sync:
                                    t = int(tok.item())
                                    out_ids.append(t)
                                    why = stopped(t, step)
                                    if why is not None:
                                        stop_reason = why
                                        break
                                else:
                                    pending.append(tok)
                    t_end = clock.mark()
                    if pending:
                        out_ids += torch.cat(pending, dim=1)[0].tolist()
                else:
                    t_first = t_dec0 = t_end = clock.mark()
                if self.cuda:
                    torch.cuda.synchronize()
                mem_decode = self.phase_bytes(self.cache_bytes(cache))
        except torch.cuda.OutOfMemoryError as e:
            oom = str(e).splitlines()[0]
        if oom is not None:
            # the exception (and its frames' tensors) is gone here: drop this call's own and return the memory
            pre = cache = ids = None
            torch.cuda.empty_cache()
            raise EngineError("out_of_memory", f"torch ran out of GPU memory: {oom}", "PyTorch + transformers cannot run this length on this GPU")
        timings = {
            "filterMs": clock.ms(t_start, marks["filter"]) if "filter" in marks else 0.0,
            "prefillMs": clock.ms(t_prefill0, t_prefill),
            "decodeMs": clock.ms(t_dec0, t_end),
            "decodeTokens": decode_tokens,
            "ttftMs": clock.ms(t_start, t_first),
            "totalMs": clock.ms(t_start, t_end),
        }
        memory = None
        if self.cuda:
            zero = {"weights": 0, "kv": 0, "activations": 0, "workspace": 0, "total": 0}
            phases = {"filter": marks.get("mem_filter") or zero, "prefill": mem_prefill, "decode": mem_decode}
            memory = {"phases": phases, "peak": max(phases.values(), key=lambda m: m["total"])}
        result = {
            "outputIds": out_ids,
            "inputLength": n,
            "keptLength": pre.kept,
            "stopReason": stop_reason,
            "timings": timings,
            "memory": memory,
        }
        if req.get("returnSelection", False):
            result["selection"] = pre.selection
        if first_logits is not None:
            result["firstLogits"] = first_logits
        return result

    # ---------- turns (engines/native/PROTOCOL.md "turns": context-only, multi-request, multi-turn) ----------

    def generate_turns(self, req):
        """The context (inputIds) compressed alone by the method, then each turn's ids prefilled densely on the kept
        cache at the positions after the method's next position and answered greedily. multi-request: the cache is cut
        back to the context's rows before each turn; multi-turn: turn t also holds turns 1..t-1 and all their outputs
        (the previous turn's last output, never run through the model, goes in front of turn t's ids)."""
        torch = self.torch
        method = req.get("method", {})
        name = method.get("name")
        params = method.get("params", {})
        turns = req.get("turns")
        mode = req.get("turnMode", "multi-request")
        if not isinstance(turns, list) or len(turns) == 0:
            raise EngineError("bad_request", "turns must be a non-empty array of {\"inputIds\": [...]}", "")
        if mode not in ("multi-request", "multi-turn"):
            raise EngineError("bad_request", f"turnMode {mode!r} is unknown", "multi-request or multi-turn")
        if params.get("gqa") == "per-query-head" or params.get("evictDuringDecode", False):
            raise EngineError("unsupported", "the transformers engine implements turns only for caches of one shape per layer (not gqa per-query-head, not H2O's evictDuringDecode)",
                              "run these cells on the native runner")
        n = len(req["inputIds"])
        if n == 0 or any(not t.get("inputIds") for t in turns):
            raise EngineError("bad_input", "an empty context or turn", "")
        lengths = [len(t["inputIds"]) + int(t.get("maxNewTokens", req.get("maxNewTokens", 0))) for t in turns]
        longest = n + (sum(lengths) if mode == "multi-turn" else max(lengths))
        self.check_request({**req, "inputIds": req["inputIds"] + [t for tr in turns for t in tr["inputIds"]]}, name, params, n, 0)
        limit = self.model.config.max_position_embeddings
        if longest > limit and not req.get("allowLongInput", False):
            raise EngineError("bad_input", f"context {n} + turns reach {longest} positions, past max_position_embeddings {limit}", "set allowLongInput: true")
        model_eos = self.describe_config(self.model.config)["eosIds"]
        eos = set(int(x) for x in (req["eosIds"] if "eosIds" in req else model_eos))
        ignore = req.get("ignoreEos", False)
        stop_from = int(req.get("stopCheckFrom", 0))
        clock = self.clock
        engine = self
        marks = {}

        class Phases:
            @staticmethod
            def filter_done():
                marks["filter"] = clock.mark()
                engine.phase_start()
                marks["prefill0"] = clock.mark()

        dev = self.device
        with torch.inference_mode():
            self.phase_start()
            t_start = clock.mark()
            pre = METHODS[name].prefill(self, torch.tensor([req["inputIds"]], dtype=torch.long, device=dev), params, Phases)
            t_prefill0 = marks.get("prefill0", t_start)
            t_prefill = clock.mark()
            cache = pre.cache
            rows = cache.get_seq_length()
            pos = pre.next_position
            carry = []  # multi-turn: the previous turn's last output id
            results = []
            for turn in turns:
                max_new = int(turn.get("maxNewTokens", req.get("maxNewTokens", 0)))
                min_new = int(turn.get("minNewTokens", req.get("minNewTokens", 0)))
                stops = set(int(x) for x in turn.get("stopIds", req.get("stopIds", [])))
                banned = sorted(eos | stops)
                check = not ignore and bool(eos or stops)
                if mode == "multi-request" and cache.get_seq_length() > rows:
                    cache.crop(rows)
                    pos = pre.next_position
                feed = carry + [int(t) for t in turn["inputIds"]]
                cache_before = cache.get_seq_length() + len(carry)  # the history before this turn's ids (PROTOCOL.md)
                t0 = clock.mark()
                x = torch.tensor([feed], dtype=torch.long, device=dev)
                at = torch.arange(pos, pos + len(feed), device=dev)[None, :]
                out = self.model.model(input_ids=x, past_key_values=cache, use_cache=True, position_ids=at)
                cache = out.past_key_values
                pos += len(feed)
                logits = self.model.lm_head(out.last_hidden_state[:, -1:, :])
                t_pre = clock.mark()
                ban = torch.tensor(banned, dtype=torch.long, device=dev) if banned and min_new > 0 else None
                out_ids, stop_reason, steps = [], "length", 0
                t_first = t_end = t_pre
                for step in range(max_new):
                    row = logits[:, -1, :].float()
                    if ban is not None and step < min_new:
                        row = row.index_fill(1, ban, float("-inf"))
                    tok = row.argmax(dim=-1, keepdim=True)
                    t = int(tok.item())
                    out_ids.append(t)
                    if step == 0:
                        t_first = clock.mark()
                    if check and step >= stop_from and (t in eos or t in stops):
                        stop_reason = "eos" if t in eos else "stop"
                        break
                    if step + 1 == max_new:
                        break
                    o = self.model.model(input_ids=tok, past_key_values=cache, use_cache=True, position_ids=torch.tensor([[pos]], device=dev))
                    cache = o.past_key_values
                    pos += 1
                    steps += 1
                    logits = self.model.lm_head(o.last_hidden_state[:, -1:, :])
                t_end = clock.mark()
                carry = out_ids[-1:] if mode == "multi-turn" else []
                results.append({
                    "outputIds": out_ids,
                    "stopReason": stop_reason,
                    "inputLength": len(turn["inputIds"]),
                    "cacheLength": cache_before,
                    "keptLength": pre.kept,
                    "timings": {"filterMs": 0.0, "prefillMs": clock.ms(t0, t_pre), "decodeMs": clock.ms(t_first, t_end), "decodeTokens": steps,
                                "ttftMs": clock.ms(t0, t_first), "totalMs": clock.ms(t0, t_end)},
                    "memory": None,
                })
            if self.cuda:
                torch.cuda.synchronize()
        first = results[0]
        return {
            "outputIds": first["outputIds"],
            "inputLength": n,
            "keptLength": pre.kept,
            "stopReason": first["stopReason"],
            "timings": {
                "filterMs": clock.ms(t_start, marks["filter"]) if "filter" in marks else 0.0,
                "prefillMs": clock.ms(t_prefill0, t_prefill),
                "decodeMs": first["timings"]["decodeMs"],
                "decodeTokens": first["timings"]["decodeTokens"],
                "ttftMs": clock.ms(t_start, t_prefill) + first["timings"]["ttftMs"],
                "totalMs": clock.ms(t_start, t_end),
            },
            "memory": None,
            **({"selection": pre.selection} if req.get("returnSelection", False) else {}),
            "turns": results,
        }


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *_):
        return False


def keep_freed_heap():
    """The native runner's allocator setting (engines/native/src/memory.h keep_freed_heap), so that a CPU comparison
    measures both engines' kernels and not one's page faults: glibc serves blocks up to 32 MiB from its heap and keeps
    freed memory for the next allocation (torch's CPU tensors come from malloc). Elsewhere it does nothing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3  # <malloc.h>
    mallopt(m_mmap_threshold, 32 << 20)
    mallopt(m_trim_threshold, 1 << 30)
    mallopt(m_top_pad, 16 << 20)


def serve(device):
    keep_freed_heap()
    engine = Engine(device)
    _OUT.write(json.dumps(engine.hello()) + "\n")
    _OUT.flush()
    ops = {"load": engine.load, "describe": engine.describe, "generate": engine.generate, "unload": engine.unload}
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
                raise EngineError("bad_request", f"unknown op {op!r}", "ops: " + ", ".join(sorted(ops)) + ", shutdown")
            answer = {"id": rid, "ok": True, "result": ops[op](req)}
        except EngineError as e:
            answer = {"id": rid, "ok": False, "error": {"code": e.code, "message": e.message, "hint": e.hint}}
        except (KeyError, TypeError, ValueError) as e:
            answer = {"id": rid, "ok": False, "error": {"code": "bad_request", "message": f"{type(e).__name__}: {e}", "hint": ""}}
        _OUT.write(json.dumps(answer) + "\n")
        _OUT.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--check", action="store_true", help="print the versions and capabilities as JSON and exit")
    ap.add_argument("--capabilities", action="store_true", help="print the capabilities as JSON and exit (no torch import)")
    a = ap.parse_args()
    if a.check or a.capabilities:
        _OUT.write(json.dumps({**(versions() if a.check else {}), "capabilities": capabilities()}) + "\n")
        return
    serve(a.device)


if __name__ == "__main__":
    main()
