import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadConfig } from '@tickets/config';
import {
  checkDeployments,
  checkGatewayAutoscaling,
  checkKubernetesVariables,
  checkNetworkPolicies,
  checkServicePorts,
  checkTicketServiceScaling,
  environmentOf,
  PARTITIONS_ANNOTATION,
  SERVICES,
} from './policies';
import {
  configVariableNames,
  installTools,
  KUBERNETES_VERSION,
  kustomizeBuild,
  parseYamlStream,
  ROOT,
  validateKubernetes,
} from './tools';

/**
 * k8s/: each overlay builds with kustomize, every rendered object validates against the strict Kubernetes
 * schemas of KUBERNETES_VERSION, and the rendered objects follow the deployment rules (policies.ts).
 */

/** Stands in for the Secret that production creates outside the repository (k8s/README.md "Secrets"). */
const EXTERNAL_SECRETS = {
  'tickets-secrets': {
    JWT_SECRET: 'an-external-secret-of-32-characters',
    EVENTSTORE_CONNECTION_STRING: 'esdb://eventstore.example:2113?tls=true',
    MONGODB_URI: 'mongodb://mongodb.example:27017/tickets?replicaSet=rs0',
  },
};

type Json = Record<string, any>;

function render(dir: string): { text: string; objects: Json[] } {
  const result = kustomizeBuild(dir);
  if (result.status !== 0) throw new Error(`kustomize build ${dir} failed:\n${result.stderr}`);
  return { text: result.stdout, objects: parseYamlStream(result.stdout) };
}

const clone = <T>(value: T): T => structuredClone(value);
const find = (objects: Json[], kind: string, name: string): Json => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
};

beforeAll(() => installTools(), 15 * 60_000);

describe.each(['dev', 'prod'])('k8s/overlays/%s', (overlay) => {
  let rendered: { text: string; objects: Json[] };
  beforeAll(() => {
    rendered = render(path.join(ROOT, 'k8s/overlays', overlay));
  });

  it(`renders objects that all validate against the Kubernetes ${KUBERNETES_VERSION} schemas (strict)`, () => {
    const { status, verdicts, output } = validateKubernetes(rendered.text);
    expect(verdicts.filter((v) => v.level !== 'INFO')).toEqual([]);
    expect(verdicts).toHaveLength(rendered.objects.length);
    expect({ status, output }).toMatchObject({ status: 0 });
  });

  it('runs the three services as Deployments with probes on /health, the measured resources, hardening and PDBs', () => {
    const deployments = rendered.objects.filter((o) => o.kind === 'Deployment').map((o) => o.metadata.name);
    expect(deployments.sort()).toEqual(SERVICES.map((s) => s.name).sort());
    expect(checkDeployments(rendered.objects)).toEqual([]);
  });

  it('keeps ticket-service replicas within the partitions of the commands topic', () => {
    expect(checkTicketServiceScaling(rendered.objects)).toEqual([]);
  });

  it('autoscales the gateway', () => {
    expect(checkGatewayAutoscaling(rendered.objects)).toEqual([]);
  });

  it('lets only the gateway take outside traffic', () => {
    expect(checkNetworkPolicies(rendered.objects)).toEqual([]);
  });

  it('configures the services only with variables of the config schema', () => {
    expect(checkKubernetesVariables(rendered.objects, configVariableNames())).toEqual([]);
  });

  it('gives every service an environment the config schema accepts, listening on its container port', () => {
    for (const { name } of SERVICES) {
      expect(() => loadConfig(environmentOf(rendered.objects, name, EXTERNAL_SECRETS))).not.toThrow();
    }
    expect(checkServicePorts(rendered.objects, EXTERNAL_SECRETS)).toEqual([]);
  });
});

describe('k8s/overlays/prod', () => {
  it('renders no Secret: production secrets live outside the repository', () => {
    const { objects } = render(path.join(ROOT, 'k8s/overlays/prod'));
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });
});

describe('the Kubernetes checks reject', () => {
  let dev: { text: string; objects: Json[] };
  let prod: { text: string; objects: Json[] };
  beforeAll(() => {
    dev = render(path.join(ROOT, 'k8s/overlays/dev'));
    prod = render(path.join(ROOT, 'k8s/overlays/prod'));
  });

  it('an overlay kustomize cannot build', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-overlay-'));
    try {
      fs.writeFileSync(path.join(dir, 'kustomization.yaml'), 'resources:\n  - missing-deployment.yaml\n');
      const result = kustomizeBuild(dir);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/missing-deployment\.yaml/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [
      'a wrong type',
      (d: Json) => (d.spec.replicas = 'two'),
      /spec\.replicas: 'two' is not of type 'integer'/,
    ],
    [
      'an unknown field',
      (d: Json) => (d.spec.template.spec.containers[0].livenesProbe = {}),
      /'livenesProbe' was unexpected/,
    ],
    [
      'a missing required field',
      (d: Json) => delete d.spec.template.spec.containers[0].name,
      /'name' is a required property/,
    ],
  ])('an object with %s against the schemas', (_, breakIt, message) => {
    const objects = clone(dev.objects);
    breakIt(find(objects, 'Deployment', 'ticket-service'));
    const stream = objects.map((o) => JSON.stringify(o)).join('\n---\n');
    const { status, verdicts } = validateKubernetes(stream);
    expect(status).not.toBe(0);
    expect(verdicts.filter((v) => v.level === 'ERROR')).toEqual([
      { level: 'ERROR', message: expect.stringMatching(message) },
    ]);
  });

  it('an object of a kind without a schema', () => {
    const { verdicts } = validateKubernetes(
      'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n',
    );
    expect(verdicts).toEqual([
      { level: 'WARN', message: expect.stringMatching(/Couldn't find schema for kind Widget/) },
    ]);
  });

  it('more ticket-service replicas than partitions', () => {
    const objects = clone(prod.objects);
    const deployment = find(objects, 'Deployment', 'ticket-service');
    deployment.spec.replicas = Number(deployment.metadata.annotations[PARTITIONS_ANNOTATION]) + 1;
    expect(checkTicketServiceScaling(objects)).toEqual([
      `ticket-service: 13 replicas for 12 partitions of the commands topic`,
    ]);
    delete deployment.metadata.annotations[PARTITIONS_ANNOTATION];
    expect(checkTicketServiceScaling(objects)).toEqual([
      `ticket-service: annotation ${PARTITIONS_ANNOTATION} missing or not a count`,
    ]);
  });

  it('a Deployment without liveness probe, with other resources, running as root, without PDB', () => {
    const objects = clone(prod.objects).filter(
      (o) => !(o.kind === 'PodDisruptionBudget' && o.metadata.name === 'projection-service'),
    );
    const gateway = find(objects, 'Deployment', 'gateway');
    delete gateway.spec.template.spec.containers[0].livenessProbe;
    gateway.spec.template.spec.containers[0].resources.limits.memory = '1Gi';
    gateway.spec.template.spec.securityContext.runAsNonRoot = false;
    find(
      objects,
      'Deployment',
      'ticket-service',
    ).spec.template.spec.containers[0].readinessProbe.httpGet.port = 9999;
    expect(checkDeployments(objects)).toEqual([
      'gateway: pod securityContext.runAsNonRoot is not true',
      'gateway/gateway: no livenessProbe',
      'gateway/gateway: resources.limits.memory is 1Gi, expected 512Mi',
      'projection-service: no PodDisruptionBudget selects its pods',
      'ticket-service/ticket-service: readinessProbe port 9999 is not a port of the container',
    ]);
  });

  it('a gateway without autoscaler, or with fixed replicas', () => {
    const objects = clone(prod.objects);
    find(objects, 'Deployment', 'gateway').spec.replicas = 3;
    expect(checkGatewayAutoscaling(objects)).toEqual([
      'gateway: spec.replicas is set, so every apply fights the autoscaler',
    ]);
    expect(checkGatewayAutoscaling(objects.filter((o) => o.kind !== 'HorizontalPodAutoscaler'))).toEqual([
      'no HorizontalPodAutoscaler targets the gateway Deployment',
    ]);
  });

  it('outside traffic to another service, or no default deny', () => {
    const opened = clone(prod.objects);
    opened.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-all-to-ticket-service' },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ticket-service' } },
        ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }],
      },
    });
    expect(checkNetworkPolicies(opened)).toEqual([
      'open to outside traffic: [gateway, ticket-service], expected [gateway]',
    ]);
    const noDefaultDeny = clone(prod.objects).filter(
      (o) => !(o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny-ingress'),
    );
    expect(
      checkNetworkPolicies(noDefaultDeny.filter((o) => o.metadata.name !== 'internal-allow-metrics')),
    ).toEqual(['open to outside traffic: [gateway, projection-service, ticket-service], expected [gateway]']);
  });

  it('variables the config schema does not know, and a port variable that does not match the container', () => {
    const objects = clone(dev.objects);
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    configMap.data.GATEWAY_LISTEN_PORT = '8080';
    configMap.data.GATEWAY_PORT = '9090';
    find(objects, 'Deployment', 'projection-service').spec.template.spec.containers[0].env = [
      { name: 'NODE_OPTIONS', value: '--inspect' },
    ];
    expect(checkKubernetesVariables(objects, configVariableNames())).toEqual([
      `ConfigMap ${configMap.metadata.name}: GATEWAY_LISTEN_PORT is not in the config schema`,
      'projection-service/projection-service: env NODE_OPTIONS is not in the config schema',
    ]);
    expect(checkServicePorts(objects)).toEqual([
      'gateway: GATEWAY_PORT=9090 but the container exposes [8080]',
    ]);
    expect(() => environmentOf(prod.objects, 'gateway')).toThrow(
      /Secret tickets-secrets is neither rendered nor supplied/,
    );
  });
});
