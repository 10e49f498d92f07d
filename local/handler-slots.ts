/**
 * How many API handlers the local server runs at once; the rest wait their turn, first come first
 * served. In AWS each request gets its own Lambda environment; here every handler shares one
 * process with the stores and the state machines, so a burst of a thousand requests started at
 * once would each get a thousandth of the CPU and run past the handler's 30 s budget (middy then
 * answers 500 while the work it began goes on: an action created but never acknowledged). A
 * request waiting for a slot has not started, so its budget starts when it does.
 */
export class HandlerSlots {
  readonly #limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a handler limit must be a whole number of at least 1, not ${String(limit)}`);
    this.#limit = limit;
  }

  /** Handlers running now, and requests waiting for a slot. */
  get counts(): { running: number; waiting: number } {
    return { running: this.#running, waiting: this.#waiting.length };
  }

  /** Runs `work` once a slot is free; the slot is released however `work` ends. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next request waiting, so #running stays as it is.
      if (next === undefined) this.#running -= 1;
      else next();
    }
  }
}
