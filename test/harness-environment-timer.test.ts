// A record says how its times were obtained: the runner's hello names the clock its phase timers read
// ("steady-clock" on the cpu backend, "cuda-events" on cuda), the engine keeps it, and the environment block every
// record carries (and the report's "Protocol and environment" table lists) has it as `timer`.
import { resolve } from "node:path";
import test from "ava";
import { Environment } from "../core/records.ts";
import { NativeEngine } from "../engines/native-engine.ts";
import { collectEnvironment } from "../harness/environment.ts";

const REPO = resolve(import.meta.dirname, "..");

test("the cpu runner's clock (steady-clock) reaches the record's environment.timer", async (t) => {
  const engine = await NativeEngine.start("cpu", { args: [], log: () => undefined });
  try {
    t.is(engine.info.timer, "steady-clock");
    const env = Environment.parse(collectEnvironment(engine.info, REPO));
    t.is(env.timer, "steady-clock");
    t.is(env.backend, "cpu");
  } finally {
    await engine.close();
  }
});
