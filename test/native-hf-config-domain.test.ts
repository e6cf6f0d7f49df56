// Config values outside their domain (a rope factor ≤ 0, an epsilon of 0, a non-finite theta, absurd sizes) are
// refused at load naming the key — they used to load and "complete" cases whose output was NaN → token 0. Synthetic
// overrides with a key the runner does not read are refused too (a typo used to run the unshrunk preset).
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { openRunner } from "./helpers/native.ts";

test("config values outside their domain → model_error naming the key; bad override keys → bad_request", async (t) => {
  const r = await openRunner();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-domain-"));
  try {
    await r.ok({ op: "load", model: "synthetic:tiny-llama", seed: 1, overrides: { num_hidden_layers: 1 } });
    const good = path.join(tmp, "good");
    await r.ok({ op: "export", dir: good });
    const goodCfg = fs.readFileSync(path.join(good, "config.json"), "utf8");
    const variant = (name: string, patch: Record<string, unknown>, raw?: (text: string) => string): string => {
      const dir = path.join(tmp, name);
      fs.cpSync(good, dir, { recursive: true });
      const text = JSON.stringify({ ...(JSON.parse(goodCfg) as Record<string, unknown>), ...patch });
      fs.writeFileSync(path.join(dir, "config.json"), raw === undefined ? text : raw(text));
      return dir;
    };
    const cases: [string, string, RegExp][] = [
      ["linear rope factor 0", variant("lin0", { rope_scaling: { rope_type: "linear", factor: 0 } }), /rope_scaling: factor = 0 must be a finite number > 0/],
      ["linear rope factor < 0", variant("linneg", { rope_scaling: { type: "linear", factor: -2 } }), /factor = -2 must be a finite number > 0/],
      ["llama3 factor 0", variant("l3", { rope_scaling: { rope_type: "llama3", factor: 0, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 256 } }), /factor/],
      ["rms_norm_eps 0", variant("eps0", { rms_norm_eps: 0 }), /rms_norm_eps = 0 must be a finite number > 0/],
      ["rms_norm_eps < 0", variant("epsneg", { rms_norm_eps: -1e-5 }), /rms_norm_eps = -1e-05 must be a finite number > 0/],
      ["rope_theta 1", variant("theta1", { rope_theta: 1 }), /rope_theta = 1\.0+ must be a finite number > 1/],
      ["rope_theta beyond a double", variant("thetainf", {}, (s) => s.replace(/"rope_theta":[^,}]+/, '"rope_theta":1e999')), /number out of range/],
      ["huge sizes", variant("huge", { vocab_size: 2_000_000_000, hidden_size: 2_000_000_000 }), /parameters, far beyond any real model/],
      ["size beyond int32", variant("int32", { intermediate_size: 2 ** 40 }), /intermediate_size = .* is out of range/],
      ["eos id beyond int32", variant("eosbig", { eos_token_id: 2 ** 40 }), /eos_token_id must be a token id/],
      ["heads = 0", variant("heads0", { num_attention_heads: 0 }), /num_attention_heads = 0 is out of range/],
      ["phi3 partial rotary NaN-free check", variant("phi3", { model_type: "phi3", partial_rotary_factor: 0.5 }), /partial_rotary_factor/],
    ];
    for (const [label, model, pattern] of cases) {
      const res = await r.send({ op: "load", model });
      t.false(res.ok, `${label}: should fail`);
      if (res.ok) continue;
      t.true(res.error.code === "model_error" || res.error.code === "unsupported", `${label}: ${res.error.code}: ${res.error.message}`);
      t.regex(res.error.message, pattern, label);
      t.regex(res.error.message, /config\.json/, `${label}: names the file`);
    }
    // Synthetic overrides: the same domains, and no unknown keys.
    const synth: [string, Record<string, unknown>, string, RegExp][] = [
      ["override typo", { num_hidden_layer: 1 }, "bad_request", /unknown config\.json key 'num_hidden_layer' for synthetic:tiny-llama/],
      ["override rope factor 0", { rope_scaling: { rope_type: "linear", factor: 0 } }, "model_error", /factor = 0 must be a finite number > 0/],
      ["override eps negative", { rms_norm_eps: -1 }, "model_error", /rms_norm_eps/],
    ];
    for (const [label, overrides, code, pattern] of synth) {
      const res = await r.send({ op: "load", model: "synthetic:tiny-llama", overrides });
      t.false(res.ok, `${label}: should fail`);
      if (res.ok) continue;
      t.is(res.error.code, code, `${label}: ${res.error.message}`);
      t.regex(res.error.message, pattern, label);
    }
    // Keys of the preset itself (even ones the parser ignores) and keys the parser reads stay overridable.
    await r.ok({ op: "load", model: "synthetic:tiny-phi3", overrides: { pad_token_id: 3, num_hidden_layers: 1 } });
    await r.ok({ op: "load", model: "synthetic:tiny-llama", overrides: { head_dim: 8, num_hidden_layers: 1 } });
    // Nothing else changed: the runner is alive and the good folder still loads and generates.
    t.true(r.alive());
    await r.ok({ op: "load", model: good });
    const g = await r.ok({ op: "generate", inputIds: [1, 5, 6], method: { name: "dense" }, maxNewTokens: 2, ignoreEos: true });
    t.is((g.outputIds as number[]).length, 2);
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
