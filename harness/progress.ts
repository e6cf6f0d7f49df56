// Progress on stderr: a redrawn bar when stderr is a TTY, otherwise a plain line at most every `intervalMs`.

export class Progress {
  private done = 0;
  private errored = 0;
  private lastPrint = 0;
  private readonly started = Date.now();
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly opts: { tty: boolean; intervalMs?: number; write?: (s: string) => void },
  ) {}

  private write(s: string): void {
    (this.opts.write ?? ((x: string) => process.stderr.write(x)))(s);
  }

  private line(label: string): string {
    const pct = this.total === 0 ? 100 : Math.floor((100 * this.done) / this.total);
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = this.done === 0 ? "?" : `${Math.round((elapsed / this.done) * (this.total - this.done))}s`;
    const err = this.errored > 0 ? ` · ${this.errored} errored` : "";
    return `${this.done}/${this.total} (${pct}%)${err} · ${elapsed.toFixed(0)}s elapsed, eta ${eta} · ${label}`;
  }

  tick(label: string, errored: boolean): void {
    this.done++;
    if (errored) this.errored++;
    const now = Date.now();
    if (this.opts.tty) {
      const width = 24;
      const filled = this.total === 0 ? width : Math.round((width * this.done) / this.total);
      const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
      const cols = process.stderr.columns ?? 100;
      this.write(`\r\x1b[K${`${bar} ${this.line(label)}`.slice(0, Math.max(20, cols - 1))}`);
      this.drawn = true;
    } else if (now - this.lastPrint >= (this.opts.intervalMs ?? 5000) || this.done === this.total) {
      this.lastPrint = now;
      this.write(`progress ${this.line(label)}\n`);
    }
  }

  /** Finish the bar's line so later output starts on a fresh line. */
  end(): void {
    if (this.drawn) this.write("\n");
    this.drawn = false;
  }
}
