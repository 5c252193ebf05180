/**
 * The CRD file is the one source of truth for the CacheCluster schema: these tests read it and
 * hold it to what kubectl explain needs (a description on every field), to the structural-schema
 * rules, and to the operator's own defaults and bounds (operator/src/spec.ts).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  CONSISTENCY_LEVELS,
  MAX_MEMORY_PATTERN,
  MAX_REPLICATION_FACTOR,
  MIN_MAX_MEMORY,
  MAX_MAX_MEMORY,
  MAX_REPLICAS,
  MIN_REPLICATION_FACTOR,
  POLICY_NAMES,
  SECRET_NAME_PATTERN,
  SPEC_DEFAULTS,
} from '../src/spec.js';
import { RESOURCE_QUANTITY_PATTERN } from '../src/quantity.js';
import { MEMBER_STATES } from '../../node/src/ring/document.js';

interface Schema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  anyOf?: Schema[];
  required?: string[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message?: string }[];
  [key: string]: unknown;
}

const path = fileURLToPath(new URL('../crd/cacheclusters.ringcache.io.yaml', import.meta.url));
const crd = parse(readFileSync(path, 'utf8'));
const version = crd.spec.versions[0];
const root: Schema = version.schema.openAPIV3Schema;
const spec = root.properties!.spec;
const status = root.properties!.status;

/** Every schema node below the root with its JSON path: properties, items, map values. */
function* nodes(schema: Schema, at = ''): Generator<[string, Schema]> {
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    yield [`${at}.${name}`, child];
    yield* nodes(child, `${at}.${name}`);
  }
  if (schema.items) {
    yield [`${at}[]`, schema.items];
    yield* nodes(schema.items, `${at}[]`);
  }
  if (typeof schema.additionalProperties === 'object') {
    yield [`${at}{}`, schema.additionalProperties];
    yield* nodes(schema.additionalProperties, `${at}{}`);
  }
}

test('names the resource as Contract 3 says', () => {
  expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
  expect(crd.metadata.name).toBe('cacheclusters.ringcache.io');
  expect(crd.spec.group).toBe('ringcache.io');
  expect(crd.spec.scope).toBe('Namespaced');
  expect(crd.spec.names).toMatchObject({
    kind: 'CacheCluster',
    plural: 'cacheclusters',
    singular: 'cachecluster',
    shortNames: ['rcc'],
  });
  expect(crd.spec.versions).toHaveLength(1);
  expect(version).toMatchObject({ name: 'v1alpha1', served: true, storage: true });
});

test('every field has a description, so kubectl explain explains it', () => {
  const missing = [...nodes(root)]
    // metadata is the one exception: the API server refuses anything but its type.
    .filter(([at]) => at !== '.metadata')
    .filter(([, schema]) => typeof schema.description !== 'string' || schema.description.trim().length < 10)
    .map(([at]) => at);
  expect(missing).toEqual([]);
  expect(root.description).toEqual(expect.any(String));
  // The walk really covers the nested parts.
  const paths = [...nodes(root)].map(([at]) => at);
  expect(paths).toEqual(
    expect.arrayContaining([
      '.spec.resources.limits{}',
      '.status.conditions[].observedGeneration',
      '.status.ring.members[].state',
      '.spec.auth.secretName',
    ]),
  );
});

test('the schema is structural: every node typed, properties only on objects', () => {
  const problems: string[] = [];
  for (const [at, schema] of [['', root] as [string, Schema], ...nodes(root)]) {
    const intOrString = schema['x-kubernetes-int-or-string'] === true;
    if (!intOrString && typeof schema.type !== 'string') problems.push(`${at}: no type`);
    if (intOrString && schema.type !== undefined) problems.push(`${at}: int-or-string with a type`);
    if ((schema.properties || schema.additionalProperties) && schema.type !== 'object') {
      problems.push(`${at}: properties on a ${schema.type}`);
    }
    if (schema.properties && schema.additionalProperties)
      problems.push(`${at}: properties and additionalProperties`);
    if (schema.type === 'array' && !schema.items) problems.push(`${at}: array without items`);
    for (const key of schema.required ?? []) {
      if (!schema.properties?.[key]) problems.push(`${at}: required ${key} is not a property`);
    }
  }
  expect(problems).toEqual([]);
});

test('spec defaults, enums and bounds are the operator own', () => {
  const p = spec.properties!;
  expect(spec.default).toEqual({});
  expect({
    replicas: p.replicas.default,
    image: p.image.default,
    replicationFactor: p.replicationFactor.default,
    consistency: p.consistency.default,
    maxMemory: p.maxMemory.default,
    evictionPolicy: p.evictionPolicy.default,
  }).toEqual(SPEC_DEFAULTS);
  expect(p.replicas).toMatchObject({ type: 'integer', minimum: 0, maximum: MAX_REPLICAS });
  expect(p.replicationFactor).toMatchObject({
    type: 'integer',
    minimum: MIN_REPLICATION_FACTOR,
    maximum: MAX_REPLICATION_FACTOR,
  });
  expect(p.consistency.enum).toEqual([...CONSISTENCY_LEVELS]);
  expect(p.evictionPolicy.enum).toEqual([...POLICY_NAMES]);
  expect(p.maxMemory.pattern).toBe(MAX_MEMORY_PATTERN.source);
  expect(p.auth.properties!.secretName.pattern).toBe(SECRET_NAME_PATTERN.source);
  for (const list of ['limits', 'requests']) {
    const quantity = p.resources.properties![list].additionalProperties as Schema;
    expect(quantity.pattern).toBe(RESOURCE_QUANTITY_PATTERN.source);
    expect(quantity['x-kubernetes-int-or-string']).toBe(true);
  }
  expect(p.auth.default).toBeUndefined();
  expect(p.auth.properties!.secretName.default).toBeUndefined();
});

test('CEL rules carry readable messages', () => {
  const rules = [...nodes(root)].flatMap(([at, schema]) =>
    (schema['x-kubernetes-validations'] ?? []).map((v) => ({ at, ...v })),
  );
  for (const rule of [...rules, ...(root['x-kubernetes-validations'] ?? [])]) {
    expect(rule.message).toEqual(expect.stringMatching(/\w{3,}/));
  }
  const byPath = (at: string) => rules.filter((r) => r.at === at).map((r) => r.rule);
  expect(byPath('.spec')).toEqual([
    '!has(self.replicas) || !has(self.replicationFactor) || ' +
      'self.replicationFactor <= self.replicas || self.replicas == 0',
  ]);
  expect(byPath('.spec.maxMemory')).toEqual([
    `!isQuantity(self) || quantity(self).compareTo(quantity('${MIN_MAX_MEMORY}')) >= 0`,
    `!isQuantity(self) || quantity(self).compareTo(quantity('${MAX_MAX_MEMORY}')) <= 0`,
  ]);
  expect(byPath('.spec.replicationFactor')).toEqual(['self == oldSelf']);
  expect(root['x-kubernetes-validations']!.map((r) => r.rule)).toEqual([
    'size(self.metadata.name) <= 52',
    "self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",
  ]);
});

test('status has the conditions, ring and scale fields', () => {
  const p = status.properties!;
  expect(Object.keys(p).sort()).toEqual(
    ['conditions', 'leader', 'observedGeneration', 'readyReplicas', 'replicas', 'ring', 'selector'].sort(),
  );
  const condition = p.conditions.items!;
  expect(condition.required).toEqual(['type', 'status', 'lastTransitionTime', 'reason', 'message']);
  expect(Object.keys(condition.properties!).sort()).toEqual(
    ['lastTransitionTime', 'message', 'observedGeneration', 'reason', 'status', 'type'].sort(),
  );
  expect(p.conditions['x-kubernetes-list-map-keys']).toEqual(['type']);
  expect(p.ring.properties!.members.items!.properties!.state.enum).toEqual([...MEMBER_STATES]);
  expect(p.selector.type).toBe('string');
});

test('subresources and printer columns', () => {
  expect(version.subresources).toEqual({
    status: {},
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    },
  });
  const columns = version.additionalPrinterColumns as {
    name: string;
    jsonPath: string;
    description?: string;
  }[];
  expect(columns.map((c) => [c.name, c.jsonPath])).toEqual([
    ['Ready', '.status.readyReplicas'],
    ['Replicas', '.spec.replicas'],
    ['Epoch', '.status.ring.epoch'],
    ['Age', '.metadata.creationTimestamp'],
  ]);
  for (const column of columns) expect(column.description).toEqual(expect.any(String));
});
