// Model folders a hostile or clumsy user could hand the runner: non-finite weights, tensors the config does not use,
// offsets beyond 2^53, FIFOs and device links in place of files, shard indexes pointing outside the folder. Each is
// refused at load naming the file (and tensor); none hangs or reads without bound; the runner then loads a good folder.
import test from "ava";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readSafetensors, u16Buffer, writeSafetensors } from "./helpers/safetensors.ts";
import { openRunner } from "./helpers/native.ts";

test("hostile model files → model_error naming the file and tensor, within seconds", async (t) => {
  const r = await openRunner();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gembench-hostile-"));
  try {
    await r.ok({ op: "load", model: "synthetic:tiny-llama", seed: 1, overrides: { num_hidden_layers: 3 } });
    const good = path.join(tmp, "good");
    await r.ok({ op: "export", dir: good });
    const st = path.join(good, "model.safetensors");
    const tensors = readSafetensors(st);
    const cfg = JSON.parse(fs.readFileSync(path.join(good, "config.json"), "utf8")) as Record<string, unknown>;
    const variant = (name: string, edit: (dir: string) => void): string => {
      const dir = path.join(tmp, name);
      fs.cpSync(good, dir, { recursive: true });
      edit(dir);
      return dir;
    };
    const withTensor = (name: string, edit: (m: Map<string, ReturnType<typeof readSafetensors> extends Map<string, infer T> ? T : never>) => void) =>
      variant(name, (d) => {
        const m = new Map(tensors);
        edit(m);
        writeSafetensors(path.join(d, "model.safetensors"), m);
      });
    const f32With = (value: number) => (m: Map<string, { dtype: "F32"; shape: number[]; data: Buffer }>) => {
      const w = m.get("model.layers.1.mlp.up_proj.weight")!;
      const data = Buffer.from(w.data);
      data.writeFloatLE(value, 4 * 17);
      m.set("model.layers.1.mlp.up_proj.weight", { ...w, data });
    };
    const index = (name: string, file: string) =>
      variant(name, (d) => {
        fs.renameSync(path.join(d, "model.safetensors"), path.join(d, "shard.safetensors"));
        const weightMap = Object.fromEntries([...tensors.keys()].map((k) => [k, k === "model.norm.weight" ? file : "shard.safetensors"]));
        fs.writeFileSync(path.join(d, "model.safetensors.index.json"), JSON.stringify({ metadata: {}, weight_map: weightMap }));
      });
    const cases: [string, string, RegExp[]][] = [
      ["NaN weight", withTensor("nan", f32With(NaN) as never), [/model\.safetensors: tensor 'model\.layers\.1\.mlp\.up_proj\.weight' holds NaN at element 17/]],
      ["infinite weight", withTensor("inf", f32With(-Infinity) as never), [/tensor 'model\.layers\.1\.mlp\.up_proj\.weight' holds an infinite value at element 17/]],
      ["bf16 infinite weight", withTensor("bf16inf", (m) => { const w = m.get("model.norm.weight")!; const bits = Array.from({ length: 64 }, () => 0x3f80); bits[5] = 0x7f80; m.set("model.norm.weight", { dtype: "BF16", shape: w.shape, data: u16Buffer(bits) }); }), [/tensor 'model\.norm\.weight' holds an infinite value at element 5/]],
      ["more layers stored than configured", variant("extra", (d) => fs.writeFileSync(path.join(d, "config.json"), JSON.stringify({ ...cfg, num_hidden_layers: 2 }))), [/model\.safetensors holds 9 tensors that config\.json does not use: model\.layers\.2\./, /\(9 in all\)/]],
      ["a stray tensor", withTensor("stray", (m) => m.set("model.extra.weight", { ...m.get("model.norm.weight")! })), [/holds 1 tensor that config\.json does not use: model\.extra\.weight$/]],
      ["offset beyond 2^53", variant("big", (d) => writeSafetensors(path.join(d, "model.safetensors"), tensors, (h) => { (h["model.norm.weight"] as { data_offsets: number[] }).data_offsets = [0, 2 ** 60]; })), [/model\.safetensors: tensor 'model\.norm\.weight': data_offsets \[0,1\.152921504606847e\+18\] run past the end of the file/]],
      ["dimension beyond 2^53", variant("bigdim", (d) => writeSafetensors(path.join(d, "model.safetensors"), tensors, (h) => { (h["model.norm.weight"] as { shape: number[] }).shape = [2 ** 62, 2 ** 62]; })), [/tensor 'model\.norm\.weight': shape \[.*\] has a dimension larger than the file/]],
      ["elements overflow", variant("overflow", (d) => writeSafetensors(path.join(d, "model.safetensors"), tensors, (h) => { (h["model.norm.weight"] as { shape: number[] }).shape = [4096, 4096, 4096, 4096, 4096]; })), [/tensor 'model\.norm\.weight': shape .* holds more elements than the file has bytes/]],
      ["FIFO config.json", variant("fifocfg", (d) => { fs.rmSync(path.join(d, "config.json")); execFileSync("mkfifo", [path.join(d, "config.json")]); }), [/config\.json is a FIFO, not a regular file/]],
      ["FIFO weights", variant("fifost", (d) => { fs.rmSync(path.join(d, "model.safetensors")); execFileSync("mkfifo", [path.join(d, "model.safetensors")]); }), [/model\.safetensors is a FIFO, not a regular file/]],
      ["weights linked to /dev/zero", variant("zero", (d) => { fs.rmSync(path.join(d, "model.safetensors")); fs.symlinkSync("/dev/zero", path.join(d, "model.safetensors")); }), [/model\.safetensors is a character device, not a regular file/]],
      ["config.json linked to /dev/zero", variant("zerocfg", (d) => { fs.rmSync(path.join(d, "config.json")); fs.symlinkSync("/dev/zero", path.join(d, "config.json")); }), [/config\.json is a character device/]],
      ["config.json is a folder", variant("dircfg", (d) => { fs.rmSync(path.join(d, "config.json")); fs.mkdirSync(path.join(d, "config.json")); }), [/no config\.json|config\.json is a folder/]],
      ["index pointing above the folder", index("up", "../good/model.safetensors"), [/model\.safetensors\.index\.json: weight_map\['model\.norm\.weight'\] = '\.\.\/good\/model\.safetensors' is not a file inside the model folder/]],
      ["index with an absolute path", index("abs", st), [/weight_map\['model\.norm\.weight'\] = '\/.*' is not a file inside the model folder/]],
      ["index naming a FIFO shard", variant("fifoshard", (d) => { fs.rmSync(path.join(d, "model.safetensors")); execFileSync("mkfifo", [path.join(d, "model.safetensors")]); fs.writeFileSync(path.join(d, "model.safetensors.index.json"), JSON.stringify({ weight_map: Object.fromEntries([...tensors.keys()].map((k) => [k, "model.safetensors"])) })); }), [/model\.safetensors is a FIFO/]],
    ];
    for (const [label, model, patterns] of cases) {
      const started = Date.now();
      const res = await r.send({ op: "load", model });
      t.false(res.ok, `${label}: should fail`);
      if (res.ok) continue;
      t.is(res.error.code, "model_error", `${label}: ${res.error.message}`);
      for (const p of patterns) t.regex(res.error.message, p, label);
      t.true((res.error.hint ?? "").length > 0, `${label}: has a hint`);
      t.true(Date.now() - started < 10_000, `${label}: answered promptly`);
    }
    // A shard index inside the folder (a sub-folder is fine) still loads; so does the good folder, and it generates.
    const sub = variant("sub", (d) => {
      fs.mkdirSync(path.join(d, "w"));
      fs.renameSync(path.join(d, "model.safetensors"), path.join(d, "w", "all.safetensors"));
      fs.writeFileSync(path.join(d, "model.safetensors.index.json"), JSON.stringify({ weight_map: Object.fromEntries([...tensors.keys()].map((k) => [k, "w/all.safetensors"])) }));
    });
    t.is((await r.ok({ op: "load", model: sub })).layers, 3);
    t.is((await r.ok({ op: "load", model: good })).layers, 3);
    const g = await r.ok({ op: "generate", inputIds: [1, 5, 6], method: { name: "dense" }, maxNewTokens: 2, ignoreEos: true });
    t.is((g.outputIds as number[]).length, 2);
  } finally {
    await r.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
