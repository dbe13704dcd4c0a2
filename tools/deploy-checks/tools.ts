/**
 * The offline validators of deploy/ and k8s/, as functions over text: kustomize, the Compose loader
 * (compose-go), the Kubernetes JSON schemas (kubernetes-validate) and hadolint. `installTools()` builds or
 * installs them once into the git-ignored .local/ (install-tools.sh); everything here runs without a
 * network, a Docker engine or a cluster.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseAllDocuments, parseDocument, type Tags } from 'yaml';
import { configSchema } from '@tickets/config';

/** Repository root. */
export const ROOT = path.resolve(__dirname, '../..');

/**
 * The Kubernetes version whose OpenAPI schemas every rendered object must satisfy (strict: unknown fields
 * are errors). The oldest minor the manifests support; k8s/README.md states it.
 */
export const KUBERNETES_VERSION = '1.33.0';

const BIN = path.join(ROOT, '.local/bin');
const PYTHON_DIR = path.join(ROOT, '.local/deploy-checks/python');

/** What a tool printed and its exit status. */
export interface ToolResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

let installed = false;

/**
 * Builds/installs the tools when missing or when their pins changed (cached in .local/, ~1-3 min cold,
 * milliseconds warm). Call from `beforeAll` with a long timeout.
 * @throws Error when the install script fails (no Go toolchain, no python3/pip, registry unreachable)
 */
export function installTools(): void {
  if (installed) return;
  execFileSync('bash', [path.join(__dirname, 'install-tools.sh')], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  installed = true;
}

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: string; env?: NodeJS.ProcessEnv } = {},
): ToolResult {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    env: options.env ?? process.env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** `kustomize build DIR` (kustomize v5, pinned in install-tools.sh). */
export function kustomizeBuild(dir: string): ToolResult {
  return run(path.join(BIN, 'kustomize'), ['build', dir]);
}

/** `promtool check rules FILE...` (Prometheus' own validator of rule files, pinned in install-tools.sh). */
export function promtoolCheckRules(files: readonly string[]): ToolResult {
  return run(path.join(BIN, 'promtool'), ['check', 'rules', ...files]);
}

/**
 * Loads Compose files as `docker compose -f A -f B config` does (compose-go: merge, interpolation, Compose
 * Specification schema, consistency), seeing only the variables in `env`.
 * @returns the tool's result; on success `stdout` is the merged project as JSON
 */
export function composeConfig(
  files: readonly string[],
  env: Readonly<Record<string, string>> = {},
): ToolResult {
  const flags = Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  return run(path.join(BIN, 'compose-config'), [...flags, ...files]);
}

/** One finding of hadolint (`--format json`). */
export interface HadolintFinding {
  readonly code: string;
  readonly level: 'error' | 'warning' | 'info' | 'style';
  readonly line: number;
  readonly message: string;
}

/**
 * hadolint with its default rules and failure threshold (any finding fails).
 * @returns the exit status and the findings
 */
export function hadolint(dockerfile: string): {
  status: number;
  findings: HadolintFinding[];
  stderr: string;
} {
  const result = run(path.join(PYTHON_DIR, 'bin/hadolint'), ['--no-color', '--format', 'json', dockerfile]);
  const findings = result.stdout.trim() ? (JSON.parse(result.stdout) as HadolintFinding[]) : [];
  return { status: result.status, findings, stderr: result.stderr };
}

/** The verdict of the schema validation for one object of a YAML stream. */
export interface SchemaVerdict {
  readonly level: 'INFO' | 'WARN' | 'ERROR';
  /** e.g. `deployment/gateway passed`, or the schema error with its path. */
  readonly message: string;
}

/**
 * Validates every object of a multi-document YAML stream against the strict JSON schemas of Kubernetes
 * `KUBERNETES_VERSION` (generated from its OpenAPI; package kubernetes-validate). An object whose kind has
 * no schema is a WARN verdict, an invalid one an ERROR (the first error found in that object).
 */
export function validateKubernetes(yamlStream: string): {
  status: number;
  verdicts: SchemaVerdict[];
  output: string;
} {
  const result = run('python3', ['-m', 'kubernetes_validate', '--strict', '-k', KUBERNETES_VERSION, '-'], {
    input: yamlStream,
    env: { ...process.env, PYTHONPATH: PYTHON_DIR, PYTHONDONTWRITEBYTECODE: '1' },
  });
  const output = `${result.stdout}${result.stderr}`;
  const verdicts = output
    .split('\n')
    .map((line) => /^(INFO|WARN|ERROR) - (.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ level: m[1] as SchemaVerdict['level'], message: m[2] }));
  return { status: result.status, verdicts, output };
}

/** The objects of a multi-document YAML stream (empty documents dropped). @throws Error on a YAML error */
export function parseYamlStream(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    const value = doc.toJS() as Record<string, unknown> | null;
    return value ? [value] : [];
  });
}

/** Compose's YAML tags (`!reset`, `!override`), read as the plain values they carry. */
const COMPOSE_TAGS: Tags = [
  { tag: '!reset', resolve: () => null },
  { tag: '!reset', collection: 'map', resolve: (map) => map },
  { tag: '!reset', collection: 'seq', resolve: (seq) => seq },
  { tag: '!override', collection: 'map', resolve: (map) => map },
  { tag: '!override', collection: 'seq', resolve: (seq) => seq },
];

/**
 * Parses one Compose file as YAML (merge keys, Compose tags), without Compose semantics.
 * @throws Error on a YAML error or warning
 */
export function parseComposeFile(text: string): Record<string, unknown> {
  const doc = parseDocument(text, { merge: true, customTags: COMPOSE_TAGS });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new Error(problems.map((e) => e.message).join('\n'));
  return doc.toJS({ maxAliasCount: 1000 }) as Record<string, unknown>;
}

/** The names of all environment variables of the one config schema (libs/config/src/config.ts). */
export function configVariableNames(): ReadonlySet<string> {
  let schema: unknown = configSchema;
  // unwrap ZodEffects (superRefine, transform) down to the object schema
  while (schema && typeof schema === 'object' && !('shape' in schema) && '_def' in schema) {
    schema = (schema as { _def: { schema?: unknown } })._def.schema;
  }
  const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
  if (!shape) throw new Error('configSchema is not a (refined) zod object: cannot list its variables');
  return new Set(Object.keys(shape));
}
