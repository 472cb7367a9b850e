import { stringify } from 'yaml';
import { nodeEnvironment } from '../core/node-env.js';
import type { NodeSpec } from '../core/types.js';

export interface KubernetesOptions {
  namespace?: string;
  /** Storage class of each replica's data volume (holds the node's own key); cluster default if unset. */
  storageClassName?: string;
  serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
}

const dns1123 = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63);

/**
 * StatefulSet + Service manifests (one multi-document YAML) that run the standard node on a
 * user's own Kubernetes cluster: `kubectl apply -f -`.
 */
export function kubernetesManifests(spec: NodeSpec, opts: KubernetesOptions = {}): string {
  const name = dns1123(`stoa-${spec.name}`);
  const labels = {
    'app.kubernetes.io/name': 'stoa-node',
    'app.kubernetes.io/instance': name,
    'stoa.dev/model': dns1123(spec.modelId),
  };
  // The operator's address only: each replica makes its own key in its persistent volume,
  // and the operator authorizes that address on chain.
  const envMap = nodeEnvironment(spec, { listen: `0.0.0.0:${spec.port}`, dataDir: '/data' });
  const env = Object.entries(envMap).map(([k, v]) => ({ name: k, value: v }));
  const resources: Record<string, Record<string, string>> = {
    requests: { cpu: String(spec.cpu), memory: `${spec.memoryGi}Gi` },
    limits: { memory: `${spec.memoryGi}Gi` },
  };
  if (spec.gpu) resources.limits!['nvidia.com/gpu'] = String(spec.gpu.count);
  const meta = { name, labels, ...(opts.namespace ? { namespace: opts.namespace } : {}) };
  // A StatefulSet, not a Deployment: each replica keeps its own data volume (and so its own
  // authorized key) across restarts and rescheduling.
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta,
    spec: {
      serviceName: name,
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
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            ...(opts.storageClassName ? { storageClassName: opts.storageClassName } : {}),
            resources: { requests: { storage: `${spec.storageGi}Gi` } },
          },
        },
      ],
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
