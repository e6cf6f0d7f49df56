// The Engine backed by the native gem-runner process (JSON lines over stdio, PROTOCOL.md).
// NOTE for integration: harness/runner-client.ts (another helper's) had not landed when this was written, so the
// process handling below is a minimal stand-in; swap it for runner-client's typed load/generate/inspect when it exists.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { GenerateResult, LoadedModel, type Engine, type EngineFactory, type EngineFailure, type EngineInfo, type GenerateRequest, type ModelSpec, type Outcome } from "./engine.ts";

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** GEMBENCH_RUNNER overrides the runner binary; default engines/native/build/gem-runner. */
export function runnerPath(): string {
  return process.env.GEMBENCH_RUNNER ?? join(REPO_DIR, "engines", "native", "build", "gem-runner");
}

/** Extra runner arguments from GEMBENCH_RUNNER_ARGS (whitespace-separated), e.g. "--allow-faults --threads 2". */
export function runnerArgsFromEnv(): string[] {
  return (process.env.GEMBENCH_RUNNER_ARGS ?? "").split(/\s+/).filter((s) => s !== "");
}

const Hello = z.object({
  type: z.literal("hello"),
  protocol: z.number(),
  build: z.string(),
  backend: z.string(),
  device: z.string(),
  computeCapability: z.union([z.string(), z.number()]).nullable().optional(),
  capabilities: z.object({ methods: z.array(z.string()).default([]), presets: z.array(z.string()).default([]) }).partial().default({}),
});

const Response = z.object({
  id: z.union([z.number(), z.string(), z.null()]),
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().default("") }).optional(),
});

type Pending = { resolve: (v: Outcome<unknown>) => void; timer: NodeJS.Timeout };

export class NativeEngine implements Engine {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private deadFlag = false;
  private stderrTail = "";
  private exitNote = "";

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    readonly info: EngineInfo,
    private readonly device: string,
  ) {}

  get dead(): boolean {
    return this.deadFlag;
  }

  static async start(device: string, opts: { args: string[]; log: (m: string) => void; helloTimeoutMs?: number }): Promise<NativeEngine> {
    const bin = runnerPath();
    if (!existsSync(bin)) throw new Error(`runner not found at ${bin}; build it with \`npm run build:native\``);
    const args = device === "cpu" ? ["--backend", "cpu", ...opts.args] : ["--backend", "cuda", ...opts.args];
    const env = device === "cpu" ? process.env : { ...process.env, CUDA_VISIBLE_DEVICES: device };
    const proc = spawn(bin, args, { env, stdio: ["pipe", "pipe", "pipe"] });
    const lines = createInterface({ input: proc.stdout });
    let engine: NativeEngine | null = null;
    let stderrEarly = "";
    proc.stderr.on("data", (d: Buffer) => {
      const s = d.toString("utf8");
      if (engine === null) stderrEarly = (stderrEarly + s).slice(-4000);
      else engine.stderrTail = (engine.stderrTail + s).slice(-4000);
    });
    const hello = await new Promise<z.infer<typeof Hello>>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`runner sent no hello within ${opts.helloTimeoutMs ?? 30000} ms`)), opts.helloTimeoutMs ?? 30000);
      proc.once("error", (e) => {
        clearTimeout(t);
        rej(e);
      });
      proc.once("exit", (code, sig) => {
        clearTimeout(t);
        rej(new Error(`runner exited before its hello (code ${String(code)}, signal ${String(sig)}): ${stderrEarly.trim()}`));
      });
      lines.once("line", (line) => {
        clearTimeout(t);
        try {
          res(Hello.parse(JSON.parse(line)));
        } catch (e) {
          rej(new Error(`bad runner hello: ${line.slice(0, 200)} (${(e as Error).message})`));
        }
      });
    });
    proc.removeAllListeners("exit");
    proc.removeAllListeners("error");
    const info: EngineInfo = {
      kind: "native",
      build: hello.build,
      backend: hello.backend,
      device: hello.device,
      computeCapability: hello.computeCapability === undefined || hello.computeCapability === null ? null : String(hello.computeCapability),
      methods: hello.capabilities.methods ?? [],
      presets: hello.capabilities.presets ?? [],
    };
    engine = new NativeEngine(proc, info, device);
    const e = engine;
    e.stderrTail = stderrEarly;
    lines.on("line", (line) => e.onLine(line));
    proc.on("exit", (code, sig) => e.onExit(code, sig));
    proc.on("error", () => e.onExit(null, null));
    proc.stdin.on("error", () => undefined);
    return engine;
  }

  private onLine(line: string): void {
    let r: z.infer<typeof Response>;
    try {
      r = Response.parse(JSON.parse(line));
    } catch {
      return; // not a response line; ignore
    }
    if (typeof r.id !== "number") return;
    const p = this.pending.get(r.id);
    if (p === undefined) return;
    this.pending.delete(r.id);
    clearTimeout(p.timer);
    if (r.ok) p.resolve({ ok: true, value: r.result ?? {} });
    else p.resolve({ ok: false, failure: { kind: "error", code: r.error?.code ?? "internal", message: r.error?.message ?? "runner error", hint: r.error?.hint ?? "" } });
  }

  private onExit(code: number | null, sig: NodeJS.Signals | null): void {
    this.deadFlag = true;
    const oom = sig === "SIGKILL" ? " — SIGKILL, possibly the out-of-memory killer" : "";
    this.exitNote = `runner on ${this.device} exited (code ${String(code)}, signal ${String(sig)})${oom}`;
    const tail = this.stderrTail.trim().split("\n").slice(-3).join(" | ");
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, failure: { kind: "crashed", message: `${this.exitNote}${tail ? `; stderr: ${tail}` : ""}`, hint: "the runner is restarted and the model reloaded for the next case; a crash on one input usually means a runner bug or out of memory" } });
      this.pending.delete(id);
    }
  }

  private request(op: string, body: Record<string, unknown>, timeoutMs: number): Promise<Outcome<unknown>> {
    if (this.deadFlag) return Promise.resolve({ ok: false, failure: { kind: "crashed", message: this.exitNote || "runner is not running", hint: "restarted for the next case" } });
    const id = this.nextId++;
    return new Promise((res) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.deadFlag = true;
        this.proc.kill("SIGKILL");
        res({ ok: false, failure: { kind: "timeout", message: `runner on ${this.device} gave no answer to ${op} within ${timeoutMs} ms; killed`, hint: "raise run.timeoutMs for long inputs, or look for a hang in the runner" } });
      }, timeoutMs);
      this.pending.set(id, { resolve: res, timer });
      this.proc.stdin.write(`${JSON.stringify({ id, op, ...body })}\n`);
    });
  }

  async load(spec: ModelSpec, opts: { timeoutMs: number }): Promise<Outcome<LoadedModel>> {
    const body: Record<string, unknown> = { model: spec.model, seed: spec.seed, dtype: spec.dtype, maxContext: spec.maxContext };
    if (Object.keys(spec.overrides).length > 0) body.overrides = spec.overrides;
    return this.parsed(await this.request("load", body, opts.timeoutMs), LoadedModel);
  }

  async generate(req: GenerateRequest, opts: { timeoutMs: number }): Promise<Outcome<GenerateResult>> {
    return this.parsed(await this.request("generate", { ...req, returnLogits: false }, opts.timeoutMs), GenerateResult);
  }

  async fault(kind: "crash" | "hang" | "exit", opts: { timeoutMs: number }): Promise<Outcome<unknown>> {
    return this.request("fault", { kind }, opts.timeoutMs);
  }

  private parsed<T>(out: Outcome<unknown>, schema: z.ZodType<T>): Outcome<T> {
    if (!out.ok) return out;
    const r = schema.safeParse(out.value);
    if (r.success) return { ok: true, value: r.data };
    const failure: EngineFailure = { kind: "error", code: "bad_response", message: `unexpected runner result: ${r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`, hint: "runner and harness protocol versions disagree" };
    return { ok: false, failure };
  }

  async close(): Promise<void> {
    if (this.deadFlag) return;
    const exited = new Promise<void>((res) => this.proc.once("exit", () => res()));
    try {
      this.proc.stdin.write(`${JSON.stringify({ id: this.nextId++, op: "shutdown" })}\n`);
      this.proc.stdin.end();
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(t);
  }
}

export function createNativeEngineFactory(opts: { args: string[]; log: (m: string) => void }): EngineFactory {
  return (device) => NativeEngine.start(device, opts);
}
