/**
 * The decider (emmett's style, STYLE.md): `decide(command, state) -> events`, `evolve(state, event) -> state`,
 * `initialState()`. All three are pure: time, ids and the actor arrive in the command's metadata.
 *
 * The application layer (one generic `handleCommand`) reads a stream, folds it with `evolve` starting from
 * `initialState()`, calls `decide`, and appends the returned events with the expected revision it read.
 * `decide` returns `[]` when the command changes nothing (an idempotent no-op, nothing to append) and throws a
 * `DomainError` (shared/errors.ts) when the command is refused.
 */
export interface Decider<State, Cmd, Evt> {
  readonly decide: (command: Cmd, state: State) => Evt[];
  readonly evolve: (state: State, event: Evt) => State;
  readonly initialState: () => State;
}

/** Folds `events` with `decider.evolve` from `decider.initialState()`: the state a stream's history describes. */
export const foldEvents = <State, Evt>(
  decider: Pick<Decider<State, unknown, Evt>, 'evolve' | 'initialState'>,
  events: readonly Evt[],
): State => events.reduce<State>((state, event) => decider.evolve(state, event), decider.initialState());
