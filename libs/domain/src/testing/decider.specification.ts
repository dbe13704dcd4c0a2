import type { Decider } from '../shared/decider';

/** An error class, for `thenThrows`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorConstructor<E extends Error> = abstract new (...args: any[]) => E;

/** The outcome checks of a given/when specification. */
export interface DeciderThen<Evt> {
  /** Asserts `decide` returned exactly `expected` (deep equality, order matters). */
  then(expected: readonly Evt[]): void;
  /** Asserts `decide` returned no event (an accepted no-op). */
  thenNothingHappened(): void;
  /** Asserts `decide` threw an instance of `errorType` that satisfies `predicate` (when given). */
  thenThrows<E extends Error>(errorType: ErrorConstructor<E>, predicate?: (error: E) => boolean): void;
  /** Returns what `decide` returned, for assertions the helpers above do not cover. */
  events(): Evt[];
}

/**
 * Given/when/then specifications for deciders, in emmett's style (STYLE.md):
 * `DeciderSpecification.for(decider).given(events).when(command).then(events)` or `.thenThrows(ErrorClass, e =>
 * e.code === 300)`. `given` events are folded with `evolve` from `initialState()`; `decide` runs once per check.
 * For specs only: it uses jest's global `expect`, read when a check runs (nothing is imported from jest).
 */
export const DeciderSpecification = {
  for: <State, Cmd, Evt>(decider: Decider<State, Cmd, Evt>) => ({
    given: (events: readonly Evt[]) => ({
      when: (command: Cmd): DeciderThen<Evt> => {
        const run = (): Evt[] =>
          decider.decide(
            command,
            events.reduce<State>((state, event) => decider.evolve(state, event), decider.initialState()),
          );
        return {
          then: (expected) => {
            expect(run()).toEqual(expected);
          },
          thenNothingHappened: () => {
            expect(run()).toEqual([]);
          },
          thenThrows: (errorType, predicate) => {
            let produced: Evt[] | undefined;
            try {
              produced = run();
            } catch (error) {
              expect(error).toBeInstanceOf(errorType);
              if (predicate !== undefined && !predicate(error as never)) {
                throw new Error(`the error did not satisfy the predicate: ${String(error)}`);
              }
              return;
            }
            throw new Error(`expected ${errorType.name} to be thrown, but decide returned ${JSON.stringify(produced)}`);
          },
          events: run,
        };
      },
    }),
  }),
};
