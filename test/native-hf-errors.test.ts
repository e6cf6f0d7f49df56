// Every broken model folder is a structured error that names the file (and tensor or key) and what was expected;
// the runner stays alive through all of them and then loads a good folder.
import test from "ava";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readSafetensors, writeSafetensors } from "./helpers/safetensors.ts";
import { openRunner } from "./helpers/native.ts";

test("broken folders → model_error / unsupported naming what is wrong", async (t) => {
  const r = await openRunner();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-broken-"));
  try {
    await r.ok({ op: "load", model: "synthetic:tiny-llama", seed: 1, overrides: { num_hidden_layers: 1 } });
    const good = path.join(tmp, "good");
    await r.ok({ op: "export", dir: good });
    const goodCfg = JSON.parse(fs.readFileSync(path.join(good, "config.json"), "utf8")) as Record<string, unknown>;
    const goodSt = path.join(good, "model.safetensors");
    const tensors = readSafetensors(goodSt);

    // Each case: a folder made from the good one with one thing broken.
    const variant = (name: string, edit: (dir: string) => void): string => {
      const dir = path.join(tmp, name);
      fs.cpSync(good, dir, { recursive: true });
      edit(dir);
      return dir;
    };
    const setCfg = (dir: string, patch: Record<string, unknown>) =>
      fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ ...goodCfg, ...patch }));
    const bytes = fs.readFileSync(goodSt);
    const cases: [string, string, string, RegExp[]][] = [
      ["truncated file", variant("truncated", (d) => fs.writeFileSync(path.join(d, "model.safetensors"), bytes.subarray(0, bytes.length - 100))), "model_error", [/model\.safetensors/, /run past the end of the data section/, /tensor '/]],
      ["header length past the file", variant("hdrlen", (d) => { const b = Buffer.from(bytes); b.writeBigUInt64LE(BigInt(bytes.length * 2), 0); fs.writeFileSync(path.join(d, "model.safetensors"), b); }), "model_error", [/header length \d+ runs past the end of the file/]],
      ["header not JSON", variant("hdrjson", (d) => { const b = Buffer.from(bytes); b.write("#", 8); fs.writeFileSync(path.join(d, "model.safetensors"), b); }), "model_error", [/header is not valid JSON/]],
      ["tiny file", variant("tiny", (d) => fs.writeFileSync(path.join(d, "model.safetensors"), Buffer.from([1, 2, 3]))), "model_error", [/3 bytes/]],
      ["byte count disagrees with shape", variant("bytes", (d) => writeSafetensors(path.join(d, "model.safetensors"), tensors, (h) => { (h["model.norm.weight"] as { shape: number[] }).shape = [63]; })), "model_error", [/model\.norm\.weight/, /expected 252/]],
      ["missing tensor", variant("missing", (d) => { const m = new Map(tensors); m.delete("model.layers.0.mlp.up_proj.weight"); writeSafetensors(path.join(d, "model.safetensors"), m); }), "model_error", [/tensor 'model\.layers\.0\.mlp\.up_proj\.weight' is missing/]],
      ["shape disagrees with config.json", variant("shape", (d) => setCfg(d, { intermediate_size: 96 })), "model_error", [/model\.layers\.0\.mlp\.(gate|up|down)_proj\.weight/, /\[128, 64\]|\[64, 128\]/, /\[96, 64\]|\[64, 96\]/]],
      ["unknown model_type", variant("gpt2", (d) => setCfg(d, { model_type: "gpt2" })), "model_error", [/unknown model_type 'gpt2'/, /config\.json/]],
      ["kv heads do not divide heads", variant("kv", (d) => setCfg(d, { num_key_value_heads: 3 })), "model_error", [/num_key_value_heads = 3 does not divide/]],
      ["missing required key", variant("nokey", (d) => { const c = { ...goodCfg }; delete c.hidden_size; fs.writeFileSync(path.join(d, "config.json"), JSON.stringify(c)); }), "model_error", [/hidden_size is missing/]],
      ["eos id outside the vocabulary", variant("eos", (d) => setCfg(d, { eos_token_id: [2, 999] })), "model_error", [/eos_token_id holds 999/]],
      ["unimplemented rope type", variant("yarn", (d) => setCfg(d, { rope_scaling: { rope_type: "yarn", factor: 4 } })), "unsupported", [/rope_type = 'yarn'/]],
      ["unimplemented activation", variant("gelu", (d) => setCfg(d, { hidden_act: "gelu" })), "unsupported", [/hidden_act/]],
      ["quantized tensor", variant("int8", (d) => { const m = new Map(tensors); const n = m.get("model.norm.weight")!; m.set("model.norm.weight", { dtype: "I8", shape: n.shape, data: Buffer.alloc(64) }); writeSafetensors(path.join(d, "model.safetensors"), m); }), "unsupported", [/model\.norm\.weight/, /dtype I8/]],
      ["config.json not JSON", variant("cfgjson", (d) => fs.writeFileSync(path.join(d, "config.json"), "{model_type: llama")), "model_error", [/config\.json: not valid JSON/]],
      ["no config.json", variant("nocfg", (d) => fs.rmSync(path.join(d, "config.json"))), "model_error", [/no config\.json/]],
      ["no weights", variant("noweights", (d) => fs.rmSync(path.join(d, "model.safetensors"))), "model_error", [/no model\.safetensors or model\.safetensors\.index\.json/]],
      ["no such folder", path.join(tmp, "nope"), "model_error", [/does not exist/]],
      ["unknown preset", "synthetic:llama-9", "model_error", [/unknown synthetic preset 'llama-9'/]],
    ];
    for (const [label, model, code, patterns] of cases) {
      const res = await r.send({ op: "load", model });
      t.false(res.ok, `${label}: should fail`);
      if (res.ok) continue;
      t.is(res.error.code, code, `${label}: ${res.error.message}`);
      for (const p of patterns) t.regex(res.error.message, p, label);
      t.true((res.error.hint ?? "").length > 0, `${label}: has a hint`);
      t.true(r.alive(), `${label}: runner alive`);
    }
    // After all that, a failed load leaves no model behind, and a good folder still loads.
    const none = await r.send({ op: "generate", inputIds: [1], method: { name: "dense" }, maxNewTokens: 1 });
    t.true(!none.ok && none.error.code === "no_model");
    t.is((await r.ok({ op: "load", model: good })).layers, 1);
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
