// Protocol-level mistakes get structured errors and the runner keeps serving: malformed JSON (id null), non-object
// requests, unknown or missing ops, ill-typed fields, requests before a load, fault injection when not allowed,
// dtypes the cpu backend lacks, overrides on a real folder; maxContext caps the sequence length.
import test from "ava";
import { spawnSync } from "node:child_process";
import { openRunner, runnerPath } from "./helpers/native.ts";

test("protocol errors are answered, not fatal", async (t) => {
  const r = await openRunner();
  try {
    const expect = async (label: string, req: Record<string, unknown> | string, code: string, pattern?: RegExp) => {
      const reply = typeof req === "string" ? await r.sendRaw(req) : await r.send(req);
      t.false(reply.ok, `${label} should fail`);
      if (!reply.ok) {
        t.is(reply.error.code, code, `${label}: ${reply.error.message}`);
        if (pattern) t.regex(reply.error.message, pattern, label);
      }
      t.true(r.alive(), `alive after ${label}`);
      return reply;
    };
    const badJson = await expect("malformed JSON", "{\"op\": \"load\",", "bad_json");
    t.is(badJson.id, null);
    await expect("array request", "[1,2]", "bad_request", /JSON object/);
    await expect("unknown op", { op: "train" }, "bad_request", /unknown op 'train'/);
    await expect("missing op", {}, "bad_request", /no 'op'/);
    await expect("generate before load", { op: "generate", inputIds: [1], method: "dense" }, "no_model");
    await expect("inspect before load", { op: "inspect", inputIds: [1], layers: [0] }, "no_model");
    await expect("export before load", { op: "export", dir: "/tmp/x" }, "no_model");
    const fault = await expect("fault without --allow-faults", { op: "fault", kind: "crash" }, "bad_request", /fault injection is disabled/);
    t.true(!fault.ok && /--allow-faults/.test(fault.error.hint ?? ""));
    await expect("model not a string", { op: "load", model: 3 }, "bad_request", /'model'/);
    await expect("bf16 on the cpu backend", { op: "load", model: "synthetic:tiny-llama", dtype: "bf16" }, "unsupported");
    await expect("overrides on a folder", { op: "load", model: "/nonexistent", overrides: { num_hidden_layers: 1 } }, "bad_request", /synthetic models only/);

    await r.ok({ op: "load", model: "synthetic:tiny-llama", maxContext: 10 });
    await expect("ids not integers", { op: "generate", inputIds: [1, 2.5], method: "dense" }, "bad_request", /'inputIds'/);
    await expect("maxNewTokens negative", { op: "generate", inputIds: [1], method: "dense", maxNewTokens: -1 }, "bad_request", /maxNewTokens/);
    await expect("method missing", { op: "generate", inputIds: [1] }, "bad_request", /'method'/);
    await expect("past maxContext", { op: "generate", inputIds: [1, 2, 3, 4, 5, 6, 7, 8], method: "dense", maxNewTokens: 3 }, "bad_input", /maxContext 10/);
    const fits = await r.ok({ op: "generate", inputIds: [1, 2, 3, 4, 5, 6, 7], method: "dense", maxNewTokens: 3, ignoreEos: true });
    t.is((fits.outputIds as number[]).length, 3, "exactly maxContext is fine; a method may be given by name");
    const long = await r.ok({ op: "generate", inputIds: [1, 2, 3, 4, 5, 6, 7, 8], method: "dense", maxNewTokens: 3, allowLongInput: true });
    t.is(long.inputLength, 8, "allowLongInput lifts the cap");
    t.deepEqual(await r.ok({ op: "unload" }), {});
    await expect("generate after unload", { op: "generate", inputIds: [1], method: "dense" }, "no_model");
  } finally {
    await r.close();
  }
});

test("command line: a backend that is not built in, bad --threads, --version", (t) => {
  const cuda = spawnSync(runnerPath, ["--backend", "cuda"], { input: "", encoding: "utf8" });
  t.is(cuda.status, 2);
  t.is(cuda.stdout, "", "no hello");
  // Built without nvcc: not built in; built with it (CI has nvcc) but no GPU/driver here: no usable GPU.
  t.regex(cuda.stderr, /backend 'cuda' is not built into this runner|the CUDA backend found no usable GPU \(.+\); run on a machine with an NVIDIA GPU/);
  const threads = spawnSync(runnerPath, ["--threads", "zero"], { input: "", encoding: "utf8" });
  t.is(threads.status, 2);
  t.regex(threads.stderr, /--threads expects a positive integer/);
  const version = spawnSync(runnerPath, ["--version"], { encoding: "utf8" });
  t.is(version.status, 0);
  t.regex(version.stdout, /^gem-runner \S+ \(protocol 1\)/);
});
