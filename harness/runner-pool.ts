// The scheduler's runner pool: one engine (runner process) per device, each holding at most one loaded model.
// A case borrows a runner that has its model loaded (loading it, or restarting a dead runner, first). A runner that
// crashed or timed out is marked dead by its engine and replaced on its next use, so the sweep goes on.
import pLimit from "p-limit";
import type { Engine, EngineFactory, EngineFailure, LoadedModel, ModelSpec, Outcome } from "../core/engine.ts";
import { canonicalJson } from "../core/canonical-json.ts";
import { toError } from "../core/errors.ts";

export interface Slot {
  readonly device: string;
  engine: Engine | null;
  /** canonicalJson of the loaded ModelSpec, or null. */
  loadedKey: string | null;
  loaded: LoadedModel | null;
  /** How many times this slot's runner was (re)started. */
  starts: number;
  busy: boolean;
}

const INTERRUPTED: EngineFailure = { kind: "error", code: "interrupted", message: "the run was stopped", hint: "re-run the same command to resume" };

class PoolClosed extends Error {
  constructor() {
    super("the runner pool was closed");
  }
}

export type Borrowed<T> = { ok: true; value: T } | { ok: false; failure: EngineFailure };

/** How long a `describe` (config only, no weights) may take: it reads one small file or a preset. */
export const DESCRIBE_TIMEOUT_MS = 60_000;
/** The load timeout when the engine cannot describe the model first (no parameter count to size it by). */
export const FALLBACK_LOAD_TIMEOUT_MS = 600_000;
/** A "still loading" line this often while a load is awaited. */
export const LOAD_PROGRESS_MS = 10_000;

/**
 * The load timeout derived from the model's size (run.loadTimeoutMs overrides it): 2 minutes plus 1 minute per GiB of
 * weights in the load's dtype (parameterCount × 4 bytes in f32, × 2 in bf16) — reading a folder, or generating a
 * synthetic preset's weights, at no less than about 17 MiB/s. An 8B model in bf16 (15 GiB): 17 minutes; tiny models: 2.
 */
export function loadTimeoutFor(parameterCount: number, dtype: string): number {
  const bytes = parameterCount * (dtype === "bf16" ? 2 : 4);
  return Math.round(120_000 + (60_000 * bytes) / 2 ** 30);
}

export class RunnerPool {
  readonly slots: Slot[];
  private readonly limit: ReturnType<typeof pLimit>;
  /** Structured load errors per model (a broken model is not reloaded for every case). */
  private readonly loadErrors = new Map<string, EngineFailure>();
  private closed = false;

  constructor(
    devices: readonly string[],
    private readonly factory: EngineFactory,
    /** loadTimeoutMs: null derives it from the model's size (loadTimeoutFor); progressMs: LOAD_PROGRESS_MS by default. */
    private readonly opts: { loadTimeoutMs: number | null; log: (msg: string) => void; progressMs?: number },
  ) {
    if (devices.length === 0) throw new Error("no devices for the runner pool");
    this.slots = devices.map((device) => ({ device, engine: null, loadedKey: null, loaded: null, starts: 0, busy: false }));
    this.limit = pLimit(devices.length);
  }

  get size(): number {
    return this.slots.length;
  }

  /** Start every runner now (so a missing or broken runner fails the run up front, with its message). */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.ensureEngine(s)));
  }

  /** The first started engine (its hello: build, backend, presets). */
  firstEngine(): Engine | null {
    return this.slots.find((s) => s.engine !== null)?.engine ?? null;
  }

  private async ensureEngine(slot: Slot): Promise<Engine> {
    if (slot.engine !== null && !slot.engine.dead) return slot.engine;
    if (slot.engine !== null) {
      this.opts.log(`runner on ${slot.device} died; restarting it`);
      await slot.engine.close().catch(() => undefined);
    }
    slot.engine = null;
    slot.loadedKey = null;
    slot.loaded = null;
    const engine = await this.factory(slot.device);
    if (this.closed) {
      // The pool was closed (Ctrl-C) while this runner started: stop it instead of handing it out.
      await engine.close().catch(() => undefined);
      throw new PoolClosed();
    }
    slot.engine = engine;
    slot.starts++;
    return engine;
  }

  /** Pick a free slot, preferring one that already holds `key`. */
  private pick(key: string): Slot {
    const free = this.slots.filter((s) => !s.busy);
    const slot = free.find((s) => s.loadedKey === key && s.engine !== null && !s.engine.dead) ?? free[0];
    if (slot === undefined) throw new Error("runner pool: no free runner (more tasks than runners in flight)");
    return slot;
  }

  /**
   * Run `fn` on a runner with `spec` loaded. Concurrency is capped at the number of runners. Load failures and
   * runner start failures come back as failures (the case is recorded errored), not exceptions.
   */
  withModel<T>(spec: ModelSpec, fn: (engine: Engine, model: LoadedModel, slot: Slot) => Promise<T>): Promise<Borrowed<T>> {
    return this.limit(async (): Promise<Borrowed<T>> => {
      if (this.closed) return { ok: false, failure: INTERRUPTED };
      const key = canonicalJson(spec);
      const known = this.loadErrors.get(key);
      if (known !== undefined) return { ok: false, failure: known };
      const slot = this.pick(key);
      slot.busy = true;
      try {
        let engine: Engine;
        try {
          engine = await this.ensureEngine(slot);
        } catch (e) {
          if (e instanceof PoolClosed) return { ok: false, failure: INTERRUPTED };
          return { ok: false, failure: { kind: "crashed", message: `could not start the runner on ${slot.device}: ${toError(e).message}`, hint: "check that the runner is built (npm run build:native) and runs on this machine" } };
        }
        if (slot.loadedKey !== key || slot.loaded === null) {
          slot.loadedKey = null;
          slot.loaded = null;
          const out: Outcome<LoadedModel> = await this.load(engine, slot.device, spec);
          if (!out.ok) {
            if (out.failure.kind === "error") this.loadErrors.set(key, out.failure);
            return { ok: false, failure: { ...out.failure, message: `loading ${spec.model}: ${out.failure.message}` } };
          }
          slot.loadedKey = key;
          slot.loaded = out.value;
        }
        if (this.closed) return { ok: false, failure: INTERRUPTED };
        return { ok: true, value: await fn(engine, slot.loaded, slot) };
      } finally {
        slot.busy = false;
      }
    });
  }

  /**
   * Load `spec`, with a "still loading" line every progressMs while it is awaited (a runner that says hello and then
   * never answers would otherwise leave the user with no output until the timeout), and a timeout that is the
   * config's run.loadTimeoutMs or else loadTimeoutFor the model's size, learnt from the engine's `describe`.
   */
  private async load(engine: Engine, device: string, spec: ModelSpec): Promise<Outcome<LoadedModel>> {
    const startedAt = Date.now();
    const every = this.opts.progressMs ?? LOAD_PROGRESS_MS;
    let what = "describing";
    const timer = setInterval(() => this.opts.log(`${device}: still ${what} ${spec.model} (${Math.round((Date.now() - startedAt) / 1000)} s)`), every);
    try {
      let timeoutMs = this.opts.loadTimeoutMs;
      let why = "run.loadTimeoutMs";
      if (timeoutMs === null) {
        const d = engine.describe === undefined ? null : await engine.describe(spec, { timeoutMs: DESCRIBE_TIMEOUT_MS });
        if (d !== null && !d.ok && d.failure.kind !== "error") return d; // no answer (killed) or a crash: that is the failure
        const params = d?.ok ? d.value.parameterCount : undefined;
        timeoutMs = params === undefined ? FALLBACK_LOAD_TIMEOUT_MS : loadTimeoutFor(params, spec.dtype);
        why = params === undefined ? "no parameter count to size it by" : `${(params / 1e6).toFixed(1)}M parameters in ${spec.dtype}`;
      }
      what = "loading";
      this.opts.log(`${device}: loading ${spec.model} (gives up after ${Math.round(timeoutMs / 1000)} s: ${why})`);
      return await engine.load(spec, { timeoutMs });
    } finally {
      clearInterval(timer);
    }
  }

  /** Load `spec` on one runner just to learn its facts (layers, max positions, EOS ids). */
  async modelInfo(spec: ModelSpec): Promise<Borrowed<LoadedModel>> {
    return this.withModel(spec, async (_e, model) => model);
  }

  /**
   * Stop every runner but keep the pool usable: the next case starts fresh ones. The run loop calls it before the
   * bench's speed peer takes the devices, so that no runner still holds a model (or device memory) while the peer runs.
   */
  async release(): Promise<void> {
    await Promise.all(
      this.slots.map(async (s) => {
        const e = s.engine;
        s.engine = null;
        s.loadedKey = null;
        s.loaded = null;
        if (e !== null) await e.close().catch(() => undefined);
      }),
    );
  }

  /** Stop taking work and stop every runner (graceful close; the engines kill what does not exit). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (s) => {
        const e = s.engine;
        s.engine = null;
        if (e !== null) await e.close().catch(() => undefined);
      }),
    );
  }
}
