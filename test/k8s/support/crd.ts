/**
 * Installs the project's CustomResourceDefinition as its YAML's JSON: the typed
 * ApiextensionsV1Api serializes through models that silently drop `default`, `enum` and
 * `x-kubernetes-validations` (docs/operator.md).
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import type { ControlPlane } from '../controlplane/controlplane.js';
import { httpRequest, waitFor } from '../controlplane/http.js';
import { REPO_ROOT } from '../../support/node-process.js';

export const CRD_PATH = `${REPO_ROOT}operator/crd/cacheclusters.ringcache.io.yaml`;

/** Creates the CRD and resolves once the API server serves it (condition Established). */
export async function applyCrd(cp: ControlPlane): Promise<void> {
  const crd = parse(await readFile(CRD_PATH, 'utf8')) as { metadata: { name: string } };
  const ca = await readFile(cp.caPath, 'utf8');
  const base = `${cp.server}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`;
  const created = await httpRequest(base, { method: 'POST', token: cp.token, ca, body: crd });
  if (created.status !== 201) throw new Error(`creating the CRD: ${created.status} ${created.body}`);
  await waitFor('the CRD Established', 60_000, async () => {
    const r = await httpRequest(`${base}/${crd.metadata.name}`, { token: cp.token, ca });
    const conditions: Array<{ type: string; status: string }> = JSON.parse(r.body).status?.conditions ?? [];
    return conditions.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
  });
}
