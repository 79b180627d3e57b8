import { round, sleep, summarise } from '../lib';

/** An SDK's view of one flag for one user: read() is the value it would serve now; onChange() its change signal. */
export interface Observer {
  name: string;
  read(): boolean;
  /** Subscribes to the SDK's own "new configuration" event; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
}

/** Resolves with performance.now() when `observer` serves `expected`, or undefined after `timeoutMs`. */
function waitFor(observer: Observer, expected: boolean, timeoutMs: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const check = () => {
      if (observer.read() !== expected) return;
      finish(performance.now());
    };
    // The SDK's event gives the exact moment; the poll is a safety net in case an SDK changes without one.
    const unsubscribe = observer.onChange(check);
    const poll = setInterval(check, 5);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    let done = false;
    function finish(at: number | undefined) {
      if (done) return;
      done = true;
      unsubscribe();
      clearInterval(poll);
      clearTimeout(timer);
      resolve(at);
    }
    check();
  });
}

export interface PropagationRun {
  /** Flips the flag so that the observed user gets `value`; resolves when the admin API has answered. */
  change(value: boolean): Promise<unknown>;
  observers: Observer[];
  changes: number;
  /** Waits before each change: a random delay de-correlates the change from a polling SDK's next fetch. */
  delayBeforeMs: () => number;
  timeoutMs: number;
}

export interface PropagationStats {
  samples: number;
  lost: number;
  ms: ReturnType<typeof summarise> | null;
  raw: number[];
}

/**
 * Times each change from sending the admin request until each observer serves the new value; every observer must
 * see a change before the next one is made. The flag alternates off/on, so every request is a real change.
 */
export async function measurePropagation(
  run: PropagationRun,
  initial: boolean,
  progress: (line: string) => void,
): Promise<Record<string, PropagationStats>> {
  const samples = new Map<string, number[]>(run.observers.map((observer) => [observer.name, []]));
  const lost = new Map<string, number>(run.observers.map((observer) => [observer.name, 0]));
  let value = initial;
  for (let i = 0; i < run.changes; i++) {
    await sleep(run.delayBeforeMs());
    // Every observer starts from the current value (a change that was lost may still have been arriving).
    const settled = await Promise.all(run.observers.map((observer) => waitFor(observer, value, run.timeoutMs)));
    if (settled.includes(undefined)) throw new Error(`an SDK never settled on ${value} before change ${i + 1}`);
    value = !value;
    const arrivals = run.observers.map((observer) => waitFor(observer, value, run.timeoutMs));
    const sent = performance.now();
    await run.change(value);
    const seen = await Promise.all(arrivals);
    seen.forEach((at, index) => {
      const name = (run.observers[index] as Observer).name;
      if (at === undefined) lost.set(name, (lost.get(name) ?? 0) + 1);
      else samples.get(name)?.push(Math.max(0, at - sent));
    });
    if (run.changes <= 30 || (i + 1) % 25 === 0) {
      const line = seen.map((at, index) => {
        const name = (run.observers[index] as Observer).name;
        return `${name} ${at === undefined ? 'lost' : `${round(at - sent, 0)} ms`}`;
      });
      progress(`change ${i + 1}/${run.changes}: ${line.join(', ')}`);
    }
  }
  return Object.fromEntries(
    run.observers.map((observer) => {
      const raw = (samples.get(observer.name) ?? []).map((ms) => round(ms, 1));
      return [
        observer.name,
        { samples: raw.length, lost: lost.get(observer.name) ?? 0, ms: raw.length ? summarise(raw) : null, raw },
      ];
    }),
  );
}
