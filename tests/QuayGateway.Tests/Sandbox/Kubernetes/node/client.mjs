// The official JavaScript Kubernetes client (@kubernetes/client-node) against the sandbox, with its default settings:
// the kubeconfig's certificate-authority-data is the only trust, and TLS is verified. Lists, watches and patches
// QuayRegistries, then prints one JSON line of what it saw for the C# test to check.
//   node client.mjs KUBECONFIG NAMESPACE NAME
import { CustomObjectsApi, KubeConfig, PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';

const [kubeconfig, namespace, name] = process.argv.slice(2);
const kc = new KubeConfig();
kc.loadFromFile(kubeconfig);
const api = kc.makeApiClient(CustomObjectsApi);
const resource = { group: 'quay.redhat.com', version: 'v1', namespace, plural: 'quayregistries' };

const list = await api.listNamespacedCustomObject(resource);
const seen = [];
let resolveModified;
const modified = new Promise((resolve) => { resolveModified = resolve; });
const watch = new Watch(kc);
const controller = await watch.watch(
  `/apis/quay.redhat.com/v1/namespaces/${namespace}/quayregistries`,
  { resourceVersion: list.metadata.resourceVersion, allowWatchBookmarks: true },
  (type, obj) => {
    seen.push({ type, name: obj?.metadata?.name, labels: obj?.metadata?.labels ?? {} });
    if (type === 'MODIFIED' && obj?.metadata?.labels?.['patched-by'] === 'client-node-merge') resolveModified();
  },
  (err) => { if (err && err.name !== 'AbortError') console.error('watch ended:', err); });

// The client's default patch type (JSON Patch), then a merge patch as the client selects one.
const jsonPatched = await api.patchNamespacedCustomObject({
  ...resource, name,
  body: [{ op: 'add', path: '/metadata/annotations', value: { 'patched-by': 'client-node-json' } }],
});
const mergePatched = await api.patchNamespacedCustomObject(
  { ...resource, name, body: { metadata: { labels: { 'patched-by': 'client-node-merge' } } } },
  setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

const timeout = setTimeout(() => { console.error('no MODIFIED event within 15s; saw ' + JSON.stringify(seen)); process.exit(3); }, 15000);
await modified;
clearTimeout(timeout);
controller.abort();
console.log(JSON.stringify({
  listed: list.items.map((i) => i.metadata.name),
  jsonPatched: jsonPatched.metadata.annotations,
  mergePatched: mergePatched.metadata.labels,
  watched: seen,
}));
process.exit(0);
