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
 * element of `appends` (`[{stream_id, expected, events}]`, `ord` 1-based), each the row `append_events` would
 * give for it alone, applied in `ord` order. Called as one statement: one transaction and one commit (group
 * commit) for all of them. It takes the counter lock first and holds it until that commit, so the gap-free,
 * commit-ordered positions argument above holds unchanged; one request's conflict answers `conflict` for it only.
 *
 * When every request names a different stream (the usual group: one command per ticket), the checks and the
 * insert are set-based: one statement classifies every request against the snapshot taken after the lock,
 * numbers the written ones' positions in `ord` order and inserts them all (per-request `append_events` calls
 * cost about a millisecond each). Otherwise each request is one `append_events` call, in order, each seeing
 * the earlier ones' inserts.
 */
function appendManyFunction(s: string): string {
  return `CREATE OR REPLACE FUNCTION ${s}.append_events_many(p_appends jsonb, p_channel text)
    RETURNS TABLE (ord bigint, outcome text, stream_revision bigint, last_position bigint)
    LANGUAGE plpgsql VOLATILE
    -- The planner's guess for jsonb_array_elements (100 rows each) makes the query look costly enough to JIT-
    -- compile, which alone takes longer than the whole group's work.
    SET jit = off
    AS $fn$
    DECLARE
      v_item jsonb;
      v_ord bigint;
      v_last bigint;
      v_head bigint;
    BEGIN
      IF (SELECT count(DISTINCT a.x->>'stream_id') < count(*) FROM jsonb_array_elements(p_appends) AS a(x)) THEN
        FOR v_item, v_ord IN SELECT a.x, a.o FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(x, o) LOOP
          RETURN QUERY SELECT v_ord, r.outcome, r.stream_revision, r.last_position
            FROM ${s}.append_events(v_item->>'stream_id', (v_item->>'expected')::bigint, v_item->'events', p_channel) r;
        END LOOP;
        RETURN;
      END IF;

      -- Serialise appenders until commit, as append_events does.
      SELECT c.last INTO v_last FROM ${s}.position_counter c WHERE c.singleton FOR UPDATE;

      RETURN QUERY
      WITH req AS (
        SELECT a.o AS ord, a.x->>'stream_id' AS stream_id, (a.x->>'expected')::bigint AS expected,
               a.x->'events' AS events, jsonb_array_length(a.x->'events')::bigint AS n
          FROM jsonb_array_elements(p_appends) WITH ORDINALITY AS a(x, o)
      ), found AS (
        -- Same idempotency rule as append_events: all ids in this stream, consecutively, where this append puts them.
        SELECT r.ord,
               (SELECT max(e.revision) FROM ${s}.events e WHERE e.stream_id = r.stream_id) AS current,
               count(e.event_id) AS found, bool_and(e.stream_id = r.stream_id) AS same_stream,
               min(e.revision - w.o) AS min_offset, max(e.revision - w.o) AS max_offset
          FROM req r
          CROSS JOIN LATERAL jsonb_array_elements(r.events) WITH ORDINALITY AS w(x, o)
          LEFT JOIN ${s}.events e ON e.event_id = (w.x->>'id')::uuid
         GROUP BY r.ord, r.stream_id
      ), classified AS (
        SELECT r.*, f.current, f.min_offset,
               CASE
                 WHEN f.found = r.n AND f.same_stream AND f.min_offset = f.max_offset
                      AND (r.expected = -2 OR (r.expected = -1 AND f.min_offset = -1) OR f.min_offset = r.expected)
                   THEN 'idempotent'
                 WHEN (r.expected = -1 AND f.current IS NOT NULL) OR (r.expected >= 0 AND f.current IS DISTINCT FROM r.expected)
                   THEN 'conflict'
                 WHEN f.found > 0 THEN 'duplicate_id'
                 ELSE 'ok'
               END AS outcome
          FROM req r JOIN found f ON f.ord = r.ord
      ), placed AS (
        SELECT c.*, v_last + (sum(CASE WHEN c.outcome = 'ok' THEN c.n ELSE 0 END) OVER (ORDER BY c.ord))::bigint AS end_position
          FROM classified c
      ), inserted AS (
        INSERT INTO ${s}.events (position, stream_id, revision, event_id, type, data, metadata, recorded_at)
          SELECT p.end_position - p.n + w.o, p.stream_id, coalesce(p.current, -1) + w.o, (w.x->>'id')::uuid,
                 w.x->>'type', w.x->'data', w.x->'metadata', clock_timestamp()
            FROM placed p CROSS JOIN LATERAL jsonb_array_elements(p.events) WITH ORDINALITY AS w(x, o)
           WHERE p.outcome = 'ok'
      ), counted AS (
        UPDATE ${s}.position_counter c SET last = (SELECT max(p.end_position) FROM placed p) WHERE c.singleton
      )
      SELECT p.ord, p.outcome,
             CASE p.outcome WHEN 'ok' THEN coalesce(p.current, -1) + p.n
                            WHEN 'idempotent' THEN p.min_offset + p.n
                            ELSE p.current END,
             CASE p.outcome WHEN 'ok' THEN p.end_position
                            WHEN 'idempotent' THEN (SELECT e.position FROM ${s}.events e
                                                     WHERE e.stream_id = p.stream_id AND e.revision = p.min_offset + p.n)
                            END
        FROM placed p ORDER BY p.ord;

      SELECT c.last INTO v_head FROM ${s}.position_counter c WHERE c.singleton;
      -- Delivered at commit, to the subscriptions' LISTEN connections.
      IF v_head > v_last THEN PERFORM pg_notify(p_channel, v_head::text); END IF;
    END
    $fn$`;
}
