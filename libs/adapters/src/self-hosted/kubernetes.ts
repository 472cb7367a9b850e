import { stringify } from 'yaml';
import { nodeEnvironment } from '../core/node-env.js';
import type { NodeSpec } from '../core/types.js';

export interface KubernetesOptions {
  namespace?: string;
  /** Name of a Secret holding the operator key under `operator-key` (recommended). */
  operatorKeySecret?: string;
  serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
}

const dns1123 = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63);

/**
 * Deployment + Service manifests (one multi-document YAML) that run the standard node on a
 * user's own Kubernetes cluster: `kubectl apply -f -`.
 */
export function kubernetesManifests(spec: NodeSpec, opts: KubernetesOptions = {}): string {
  const name = dns1123(`stoa-${spec.name}`);
  const labels = {
    'app.kubernetes.io/name': 'stoa-node',
    'app.kubernetes.io/instance': name,
    'stoa.dev/model': dns1123(spec.modelId),
  };
  const envMap = nodeEnvironment(
    { ...spec, operatorKeyRef: opts.operatorKeySecret ? 'from-secret' : spec.operatorKeyRef },
    { listen: `0.0.0.0:${spec.port}`, dataDir: '/data' },
  );
  const env: Record<string, unknown>[] = Object.entries(envMap)
    .filter(([k]) => !(opts.operatorKeySecret && k === 'STOA_OPERATOR_KEY'))
    .map(([k, v]) => ({ name: k, value: v }));
  if (opts.operatorKeySecret) {
    env.push({
      name: 'STOA_OPERATOR_KEY',
      valueFrom: { secretKeyRef: { name: opts.operatorKeySecret, key: 'operator-key' } },
    });
  }
  const resources: Record<string, Record<string, string>> = {
    requests: { cpu: String(spec.cpu), memory: `${spec.memoryGi}Gi` },
    limits: { memory: `${spec.memoryGi}Gi` },
  };
  if (spec.gpu) resources.limits!['nvidia.com/gpu'] = String(spec.gpu.count);
  const meta = { name, labels, ...(opts.namespace ? { namespace: opts.namespace } : {}) };
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta,
    spec: {
      replicas: spec.replicas,
      selector: { matchLabels: { 'app.kubernetes.io/instance': name } },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'node',
              image: spec.image,
              ports: [{ name: 'http', containerPort: spec.port }],
              env,
              resources,
              readinessProbe: { httpGet: { path: '/health', port: 'http' }, periodSeconds: 5 },
              livenessProbe: {
                httpGet: { path: '/health', port: 'http' },
                initialDelaySeconds: 30,
                periodSeconds: 10,
              },
              volumeMounts: [{ name: 'data', mountPath: '/data' }],
            },
          ],
          volumes: [{ name: 'data', emptyDir: { sizeLimit: `${spec.storageGi}Gi` } }],
        },
      },
    },
  };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta,
    spec: {
      type: opts.serviceType ?? 'ClusterIP',
      selector: { 'app.kubernetes.io/instance': name },
      ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  return `${stringify(deployment)}---\n${stringify(service)}`;
}
