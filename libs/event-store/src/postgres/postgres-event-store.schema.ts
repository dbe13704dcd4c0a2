/**
 * DDL of the PostgreSQL event store, kept apart from the adapter so the SQL can be read in one place.
 *
 * Gap-free positions (ARCHITECTURE.md "Event store", the Marten/Axon "sequence gap" bug class): every append
 * runs `append_events`, whose first statement locks the single row of `position_counter` and keeps it
 * until the transaction ends. Appenders are therefore serialised from position allocation to commit, and
 * a transaction can only take positions after the previous holder has committed (or rolled back, which
 * also rolls its counter update back). PostgreSQL marks a transaction committed in the proc array before
 * releasing its locks, so any snapshot that sees an append also sees every append with a lower position:
 * the set of visible positions is always a prefix `1..k`, and a reader that has seen position N can never
 * later find a committed position below N. A side effect: no holes at all, conflicts and rollbacks do not
 * consume positions.
 */

/** A schema name we can safely splice into SQL and into a NOTIFY channel name (63 bytes at most, suffix included). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,53}$/;

/** Encoding of the non-numeric expected revisions for `append_events` (EventStoreDB's own numbers). */
export const EXPECTED_NO_STREAM = '-1';
export const EXPECTED_ANY = '-2';

/** NOTIFY channel on which `append_events` publishes the new head position (payload: decimal text). */
export function notifyChannel(schema: string): string {
  return `${schema}_appended`;
}

/**
 * Statements of the idempotent migration, run in one transaction under an advisory lock (so that several
 * services or test workers starting together do not race on `CREATE ... IF NOT EXISTS`).
 */
export function migrationStatements(schema: string): string[] {
  const s = `"${schema}"`;
  return [
    `SELECT pg_advisory_xact_lock(hashtext('tickets.event_store.migrate'))`,
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.position_counter (
       singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT position_counter_singleton CHECK (singleton),
       last bigint NOT NULL
     )`,
    `INSERT INTO ${s}.position_counter (singleton, last) VALUES (true, 0) ON CONFLICT DO NOTHING`,
    `CREATE TABLE IF NOT EXISTS ${s}.events (
       position bigint NOT NULL CONSTRAINT events_pkey PRIMARY KEY CONSTRAINT events_position_check CHECK (position > 0),
       stream_id text NOT NULL,
       revision bigint NOT NULL CONSTRAINT events_revision_check CHECK (revision >= 0),
       event_id uuid NOT NULL CONSTRAINT events_event_id_key UNIQUE,
       type text NOT NULL,
       data jsonb NOT NULL,
       metadata jsonb NOT NULL,
       recorded_at timestamptz NOT NULL,
       CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision)
     )`,
    appendFunction(s),
    appendManyFunction(s),
  ];
}

/**
 * `append_events(stream_id, expected, events jsonb, channel)` -> one row `(outcome, stream_revision,
 * last_position)`, outcome one of:
 * - `ok`: appended; `stream_revision` = revision of the last event, `last_position` its position;
 * - `idempotent`: every id is already in the stream where this append would put it; nothing written;
 * - `conflict`: the stream is not at `expected`; `stream_revision` = its actual revision (NULL: no stream);
 * - `duplicate_id`: the stream is at `expected` but some ids are stored elsewhere (ids are globally unique).
 * `expected`: a revision >= 0, or -1 (no stream), or -2 (any). `events`: `[{id, type, data, metadata}]`.
 *
 * Everything after the lock sees a fresh snapshot (READ COMMITTED takes one per statement), so the checks see
 * every append committed before ours. The unique constraint on (stream_id, revision) stays as a backstop.
 */
function appendFunction(s: string): string {
  return `CREATE OR REPLACE FUNCTION ${s}.append_events(
      p_stream_id text, p_expected bigint, p_events jsonb, p_channel text)
    RETURNS TABLE (outcome text, stream_revision bigint, last_position bigint)
    LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      v_count bigint := jsonb_array_length(p_events);
      v_last bigint;
      v_current bigint;
      v_found bigint;
      v_same_stream boolean;
      v_min_offset bigint;
      v_max_offset bigint;
      v_first bigint;
    BEGIN
      -- Serialise appenders until commit: positions become visible in the order they are handed out.
      SELECT c.last INTO v_last FROM ${s}.position_counter c WHERE c.singleton FOR UPDATE;

      SELECT max(e.revision) INTO v_current FROM ${s}.events e WHERE e.stream_id = p_stream_id;

      -- Idempotent re-append: all ids stored in this stream, consecutively and in order, where this append
      -- would have put them (EventStoreDB's rule for appends with an expected revision).
      SELECT count(e.event_id), bool_and(e.stream_id = p_stream_id), min(e.revision - w.ord), max(e.revision - w.ord)
        INTO v_found, v_same_stream, v_min_offset, v_max_offset
        FROM jsonb_array_elements(p_events) WITH ORDINALITY AS w(x, ord)
        JOIN ${s}.events e ON e.event_id = (w.x->>'id')::uuid;
      IF v_found = v_count AND v_same_stream AND v_min_offset = v_max_offset THEN
        v_first := v_min_offset + 1;
        IF p_expected = -2 OR (p_expected = -1 AND v_first = 0) OR v_first = p_expected + 1 THEN
          RETURN QUERY SELECT 'idempotent'::text, e.revision, e.position
            FROM ${s}.events e WHERE e.stream_id = p_stream_id AND e.revision = v_first + v_count - 1;
          RETURN;
        END IF;
      END IF;

      IF (p_expected = -1 AND v_current IS NOT NULL)
         OR (p_expected >= 0 AND v_current IS DISTINCT FROM p_expected) THEN
        RETURN QUERY SELECT 'conflict'::text, v_current, NULL::bigint;
        RETURN;
      END IF;
      IF v_found > 0 THEN
        RETURN QUERY SELECT 'duplicate_id'::text, v_current, NULL::bigint;
        RETURN;
      END IF;

      INSERT INTO ${s}.events (position, stream_id, revision, event_id, type, data, metadata, recorded_at)
        SELECT v_last + w.ord, p_stream_id, coalesce(v_current, -1) + w.ord, (w.x->>'id')::uuid,
               w.x->>'type', w.x->'data', w.x->'metadata', clock_timestamp()
          FROM jsonb_array_elements(p_events) WITH ORDINALITY AS w(x, ord);
      UPDATE ${s}.position_counter c SET last = v_last + v_count WHERE c.singleton;
      -- Delivered at commit, to the subscriptions' LISTEN connections.
      PERFORM pg_notify(p_channel, (v_last + v_count)::text);
      RETURN QUERY SELECT 'ok'::text, coalesce(v_current, -1) + v_count, v_last + v_count;
    END
    $fn$`;
}

/**
 * `append_events_many(appends jsonb, channel)` -> one row `(ord, outcome, stream_revision, last_position)` per
 * element of `appends` (`[{stream_id, expected, events}]`, `ord` 1-based), each the row `append_events` gives for
 * it alone. Called as one statement: one transaction, one commit (group commit) for all of them. The counter
 * lock taken by the first `append_events` is held until that commit, so the gap-free, commit-ordered positions
 * argument above holds unchanged; each call's checks run on a fresh snapshot that includes the earlier calls'
 * inserts (VOLATILE), so one stream's conflict answers `conflict` for that element only.
 */
function appendManyFunction(s: string): string {
  return `CREATE OR REPLACE FUNCTION ${s}.append_events_many(p_appends jsonb, p_channel text)
    RETURNS TABLE (ord bigint, outcome text, stream_revision bigint, last_position bigint)
    LANGUAGE plpgsql VOLATILE AS $fn$
    DECLARE
      v_item jsonb;
      v_ord bigint;
    BEGIN
      FOR v_item, v_ord IN SELECT a.x, a.o FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(x, o) LOOP
        RETURN QUERY SELECT v_ord, r.outcome, r.stream_revision, r.last_position
          FROM ${s}.append_events(v_item->>'stream_id', (v_item->>'expected')::bigint, v_item->'events', p_channel) r;
      END LOOP;
    END
    $fn$`;
}
