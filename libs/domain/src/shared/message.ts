/**
 * Message shapes in emmett's style: `type` equals the type name, `data` holds the business fields,
 * `metadata` carries time, ids and the actor (STYLE.md: the decider never reads a clock or makes ids).
 */
/** A command: `type` (imperative, equals the type name), business `data`, and `metadata` (who, when, ids). */
export type Command<Type extends string, Data extends object, Metadata extends object = CommandMetadata> = Readonly<{
  type: Type;
  data: Readonly<Data>;
  metadata: Readonly<Metadata>;
}>;

/** A domain event: `type` (past tense, equals the type name) and `data`; store metadata is added by the caller. */
export type Event<Type extends string, Data extends object> = Readonly<{ type: Type; data: Readonly<Data> }>;

/** The actor with *effective* roles: token roles + `logged_in` + the roles of their groups (TICKETS.md 3). */
export interface Actor {
  readonly shortname: string;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
}

/** Command metadata: who, when, and the ids the decider may need. */
export interface CommandMetadata {
  readonly command_id: string;
  readonly actor: Actor;
  /** ISO-8601 instant the command was issued; the decider's only clock. */
  readonly now: string;
}

/** Multilingual text (TICKETS.md section 1). */
export interface Translation {
  readonly en?: string;
  readonly ar?: string;
  readonly ku?: string;
}

/** Where a resource lives (TICKETS.md section 1); `subpath` is normalised (no leading/trailing `/`). */
export interface ResourceKey {
  readonly space_name: string;
  readonly subpath: string;
  readonly shortname: string;
}

/**
 * How a definition command treats an existing resource, as Dmart's `request_type` does for workflows (`content`
 * at subpath `workflows`), `schema` and `group` resources: `create` refuses an existing one (400), `update`
 * redefines an existing one (220 when absent).
 */
export type DefineMode = 'create' | 'update';
