import { runResponder, type RunResponderOptions } from './runner.ts';

/** A responder running inside another process (the local service's responder for its own host). */
export interface InProcessResponder {
  /** Settles when the responder has stopped; rejects when it could not start. */
  readonly stopped: Promise<void>;
  /** Stops polling, aborts running actions (they report), and waits for the loop to end. */
  stop(): Promise<void>;
}

/** Starts `runResponder` in this process with a stop switch of its own. */
export function startInProcessResponder(options: Omit<RunResponderOptions, 'signal'>): InProcessResponder {
  const controller = new AbortController();
  const stopped = runResponder({ ...options, signal: controller.signal });
  return {
    stopped,
    stop: async () => {
      controller.abort();
      await stopped.catch(() => undefined);
    },
  };
}
