// Work a request starts and does not wait for: its answer must not depend on how long the work
// takes (a password reset answers in the same time whether the address is known or not).
// Failures are logged; shutdown and tests wait for what is under way with settled().
interface Logger {
  error(object: object, message: string): void;
}

export class BackgroundWork {
  private readonly running = new Set<Promise<void>>();
  /** How many tasks were started (tests compare two requests' paths by it). */
  started = 0;

  run(name: string, task: () => Promise<unknown>, log: Logger): void {
    this.started++;
    const done: Promise<void> = task()
      .then(() => undefined)
      .catch((error: unknown) => log.error({ err: error }, `${name} failed`))
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** Resolves when every task started so far has finished. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
