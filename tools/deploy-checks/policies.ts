/**
 * The rules deploy/ and k8s/ follow beyond what the schemas check (issue "Deployment: containers, compose and
 * Kubernetes"), as pure functions that return one message per violation (empty = compliant). The specs
 * apply them to the real files, and to broken copies to show that each rule can fail.
 */

// ---------------------------------------------------------------------------------------------------------
// Shared
// ---------------------------------------------------------------------------------------------------------

/** The three services: build target / Deployment name, and the variable holding their HTTP port. */
export const SERVICES = [
  { name: 'gateway', portVariable: 'GATEWAY_PORT' },
  { name: 'ticket-service', portVariable: 'TICKET_SERVICE_PORT' },
  { name: 'projection-service', portVariable: 'PROJECTION_SERVICE_PORT' },
] as const;

/** Measured: each service idles at ~120-180 MB RSS; requests and limits of every service container. */
export const SERVICE_RESOURCES = {
  requests: { cpu: '250m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
} as const;

/** Annotation on the ticket-service Deployment: partitions of the environment's commands topic. */
export const PARTITIONS_ANNOTATION = 'tickets.platform/commands-topic-partitions';

// Manifests are untyped JSON; these accessors keep the rules readable.
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function environmentEntries(environment: unknown): [string, unknown][] {
  if (Array.isArray(environment)) {
    return environment.map((item) => {
      const text = String(item);
      const eq = text.indexOf('=');
      return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
    });
  }
  return environment && typeof environment === 'object' ? Object.entries(environment) : [];
}

// ---------------------------------------------------------------------------------------------------------
// Compose
// ---------------------------------------------------------------------------------------------------------

/**
 * Variables a Compose file interpolates (`${NAME}`, `${NAME:-default}`, `${NAME:?error}`, `$NAME`, also
 * nested in defaults), in keys and values; `$$` is Compose's escaped dollar and interpolates nothing.
 */
export function interpolatedVariables(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const text = value.replace(/\$\$/g, '');
    for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) found.add(m[1]);
    for (const m of text.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) found.add(m[1]);
  } else if (Array.isArray(value)) {
    for (const item of value) interpolatedVariables(item, found);
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      interpolatedVariables(key, found);
      interpolatedVariables(item, found);
    }
  }
  return found;
}

/**
 * A Compose file interpolates only variables of the config schema, and gives the three services only
 * variables of the config schema (docs/configuration.md: same names everywhere).
 */
export function checkComposeVariables(compose: Json, known: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const name of interpolatedVariables(compose)) {
    if (!known.has(name)) problems.push(`interpolates \${${name}}, which the config schema does not know`);
  }
  for (const { name } of SERVICES) {
    const service = compose.services?.[name];
    if (!service) continue;
    for (const [key] of environmentEntries(service.environment)) {
      if (!known.has(key))
        problems.push(`service ${name}: environment variable ${key} is not in the config schema`);
    }
    if (service.env_file)
      problems.push(
        `service ${name}: env_file hides its variables from this check; list them in environment`,
      );
  }
  return problems;
}

/**
 * Start order by health: every `depends_on` names a condition, and a service waited on as healthy has a
 * health check (its own, or its image's: the three services' images define one).
 */
export function checkComposeStartOrder(compose: Json): string[] {
  const problems: string[] = [];
  const services: Json = compose.services ?? {};
  for (const [name, service] of Object.entries<Json>(services)) {
    const dependsOn = service.depends_on;
    if (!dependsOn) continue;
    if (Array.isArray(dependsOn)) {
      problems.push(`service ${name}: depends_on without conditions (start order not health-based)`);
      continue;
    }
    for (const [target, spec] of Object.entries<Json>(dependsOn)) {
      const condition = spec?.condition;
      if (condition !== 'service_healthy' && condition !== 'service_completed_successfully') {
        problems.push(`service ${name}: depends_on ${target} has condition ${condition ?? '(none)'}`);
      }
      const other = services[target];
      const builtService = SERVICES.some((s) => s.name === target);
      if (condition === 'service_healthy' && other && !other.healthcheck && !builtService) {
        problems.push(`service ${name}: waits for ${target} to be healthy, but ${target} has no healthcheck`);
      }
    }
  }
  return problems;
}

/** Images named with an explicit tag or digest, never `latest`. */
export function checkComposeImages(compose: Json): string[] {
  const problems: string[] = [];
  for (const [name, service] of Object.entries<Json>(compose.services ?? {})) {
    if (service.image === undefined) continue;
    problems.push(...checkImageReference(`service ${name}`, String(service.image)));
  }
  return problems;
}

function checkImageReference(where: string, image: string): string[] {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return [];
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  if (!lastSegment.includes(':')) return [`${where}: image ${image} has no tag`];
  if (lastSegment.endsWith(':latest')) return [`${where}: image ${image} uses the tag latest`];
  return [];
}

/** Topics the one-shot `kafka-topics` service creates: lines `create <topic> <partitions>` of its command. */
export function topicsCreatedByCompose(compose: Json): Map<string, number> {
  const command = compose.services?.['kafka-topics']?.command;
  const script = Array.isArray(command) ? command.join('\n') : String(command ?? '');
  const topics = new Map<string, number>();
  for (const m of script.matchAll(/^\s*create\s+(\S+)\s+(\d+)\s*$/gm)) topics.set(m[1], Number(m[2]));
  return topics;
}

// ---------------------------------------------------------------------------------------------------------
// Kubernetes (rendered objects)
// ---------------------------------------------------------------------------------------------------------

function byKind(objects: readonly Json[], kind: string): Json[] {
  return objects.filter((o) => o.kind === kind);
}

/** Whether a label selector (`matchLabels` + `matchExpressions`) selects `labels`. */
export function selects(selector: Json | undefined, labels: Record<string, string> = {}): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries<string>(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, e.key);
    const ok =
      e.operator === 'In'
        ? has && e.values.includes(labels[e.key])
        : e.operator === 'NotIn'
          ? !has || !e.values.includes(labels[e.key])
          : e.operator === 'Exists'
            ? has
            : e.operator === 'DoesNotExist'
              ? !has
              : false;
    if (!ok) return false;
  }
  return true;
}

function containerPort(container: Json, port: unknown): number | undefined {
  return container.ports?.find((p: Json) => p.name === port || p.containerPort === port)?.containerPort;
}

/**
 * Every Deployment: readiness and startup probes `GET /health`, liveness `GET /health/live`, on a port the container exposes;
 * the measured resource requests/limits; non-root, no privilege escalation, read-only root file system, no
 * capabilities; a tagged image; a PodDisruptionBudget selecting its pods; a grace period for SIGTERM.
 */
export function checkDeployments(objects: readonly Json[]): string[] {
  const problems: string[] = [];
  const pdbs = byKind(objects, 'PodDisruptionBudget');
  for (const deployment of byKind(objects, 'Deployment')) {
    const name = deployment.metadata.name;
    const pod = deployment.spec?.template?.spec ?? {};
    const podLabels = deployment.spec?.template?.metadata?.labels ?? {};
    if (!selects(deployment.spec?.selector, podLabels))
      problems.push(`${name}: selector does not select its pod template`);
    if (!pdbs.some((pdb) => selects(pdb.spec?.selector, podLabels)))
      problems.push(`${name}: no PodDisruptionBudget selects its pods`);
    if (pod.securityContext?.runAsNonRoot !== true)
      problems.push(`${name}: pod securityContext.runAsNonRoot is not true`);
    if (!(pod.securityContext?.runAsUser > 0))
      problems.push(`${name}: pod securityContext.runAsUser is not a non-root uid`);
    if (!(pod.terminationGracePeriodSeconds >= 30))
      problems.push(`${name}: terminationGracePeriodSeconds below 30`);
    for (const container of pod.containers ?? []) {
      const where = `${name}/${container.name}`;
      // Readiness follows the dependencies (/health); liveness only the process (/health/live), so an outage
      // of Kafka, the event store or MongoDB takes pods out of the Service without restarting them.
      const PROBE_PATHS: Record<string, string> = { readinessProbe: '/health', startupProbe: '/health', livenessProbe: '/health/live' };
      for (const [probeName, path] of Object.entries(PROBE_PATHS)) {
        const probe = container[probeName];
        if (!probe) {
          problems.push(`${where}: no ${probeName}`);
        } else if (probe.httpGet?.path !== path) {
          problems.push(`${where}: ${probeName} does not GET ${path}`);
        } else if (containerPort(container, probe.httpGet.port) === undefined) {
          problems.push(`${where}: ${probeName} port ${probe.httpGet.port} is not a port of the container`);
        }
      }
      for (const bound of ['requests', 'limits'] as const) {
        for (const [resource, expected] of Object.entries(SERVICE_RESOURCES[bound])) {
          const actual = container.resources?.[bound]?.[resource];
          if (String(actual) !== expected)
            problems.push(`${where}: resources.${bound}.${resource} is ${actual}, expected ${expected}`);
        }
      }
      const security = container.securityContext ?? {};
      if (security.allowPrivilegeEscalation !== false)
        problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (security.readOnlyRootFilesystem !== true)
        problems.push(`${where}: readOnlyRootFilesystem is not true`);
      if (!security.capabilities?.drop?.includes('ALL'))
        problems.push(`${where}: capabilities do not drop ALL`);
      problems.push(...checkImageReference(where, String(container.image)));
    }
  }
  return problems;
}

/**
 * ticket-service replicas share one consumer group on the commands topic; Kafka gives each partition to one
 * member, so replicas (and an autoscaler's maximum) must not exceed the partitions stated on the Deployment.
 */
export function checkTicketServiceScaling(objects: readonly Json[]): string[] {
  const deployment = byKind(objects, 'Deployment').find((d) => d.metadata.name === 'ticket-service');
  if (!deployment) return ['no ticket-service Deployment'];
  const partitions = Number(deployment.metadata.annotations?.[PARTITIONS_ANNOTATION]);
  if (!Number.isInteger(partitions) || partitions < 1)
    return [`ticket-service: annotation ${PARTITIONS_ANNOTATION} missing or not a count`];
  const problems: string[] = [];
  const replicas = deployment.spec?.replicas ?? 1;
  if (replicas > partitions)
    problems.push(`ticket-service: ${replicas} replicas for ${partitions} partitions of the commands topic`);
  for (const hpa of byKind(objects, 'HorizontalPodAutoscaler')) {
    if (hpa.spec?.scaleTargetRef?.name === 'ticket-service' && hpa.spec.maxReplicas > partitions) {
      problems.push(
        `ticket-service: autoscaler ${hpa.metadata.name} may reach ${hpa.spec.maxReplicas} replicas for ${partitions} partitions`,
      );
    }
  }
  return problems;
}

/** The gateway scales with a HorizontalPodAutoscaler and leaves `replicas` to it. */
export function checkGatewayAutoscaling(objects: readonly Json[]): string[] {
  const hpa = byKind(objects, 'HorizontalPodAutoscaler').find(
    (h) => h.spec?.scaleTargetRef?.kind === 'Deployment' && h.spec.scaleTargetRef.name === 'gateway',
  );
  if (!hpa) return ['no HorizontalPodAutoscaler targets the gateway Deployment'];
  const problems: string[] = [];
  if (!(hpa.spec.minReplicas >= 1 && hpa.spec.maxReplicas >= hpa.spec.minReplicas))
    problems.push('gateway autoscaler: bad min/max replicas');
  const gateway = byKind(objects, 'Deployment').find((d) => d.metadata.name === 'gateway');
  if (gateway?.spec?.replicas !== undefined)
    problems.push('gateway: spec.replicas is set, so every apply fights the autoscaler');
  return problems;
}

/** An ingress rule admitting traffic from anywhere: no `from`, an ipBlock, or every namespace. */
function admitsOutsideTraffic(rule: Json): boolean {
  const from: Json[] | undefined = rule.from;
  if (!from || from.length === 0) return true;
  return from.some(
    (peer) =>
      peer.ipBlock ||
      (peer.namespaceSelector && Object.keys(peer.namespaceSelector).length === 0 && !peer.podSelector),
  );
}

/**
 * Deployments whose pods take traffic from outside (anywhere beyond selected namespaces/pods): pods no
 * ingress NetworkPolicy isolates, or that a rule admitting outside traffic selects.
 */
export function deploymentsOpenToOutside(objects: readonly Json[]): string[] {
  const policies = byKind(objects, 'NetworkPolicy').filter((p) => {
    const types: string[] | undefined = p.spec?.policyTypes;
    return types ? types.includes('Ingress') : true;
  });
  return byKind(objects, 'Deployment')
    .filter((deployment) => {
      const labels = deployment.spec?.template?.metadata?.labels ?? {};
      const selecting = policies.filter((p) => selects(p.spec?.podSelector, labels));
      if (selecting.length === 0) return true;
      return selecting.some((p) => (p.spec.ingress ?? []).some(admitsOutsideTraffic));
    })
    .map((d) => d.metadata.name as string)
    .sort();
}

/** Only the gateway takes outside traffic (issue item 3). */
export function checkNetworkPolicies(objects: readonly Json[]): string[] {
  const open = deploymentsOpenToOutside(objects);
  return open.length === 1 && open[0] === 'gateway'
    ? []
    : [`open to outside traffic: [${open.join(', ')}], expected [gateway]`];
}

/** Every variable in ConfigMaps, Secrets and container `env` is a variable of the config schema. */
export function checkKubernetesVariables(objects: readonly Json[], known: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    if (o.kind === 'ConfigMap' || o.kind === 'Secret') {
      for (const key of [...Object.keys(o.data ?? {}), ...Object.keys(o.stringData ?? {})]) {
        if (!known.has(key))
          problems.push(`${o.kind} ${o.metadata.name}: ${key} is not in the config schema`);
      }
    }
    if (o.kind === 'Deployment') {
      for (const container of o.spec?.template?.spec?.containers ?? []) {
        for (const variable of container.env ?? []) {
          if (!known.has(variable.name))
            problems.push(
              `${o.metadata.name}/${container.name}: env ${variable.name} is not in the config schema`,
            );
        }
      }
    }
  }
  return problems;
}

/**
 * The environment a Deployment's first container gets from its `envFrom` ConfigMaps/Secrets and `env`
 * values (Secret data base64-decoded). `external` supplies Secrets that live outside the rendered objects.
 * @throws Error when it references a ConfigMap or Secret that is neither rendered nor external
 */
export function environmentOf(
  objects: readonly Json[],
  deploymentName: string,
  external: Readonly<Record<string, Record<string, string>>> = {},
): Record<string, string> {
  const deployment = byKind(objects, 'Deployment').find((d) => d.metadata.name === deploymentName);
  if (!deployment) throw new Error(`no Deployment ${deploymentName}`);
  const container = deployment.spec.template.spec.containers[0];
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const object = objects.find((o) => o.kind === kind && o.metadata.name === ref.name);
    if (object) {
      Object.assign(env, object.data ?? {});
      if (kind === 'Secret') {
        for (const [k, v] of Object.entries<string>(object.data ?? {}))
          env[k] = Buffer.from(v, 'base64').toString('utf8');
        Object.assign(env, object.stringData ?? {});
      }
    } else if (external[ref.name]) {
      Object.assign(env, external[ref.name]);
    } else if (!ref.optional) {
      throw new Error(`${deploymentName}: ${kind} ${ref.name} is neither rendered nor supplied`);
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = String(variable.value);
  }
  return env;
}

/** Each service's container port (and so its probes and Service) is the port its config variable sets. */
export function checkServicePorts(
  objects: readonly Json[],
  external: Readonly<Record<string, Record<string, string>>> = {},
): string[] {
  const problems: string[] = [];
  for (const { name, portVariable } of SERVICES) {
    const deployment = byKind(objects, 'Deployment').find((d) => d.metadata.name === name);
    if (!deployment) {
      problems.push(`no Deployment ${name}`);
      continue;
    }
    const configured = Number(environmentOf(objects, name, external)[portVariable]);
    const ports: number[] = (deployment.spec.template.spec.containers[0].ports ?? []).map(
      (p: Json) => p.containerPort,
    );
    if (!ports.includes(configured))
      problems.push(`${name}: ${portVariable}=${configured} but the container exposes [${ports.join(', ')}]`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------------------

/** One instruction of a Dockerfile (continuation lines joined). */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** One build stage: its `FROM` image (or stage), its name, its instructions after FROM. */
export interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** A Dockerfile as global ARG defaults (before the first FROM) and stages. */
export interface Dockerfile {
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: Stage[];
}

/** Parses the instructions of a Dockerfile (comments, continuation lines; no heredocs). */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (!pending && (/^\s*#/.test(line) || !line.trim())) return;
    if (pending && /^\s*#/.test(line)) return; // comment lines inside a continuation are dropped
    if (!pending) start = index + 1;
    if (/\\\s*$/.test(line)) {
      pending += line.replace(/\\\s*$/, ' ');
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^(\S+)\s*(.*)$/s.exec(full);
    if (m) instructions.push({ keyword: m[1].toUpperCase(), args: m[2].trim(), line: start });
  });
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const parts = instruction.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      const asIndex = parts.findIndex((p) => p.toUpperCase() === 'AS');
      stages.push({ from: parts[0], name: asIndex >= 0 ? parts[asIndex + 1] : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (instruction.keyword === 'ARG') {
        const [name, value = ''] = instruction.args.split('=');
        globalArgs.set(name.trim(), value.trim());
      }
    } else {
      stages[stages.length - 1].instructions.push(instruction);
    }
  }
  return { globalArgs, stages };
}

/** A stage's instructions including those of the stages it is built `FROM`, oldest first. */
function inheritedInstructions(dockerfile: Dockerfile, stage: Stage): Instruction[] {
  const parent = dockerfile.stages.find((s) => s.name === stage.from);
  return parent && parent !== stage
    ? [...inheritedInstructions(dockerfile, parent), ...stage.instructions]
    : stage.instructions;
}

function last(instructions: readonly Instruction[], keyword: string): Instruction | undefined {
  return [...instructions].reverse().find((i) => i.keyword === keyword);
}

function execForm(args: string): string[] | undefined {
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function resolveArgs(image: string, args: ReadonlyMap<string, string>): string {
  return image.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, name: string) => args.get(name) ?? '');
}

/**
 * The service images (issue item 1): multi-stage; every external base image is Node.js LTS (even major)
 * on Debian slim; per service a target whose user is not root, with a HEALTHCHECK, STOPSIGNAL SIGTERM, an
 * exec-form `CMD ["node", …, "dist/apps/<service>/src/main.js"]` (node is PID 1 and gets the signal), an
 * EXPOSEd port equal to the port variable's ENV, and production dependencies from a `deps-<service>` stage
 * that runs `npm ci --omit=dev`.
 */
export function checkDockerfile(dockerfile: Dockerfile): string[] {
  const problems: string[] = [];
  const names = new Set(dockerfile.stages.map((s) => s.name).filter(Boolean));
  if (dockerfile.stages.length < 2) problems.push('not a multi-stage build');
  for (const stage of dockerfile.stages) {
    if (names.has(stage.from)) continue;
    const image = resolveArgs(stage.from, dockerfile.globalArgs);
    const m = /^node:(\d+)(?:\.\d+){0,2}-[a-z]+-slim(?:@sha256:[0-9a-f]{64})?$/.exec(image);
    if (!m)
      problems.push(
        `stage ${stage.name ?? '?'}: base image ${image || stage.from} is not node:<LTS>-<debian>-slim`,
      );
    else if (Number(m[1]) % 2 !== 0 || Number(m[1]) < 20)
      problems.push(`stage ${stage.name ?? '?'}: node ${m[1]} is not an LTS line`);
  }
  for (const { name, portVariable } of SERVICES) {
    const stage = dockerfile.stages.find((s) => s.name === name);
    if (!stage) {
      problems.push(`no build target ${name}`);
      continue;
    }
    const all = inheritedInstructions(dockerfile, stage);
    const user = last(all, 'USER')?.args.split(':')[0];
    if (!user || user === 'root' || user === '0')
      problems.push(`${name}: runs as ${user ?? 'root (no USER)'}`);
    const healthcheck = last(all, 'HEALTHCHECK');
    if (!healthcheck || /^NONE$/i.test(healthcheck.args)) problems.push(`${name}: no HEALTHCHECK`);
    const stopSignal = last(all, 'STOPSIGNAL')?.args;
    if (stopSignal !== 'SIGTERM')
      problems.push(`${name}: STOPSIGNAL is ${stopSignal ?? 'unset'}, expected SIGTERM`);
    if (last(all, 'ENTRYPOINT')) problems.push(`${name}: has an ENTRYPOINT (the CMD alone must start node)`);
    const cmd = last(all, 'CMD');
    const argv = cmd ? execForm(cmd.args) : undefined;
    if (!argv) problems.push(`${name}: CMD is not in exec form (a shell would be PID 1 and swallow SIGTERM)`);
    else if (argv[0] !== 'node' || !argv.includes(`dist/apps/${name}/src/main.js`))
      problems.push(`${name}: CMD does not run node on dist/apps/${name}/src/main.js`);
    const env = all
      .filter((i) => i.keyword === 'ENV')
      .map((i) => i.args)
      .join(' ');
    const port = new RegExp(`\\b${portVariable}=(\\d+)`).exec(env)?.[1];
    const exposed = all
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/).map((p) => p.split('/')[0]));
    if (!port) problems.push(`${name}: no ENV ${portVariable}`);
    else if (!exposed.includes(port)) problems.push(`${name}: ${portVariable}=${port} is not EXPOSEd`);
    const modules = stage.instructions.find(
      (i) => i.keyword === 'COPY' && /\/node_modules\/?\s+node_modules\/?$/.test(i.args),
    );
    const source = modules && /--from=(\S+)/.exec(modules.args)?.[1];
    const deps = dockerfile.stages.find((s) => s.name === source);
    if (
      !modules ||
      source !== `deps-${name}` ||
      !deps?.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))
    ) {
      problems.push(`${name}: node_modules do not come from a deps-${name} stage running npm ci --omit=dev`);
    }
  }
  return problems;
}

/** Sources a Dockerfile COPYs/ADDs from the build context (not `--from` another stage). */
export function contextSources(dockerfile: Dockerfile): string[] {
  return dockerfile.stages.flatMap((stage) =>
    stage.instructions
      .filter((i) => (i.keyword === 'COPY' || i.keyword === 'ADD') && !/--from=/.test(i.args))
      .flatMap((i) => {
        const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
        return words.slice(0, -1);
      }),
  );
}

function dockerignoreRegex(pattern: string): RegExp {
  const glob = pattern.replace(/^\/+|\/+$/g, '');
  let body = '';
  for (let i = 0; i < glob.length; i++) {
    if (glob.startsWith('**/', i)) {
      body += '(?:.*/)?';
      i += 2;
    } else if (glob.startsWith('**', i)) {
      body += '.*';
      i += 1;
    } else if (glob[i] === '*') {
      body += '[^/]*';
    } else if (glob[i] === '?') {
      body += '[^/]';
    } else {
      body += /[.+^${}()|[\]\\]/.test(glob[i]) ? `\\${glob[i]}` : glob[i];
    }
  }
  // a pattern matching a directory matches everything below it
  return new RegExp(`^${body}(?:/.*)?$`);
}

/** Whether .dockerignore `patterns` keep `file` (a path relative to the context) in the build context. */
export function inContext(patterns: readonly string[], file: string): boolean {
  let included = true;
  for (const raw of patterns) {
    const exclusion = !raw.startsWith('!');
    const pattern = exclusion ? raw : raw.slice(1);
    if (dockerignoreRegex(pattern).test(file.replace(/^\.\//, '').replace(/\/+$/, ''))) included = !exclusion;
  }
  return included;
}

/**
 * The root .dockerignore is an allowlist (`*` first), keeps every path the Dockerfile copies from the
 * context, and never lets in local state, dependencies, build output, VCS data or env files.
 */
export function checkDockerignore(dockerignore: string, dockerfile: Dockerfile): string[] {
  const patterns = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const problems: string[] = [];
  if (patterns[0] !== '*') problems.push('.dockerignore does not start with `*` (allowlist)');
  for (const source of contextSources(dockerfile)) {
    const probe = source.endsWith('/') ? `${source}x.ts` : source;
    if (!inContext(patterns, probe))
      problems.push(`.dockerignore drops ${source}, which the Dockerfile copies`);
  }
  for (const secretish of [
    '.local/run/x',
    'node_modules/x/index.js',
    'dist/apps/x.js',
    '.git/config',
    '.env',
    'apps/gateway/node_modules/x.js',
    'apps/gateway/src/x.spec.ts',
  ]) {
    if (inContext(patterns, secretish))
      problems.push(`.dockerignore lets ${secretish} into the build context`);
  }
  return problems;
}
