import { describe, expect, it } from 'vitest';
import {
  actionTypes,
  describeCatalogue,
  findActionType,
  inputNamesOf,
  isUndoType,
  undoneBy,
  undoTargetOf,
  UnvalidatedInputsError,
} from '#shared/catalogue/index.ts';

/** API.md's "Action types" table, row by row: type, category, input names, undo type. */
const table = [
  ['kill-process', 'containment', ['host.id', 'process.id', 'process.start_time', 'container.id'], null],
  ['kill-container', 'containment', ['host.id', 'container.id', 'container.name'], null],
  ['stop-container', 'containment', ['host.id', 'container.id', 'container.name'], 'start-container'],
  ['start-container', 'containment', ['host.id', 'container.id', 'container.name'], null],
  ['pause-container', 'containment', ['host.id', 'container.id', 'container.name'], 'unpause-container'],
  ['unpause-container', 'containment', ['host.id', 'container.id', 'container.name'], null],
  ['delete-pod', 'containment', ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.pod.name'], null],
  [
    'isolate-network',
    'containment',
    [
      'kubernetes.cluster.name',
      'kubernetes.namespace.name',
      'kubernetes.workload.name',
      'kubernetes.workload.type',
      'network.direction',
      'network.protocol',
      'network.cidr',
      'network.port',
    ],
    'delete-network-policy',
  ],
  ['delete-network-policy', 'containment', ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.networkpolicy.name'], null],
  ['file-quarantine', 'containment', ['host.id', 'path.absolute', 'container.id'], 'file-unquarantine'],
  ['file-unquarantine', 'containment', ['host.id', 'path.absolute', 'container.id'], null],
  ['iam-quarantine', 'containment', ['aws.resource.arn'], 'iam-unquarantine'],
  ['iam-unquarantine', 'containment', ['aws.resource.arn'], null],
  ['make-cloud-resource-private', 'containment', ['aws.resource.arn', 'aws.account.id', 'aws.region'], 'undo-make-cloud-resource-private'],
  ['undo-make-cloud-resource-private', 'containment', ['aws.resource.arn', 'aws.account.id', 'aws.region'], null],
  [
    'get-logs',
    'data-gathering',
    [
      'host.id',
      'container.id',
      'kubernetes.cluster.name',
      'kubernetes.namespace.name',
      'kubernetes.pod.name',
      'kubernetes.container.name',
      'allContainers',
      'previous',
    ],
    null,
  ],
  ['acquire-file', 'data-gathering', ['host.id', 'path.absolute', 'container.id', 's3.bucket'], null],
  [
    'fetch-cloud-logs',
    'data-gathering',
    ['aws.account.id', 'aws.region', 'ct.user', 'ct.user.arn', 'ct.user.identitytype', 'fromTimestamp', 'toTimestamp'],
    null,
  ],
  [
    'kubernetes-volume-snapshot',
    'data-gathering',
    ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.persistentvolume.claim.name'],
    'kubernetes-delete-volume-snapshot',
  ],
  ['kubernetes-delete-volume-snapshot', 'data-gathering', ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.volumesnapshot.name'], null],
  ['cloud-volume-snapshot', 'data-gathering', ['aws.resource.arn'], 'undo-cloud-volume-snapshot'],
  ['undo-cloud-volume-snapshot', 'data-gathering', ['aws.resource.arn', 'aws.ebs.snapshot.ids'], null],
  ['rollout-restart', 'data-gathering', ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.workload.name', 'kubernetes.workload.type'], null],
  ['isolate-ec2-instance', 'containment', ['aws.resource.arn'], 'unisolate-ec2-instance'],
  ['unisolate-ec2-instance', 'containment', ['aws.resource.arn'], null],
  ['revoke-iam-role-sessions', 'containment', ['aws.resource.arn'], 'restore-iam-role-sessions'],
  ['restore-iam-role-sessions', 'containment', ['aws.resource.arn'], null],
  ['deactivate-access-keys', 'containment', ['aws.resource.arn'], 'reactivate-access-keys'],
  ['reactivate-access-keys', 'containment', ['aws.resource.arn'], null],
  [
    'scale-workload',
    'containment',
    ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.workload.name', 'kubernetes.workload.type', 'kubernetes.workload.replicas'],
    'restore-workload-scale',
  ],
  ['restore-workload-scale', 'containment', ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.workload.name', 'kubernetes.workload.type'], null],
  ['capture-pod-state', 'data-gathering', ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.pod.name'], null],
  ['capture-process-state', 'data-gathering', ['host.id', 'container.id'], null],
  ['detach-instance-profile', 'containment', ['aws.resource.arn'], 'restore-instance-profile'],
  ['restore-instance-profile', 'containment', ['aws.resource.arn'], null],
  ['cordon-node', 'containment', ['kubernetes.cluster.name', 'kubernetes.node.name'], 'uncordon-node'],
  ['uncordon-node', 'containment', ['kubernetes.cluster.name', 'kubernetes.node.name'], null],
] as const;

/** The inputs a caller must always give (JSON Schema `required`); `a | b` and form choices are not among them. */
const required: Readonly<Record<string, readonly string[]>> = {
  'kill-process': ['host.id', 'process.id'],
  'kill-container': ['host.id'],
  'stop-container': ['host.id'],
  'start-container': ['host.id'],
  'pause-container': ['host.id'],
  'unpause-container': ['host.id'],
  'delete-pod': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.pod.name'],
  'isolate-network': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.workload.name', 'kubernetes.workload.type'],
  'delete-network-policy': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.networkpolicy.name'],
  'file-quarantine': ['host.id', 'path.absolute'],
  'file-unquarantine': ['host.id', 'path.absolute'],
  'iam-quarantine': ['aws.resource.arn'],
  'iam-unquarantine': ['aws.resource.arn'],
  'make-cloud-resource-private': ['aws.resource.arn'],
  'undo-make-cloud-resource-private': ['aws.resource.arn'],
  'get-logs': [],
  'acquire-file': ['host.id', 'path.absolute'],
  'fetch-cloud-logs': ['aws.account.id', 'aws.region', 'fromTimestamp', 'toTimestamp'],
  'kubernetes-volume-snapshot': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.persistentvolume.claim.name'],
  'kubernetes-delete-volume-snapshot': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.volumesnapshot.name'],
  'cloud-volume-snapshot': ['aws.resource.arn'],
  'undo-cloud-volume-snapshot': ['aws.resource.arn'],
  'rollout-restart': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.workload.name', 'kubernetes.workload.type'],
  'isolate-ec2-instance': ['aws.resource.arn'],
  'unisolate-ec2-instance': ['aws.resource.arn'],
  'revoke-iam-role-sessions': ['aws.resource.arn'],
  'restore-iam-role-sessions': ['aws.resource.arn'],
  'deactivate-access-keys': ['aws.resource.arn'],
  'reactivate-access-keys': ['aws.resource.arn'],
  'scale-workload': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.workload.name', 'kubernetes.workload.type'],
  'restore-workload-scale': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.workload.name', 'kubernetes.workload.type'],
  'capture-pod-state': ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.pod.name'],
  'capture-process-state': ['host.id'],
  'detach-instance-profile': ['aws.resource.arn'],
  'restore-instance-profile': ['aws.resource.arn'],
  'cordon-node': ['kubernetes.cluster.name', 'kubernetes.node.name'],
  'uncordon-node': ['kubernetes.cluster.name', 'kubernetes.node.name'],
};

const cloudTypes = new Set([
  'iam-quarantine',
  'iam-unquarantine',
  'make-cloud-resource-private',
  'undo-make-cloud-resource-private',
  'fetch-cloud-logs',
  'cloud-volume-snapshot',
  'undo-cloud-volume-snapshot',
  'isolate-ec2-instance',
  'unisolate-ec2-instance',
  'revoke-iam-role-sessions',
  'restore-iam-role-sessions',
  'deactivate-access-keys',
  'reactivate-access-keys',
  'detach-instance-profile',
  'restore-instance-profile',
]);

function expectedExecutors(type: string, inputNames: readonly string[]): readonly string[] {
  if (type === 'get-logs') return ['host', 'kubernetes'];
  if (cloudTypes.has(type)) return ['cloud'];
  return inputNames.includes('host.id') ? ['host'] : ['kubernetes'];
}

describe('the catalogue', () => {
  it("has exactly API.md's action types, in the table's order", () => {
    // Prepare
    const expected = table.map(([type]) => type);

    // Act
    const types = actionTypes.map((definition) => definition.type);

    // Assess
    expect(types).toEqual(expected);
    expect(types).toHaveLength(37);
    expect(new Set(types).size).toBe(types.length);
  });

  it.each(table)("%s has the table's category, inputs and undo type", (type, category, inputNames, undoType) => {
    // Prepare
    const definition = findActionType(type);

    // Act
    const names = definition === undefined ? [] : inputNamesOf(definition);

    // Assess
    expect(definition).toBeDefined();
    expect(definition?.category).toBe(category);
    expect(definition?.undoType).toBe(undoType);
    expect(definition?.executors).toEqual(expectedExecutors(type, inputNames));
    expect(names).toEqual(inputNames);
    expect(definition?.title.length).toBeGreaterThan(3);
    expect(definition?.description).toMatch(/^[A-Z].{10,200}\.$/);
    expect(definition?.description).not.toContain('\n');
  });

  it('uses kebab-case type ids', () => {
    // Prepare
    const kebab = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

    // Act
    const offenders = actionTypes.filter((definition) => !kebab.test(definition.type));

    // Assess
    expect(offenders).toEqual([]);
  });

  it('gives only get-logs more than one executor', () => {
    // Prepare
    // Act
    const several = actionTypes.filter((definition) => definition.executors.length !== 1).map((definition) => definition.type);

    // Assess
    expect(several).toEqual(['get-logs']);
  });

  it('finds nothing for an unknown or inherited name', () => {
    // Prepare
    const names = ['no-such-type', 'constructor', '__proto__', 'toString', ''];

    // Act
    const found = names.map((name) => findActionType(name));

    // Assess
    expect(found).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});

describe('undo pairs', () => {
  const pairs = actionTypes.flatMap((definition) => (definition.undoType === null ? [] : [[definition.type, definition.undoType] as const]));

  it('has the fourteen pairs of the table', () => {
    // Prepare
    const expected = table.flatMap(([type, , , undoType]) => (undoType === null ? [] : [[type, undoType]]));

    // Act
    // Assess
    expect(pairs).toEqual(expected);
    expect(pairs).toHaveLength(14);
  });

  it.each(pairs)('%s is undone by %s, which is in the catalogue and reverses it', (type, undoType) => {
    // Prepare
    const undo = findActionType(undoType);

    // Act
    const target = undoTargetOf(undoType);

    // Assess
    expect(undo).toBeDefined();
    expect(undoneBy(type)).toBe(undoType);
    expect(target).toBe(type);
    expect(isUndoType(undoType)).toBe(true);
    expect(isUndoType(type)).toBe(false);
    // An undo type is not itself undoable, and it runs where its pair runs, in the same category.
    expect(undo?.undoType).toBeNull();
    expect(undo?.category).toBe(findActionType(type)?.category);
    expect(undo?.executors).toEqual(findActionType(type)?.executors);
  });

  it('answers null for types that undo nothing or are not undoable', () => {
    // Prepare
    // Act
    // Assess
    expect(undoTargetOf('iam-unquarantine')).toBe('iam-quarantine');
    expect(undoTargetOf('iam-quarantine')).toBeNull();
    expect(undoTargetOf('kill-process')).toBeNull();
    expect(undoTargetOf('no-such-type')).toBeNull();
    expect(undoneBy('kill-process')).toBeNull();
    expect(undoneBy('iam-unquarantine')).toBeNull();
    expect(undoneBy('no-such-type')).toBeNull();
    expect(isUndoType('no-such-type')).toBe(false);
  });

  it('has no undo type reversed by two types', () => {
    // Prepare
    // Act
    const undoTypes = pairs.map(([, undoType]) => undoType);

    // Assess
    expect(new Set(undoTypes).size).toBe(undoTypes.length);
  });
});

describe('describeCatalogue', () => {
  const described = describeCatalogue();

  it('describes every type in order, with the fields API.md fixes', () => {
    // Prepare
    // Act
    const summary = described.map(({ type, category, executors, undoType }) => ({ type, category, executors, undoType }));

    // Assess
    expect(summary).toEqual(
      actionTypes.map(({ type, category, executors, undoType }) => ({ type, category, executors: [...executors], undoType })),
    );
    for (const entry of described) expect(entry.title).toBe(findActionType(entry.type)?.title);
  });

  it.each(described.map((entry) => [entry.type, entry] as const))('gives %s its inputs as JSON Schema', (type, entry) => {
    // Prepare
    const definition = findActionType(type);
    const names = definition === undefined ? [] : inputNamesOf(definition);

    // Act
    const schema = JSON.parse(JSON.stringify(entry.inputs)) as { type?: unknown; properties?: Record<string, unknown>; required?: unknown; additionalProperties?: unknown };

    // Assess
    expect(schema).toEqual(entry.inputs);
    expect(schema.type).toBe('object');
    expect(Object.keys(schema.properties ?? {})).toEqual(names);
    expect(schema.required ?? []).toEqual(required[type]);
    expect(schema.additionalProperties).toBe(false);
    for (const property of Object.values(schema.properties ?? {})) {
      expect(property).toMatchObject({ description: expect.any(String) as unknown });
    }
  });

  it('publishes the one-of constraints the properties alone cannot say', () => {
    // Prepare
    const byType = new Map(described.map((entry) => [entry.type, entry.inputs]));

    // Act
    const container = byType.get('stop-container');
    const cloudTrail = byType.get('fetch-cloud-logs');
    const logs = byType.get('get-logs');
    const scale = byType.get('scale-workload');

    // Assess
    expect(container?.oneOf).toEqual([{ required: ['container.id'] }, { required: ['container.name'] }]);
    expect(cloudTrail?.anyOf).toEqual([{ required: ['ct.user'] }, { required: ['ct.user.arn'] }]);
    expect(logs?.oneOf).toEqual([
      { required: ['host.id', 'container.id'] },
      { required: ['kubernetes.cluster.name', 'kubernetes.namespace.name', 'kubernetes.pod.name'] },
    ]);
    expect(scale?.properties?.['kubernetes.workload.replicas']).toMatchObject({ type: 'integer', minimum: 0, maximum: 10000, default: 0 });
  });

  it('answers afresh each time, so a caller cannot change the next answer', () => {
    // Prepare
    const first = describeCatalogue();
    (first[0]?.inputs.properties ?? {})['injected'] = true;

    // Act
    const second = describeCatalogue();

    // Assess
    expect(second[0]?.inputs.properties).not.toHaveProperty('injected');
  });
});

describe('definitions used directly', () => {
  it('carry their cross-field rules in the schema itself', () => {
    // Prepare
    const schema = findActionType('stop-container')?.inputs;

    // Act
    const both = schema?.safeParse({ 'host.id': 'node-7', 'container.id': 'abc', 'container.name': 'web' });
    const one = schema?.safeParse({ 'host.id': 'node-7', 'container.name': 'web' });

    // Assess
    expect(both?.success).toBe(false);
    expect(both?.error?.issues.map((issue) => issue.path)).toEqual([['container.name']]);
    expect(one?.success).toBe(true);
  });

  it('checks the clock without trusting the inputs it is handed', () => {
    // Prepare
    const checkAt = findActionType('fetch-cloud-logs')?.checkAt;
    const context = { now: new Date('2026-11-20T12:00:00Z') };

    // Act
    const garbage = checkAt?.({ fromTimestamp: 7, toTimestamp: { at: 'now' } }, context);
    const future = checkAt?.({ fromTimestamp: 'yesterday', toTimestamp: '2027-01-01T00:00:00Z' }, context);

    // Assess
    expect(garbage).toEqual([]);
    expect(future?.map((error) => error.path)).toEqual(['inputs.toTimestamp']);
  });

  it('refuse to name resources for inputs nobody validated', () => {
    // Prepare
    const definition = findActionType('kill-process');

    // Act
    const act = () => definition?.resourcesOf({ 'host.id': 7 });

    // Assess
    expect(act).toThrow(UnvalidatedInputsError);
  });
});
