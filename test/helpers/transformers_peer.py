"""transformers as the independent peer of gembench's native runner (opt-in parity tests).

Reads one JSON request on stdin, prints one JSON answer on stdout. Everything runs in fp32 on the CPU with the eager
attention implementation, so the comparison is between two fp32 computations of the same weights.

Requests:
  {"op": "logits", "dir": D, "prompts": [[ids]...], "newTokens": N}
      loads the HF folder D with AutoModelForCausalLM and answers, per prompt, the last position's logits of the
      forward over the whole prompt ("lastLogits") and N greedy tokens ("greedy", EOS ignored) from a cached
      decoding loop continuing it.
  {"op": "save-random", "from": D, "to": E, "seed": S, "dtype": "bfloat16" | "float16" | "float32"}
      builds a freshly initialised model from D's config.json with transformers' own init (seeded), rescales it so
      that activations stay in a useful range, and saves it with save_pretrained (safetensors, the given dtype) to E —
      a folder written by transformers itself, for checking that the runner reads what transformers writes.
"""

import json
import sys

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM, DynamicCache


def load(path):
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    return model


def logits(req):
    model = load(req["dir"])
    out = []
    with torch.no_grad():
        for ids in req["prompts"]:
            # The prompt's forward (its last logits are "lastLogits"), then greedy decoding as a plain cached loop
            # (not generate(): for phi3, generate() special-cases the short → long RoPE switch; see
            # engines/native/README.md). Each call's RoPE frequencies follow the highest position in that call, exactly
            # what the model's forward does with a cache.
            step = model(input_ids=torch.tensor([ids]), past_key_values=DynamicCache(config=model.config), use_cache=True)
            last = step.logits[0, -1].tolist()
            greedy = []
            pos = len(ids)
            while len(greedy) < req.get("newTokens", 0):
                greedy.append(int(step.logits[0, -1].argmax()))
                if len(greedy) == req["newTokens"]:
                    break
                step = model(
                    input_ids=torch.tensor([[greedy[-1]]]),
                    position_ids=torch.tensor([[pos]]),
                    past_key_values=step.past_key_values,
                    use_cache=True,
                )
                pos += 1
            out.append({"lastLogits": last, "greedy": greedy})
    return {"transformers": transformers.__version__, "torch": torch.__version__, "results": out}


def save_random(req):
    torch.manual_seed(req["seed"])
    config = AutoConfig.from_pretrained(req["from"])
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                # transformers initialises RMSNorm weights to exactly 1; vary them so a misplaced norm shows.
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                # initializer_range 0.02 makes a tiny model's logits nearly flat; scale up for a sharper test.
                p.mul_(5.0)
    model.to(getattr(torch, req.get("dtype", "float32"))).save_pretrained(req["to"], safe_serialization=True)
    return {"dir": req["to"]}


def main():
    req = json.load(sys.stdin)
    ops = {"logits": logits, "save-random": save_random}
    if req.get("op") not in ops:
        raise SystemExit(f"unknown op {req.get('op')!r}; expected one of {sorted(ops)}")
    json.dump(ops[req["op"]](req), sys.stdout)


if __name__ == "__main__":
    main()
