import { now } from './stats';

/** How a fixed amount of work went under a concurrency limit and a time cap. */
export interface PoolResult {
  /** Work done (in the unit `work` returns, e.g. commands). */
  readonly ops: number;
  readonly seconds: number;
  readonly per_s: number;
  /** The time cap stopped it before all `units` were done. */
  readonly capped: boolean;
}

/**
 * Runs `work(i)` for i = 0..units-1 with at most `concurrency` at once, starting no new unit after
 * `capMs`; `work` resolves with the amount of work the unit did.
 */
export async function runPool(
  units: number,
  concurrency: number,
  capMs: number,
  work: (i: number) => Promise<number>,
): Promise<PoolResult> {
  const start = now();
  let next = 0;
  let ops = 0;
  let capped = false;
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, units)) }, async () => {
      while (next < units) {
        if (now() - start > capMs) {
          capped = true;
          return;
        }
        const i = next++;
        const done = await work(i); // not `ops += await ...`: that reads `ops` before the await and loses updates
        ops += done;
      }
    }),
  );
  const seconds = (now() - start) / 1000;
  return {
    ops,
    seconds: Math.round(seconds * 1000) / 1000,
    per_s: Math.round((ops / seconds) * 10) / 10,
    capped,
  };
}
