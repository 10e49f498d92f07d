import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ConfigError } from '#shared/errors.ts';
import { builtInPlaybooks, maxPlaybooksFileBytes, PlaybookFileError } from '#shared/playbooks/definitions/index.ts';
import { loadPlaybookCatalogue, playbookCatalogueFromText } from '#shared/playbooks/definitions/load.ts';

const directory = mkdtempSync(path.join(tmpdir(), 'playbooks-'));
afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(directory, name);
  writeFileSync(file, content);
  return file;
}

const host = { 'host.id': { input: 'host.id' }, 'container.id': { input: 'container.id' } };

/** A valid custom playbook; tests change one thing in it. */
function custom(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'miner',
    title: 'Miner',
    description: 'Logs, then kill the container.',
    inputs: [
      { name: 'host.id', required: true },
      { name: 'container.id', required: true },
    ],
    steps: [
      { id: 'logs', type: 'get-logs', inputs: host },
      { id: 'kill', type: 'kill-container', inputs: host },
    ],
    ...overrides,
  };
}

function file(...playbooks: unknown[]): string {
  return JSON.stringify({ playbooks });
}

function refusal(text: string, origin = 'playbooks.json'): PlaybookFileError {
  try {
    playbookCatalogueFromText(text, origin);
  } catch (error) {
    if (error instanceof PlaybookFileError) return error;
    throw error;
  }
  throw new Error('expected a PlaybookFileError');
}

describe('a custom playbooks file', () => {
  it('adds its playbooks after the built-ins, from JSON and from YAML alike, with the SHA-256 of its bytes', () => {
    const json = file(custom());
    const yaml = stringify({ playbooks: [custom()] });
    for (const [text, origin] of [
      [json, 'p.json'],
      [yaml, 'p.yaml'],
    ] as const) {
      const catalogue = playbookCatalogueFromText(text, origin);
      expect(catalogue.list().map((each) => each.name)).toEqual([...builtInPlaybooks.map((each) => each.name), 'miner']);
      expect(catalogue.find('miner')).toMatchObject({
        source: 'custom',
        steps: [
          { id: 'logs', phase: 'evidence', effect: 'evidence', when: [], continueOnError: false },
          { id: 'kill', phase: 'containment', effect: 'destructive' },
        ],
      });
      expect(catalogue.fileSha256).toBe(createHash('sha256').update(text).digest('hex'));
    }
  });

  it('is read from the path PLAYBOOKS names; the shipped example loads', () => {
    const example = path.join(import.meta.dirname, '../../../docs/playbooks.example.yaml');
    const catalogue = loadPlaybookCatalogue(example);
    expect(catalogue.find('miner-on-host')?.steps.map((step) => step.id)).toEqual(['logs', 'processes', 'binary', 'kill', 'pause']);
    expect(catalogue.fileSha256).toBe(createHash('sha256').update(readFileSync(example)).digest('hex'));
    expect(loadPlaybookCatalogue(write('ok.yml', stringify({ playbooks: [custom()] }))).find('miner')).toBeDefined();
  });

  it('is refused when a destructive step comes before an evidence step, naming the playbook and the step', () => {
    const error = refusal(file(custom({ steps: [{ id: 'kill', type: 'kill-container', inputs: host }, { id: 'logs', type: 'get-logs', inputs: host }] })));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toEqual([
      'playbooks[0] (miner).steps[0] (kill).type: is kill-container, which destroys evidence, in step kill before evidence step logs (get-logs): every evidence step must come before it',
    ]);
    expect(error.message).toMatch(/^PLAYBOOKS: playbooks\.json: playbooks\[0\] \(miner\)\.steps\[0\] \(kill\)/);
  });

  it('is refused when a destructive step has no evidence step before it, suggesting which would secure what it destroys', () => {
    const error = refusal(file(custom({ steps: [{ id: 'pause', type: 'pause-container', inputs: host }, { id: 'kill', type: 'kill-container', inputs: host }] })));
    expect(error.problems).toEqual([
      'playbooks[0] (miner).steps[1] (kill).type: is kill-container, which destroys evidence, in step kill with no evidence step before it: gather evidence first (for kill-container: get-logs, capture-process-state, acquire-file)',
    ]);
  });

  it('is refused for an unknown type, an undo type, an input its type lacks, a step named twice, each naming the path', () => {
    const error = refusal(
      file(
        custom({
          steps: [
            { id: 'logs', type: 'get-log', inputs: host },
            { id: 'unpause', type: 'unpause-container', inputs: host },
            { id: 'state', type: 'capture-process-state', inputs: { ...host, 'process.id': { value: 1 } } },
            { id: 'state', type: 'capture-process-state', inputs: host },
          ],
        }),
      ),
    );
    expect(error.problems).toEqual([
      'playbooks[0] (miner).steps[0] (logs).type: is "get-log", which is not an action type (GET /v1/action-types lists them)',
      'playbooks[0] (miner).steps[1] (unpause).type: is unpause-container, an undo type: a playbook never undoes (undoing a run reverses its steps)',
      'playbooks[0] (miner).steps[2] (state).inputs.process.id: is not an input of capture-process-state; it accepts host.id, container.id',
      'playbooks[0] (miner).steps[3] (state).id: is state again: step ids are unique within a playbook',
    ]);
  });

  it('is refused when a source names an undeclared input or a later step, or takes an ARN part of a non-ARN input', () => {
    const error = refusal(
      file(
        custom({
          inputs: [{ name: 'host.id', required: true }],
          steps: [
            { id: 'logs', type: 'get-logs', inputs: { 'host.id': { input: 'host.id', part: 'arn.account' }, 'container.id': { input: 'container.id' } } },
            { id: 'file', type: 'acquire-file', inputs: { 'host.id': { input: 'host.id' }, 'path.absolute': { step: 'later', result: 'path' } } },
            { id: 'later', type: 'get-logs', inputs: host, when: [{ resultPresent: { step: 'nowhere', result: 'x' } }] },
          ],
        }),
      ),
    );
    expect(error.problems).toEqual([
      'playbooks[0] (miner).steps[0] (logs).inputs.host.id.part: takes a part of an ARN, and host.id is not an ARN input',
      'playbooks[0] (miner).steps[0] (logs).inputs.container.id.input: is "container.id", which is not an input of playbook miner (it declares host.id)',
      'playbooks[0] (miner).steps[1] (file).inputs.path.absolute.step: names step later, which does not come before this one: a step can only use what the steps before it found',
      'playbooks[0] (miner).steps[2] (later).when[0].resultPresent.step: is "nowhere", which is not a step of playbook miner',
      'playbooks[0] (miner).steps[2] (later).inputs.container.id.input: is "container.id", which is not an input of playbook miner (it declares host.id)',
    ]);
  });

  it('is refused when it reuses a built-in name or one of its own', () => {
    const error = refusal(file(custom({ name: 'container-compromise' }), custom(), custom()));
    expect(error.problems).toEqual([
      "playbooks[0] (container-compromise).name: is container-compromise, a built-in playbook's name: give yours another",
      'playbooks[2] (miner).name: is also the name of playbooks[1], and names must be unique',
    ]);
  });

  it('is refused for inputs no catalogue field backs, defaults their field refuses, and steps missing a required input', () => {
    const error = refusal(
      file(
        custom({
          inputs: [
            { name: 'host.id', required: true },
            { name: 'container.id', default: { value: 'has space' } },
            { name: 'hostname' },
            { name: 'path.absolute', default: { secondsAgo: 60 } },
            { name: 'host.id' },
          ],
          steps: [
            { id: 'logs', type: 'get-logs', inputs: host },
            { id: 'file', type: 'acquire-file', inputs: { 'host.id': { input: 'host.id' } } },
          ],
        }),
      ),
    );
    expect(error.problems).toEqual([
      "playbooks[0] (miner).inputs[1].default.value: must be a container id: 1 to 128 characters of letters, digits, '_', '.' and '-'",
      'playbooks[0] (miner).inputs[2].name: is "hostname", which is no catalogue input name nor a playbook option (container.action)',
      'playbooks[0] (miner).inputs[3].default.secondsAgo: gives a timestamp, and path.absolute is not a timestamp input',
      'playbooks[0] (miner).inputs[4].name: is host.id again: each input is declared once',
      'playbooks[0] (miner).steps[1] (file).inputs.path.absolute: is required by acquire-file and has no source: map it from a playbook input, an earlier step or a value',
    ]);
  });

  it('is refused for unknown fields, misshapen sources and conditions, and keys that could reach a prototype', () => {
    const text = `{"playbooks": [{"name": "miner", "title": "t", "description": "d", "inputs": [], "colour": 1,
      "steps": [{"id": "logs", "type": "get-logs", "inputs": {"__proto__": {"value": "x"}, "host.id": {"input": "a", "step": "b"}, "container.id": {"wat": 1}},
                 "when": [{"equals": {"input": "container.action", "value": {"a": 1}}}, {"present": "a", "absent": "b"}]}]}], "extra": true}`;
    const error = refusal(text);
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'extra: is not a field here (unknown fields are refused: check its spelling)',
      ]),
    );
    const inner = refusal(text.replace(', "extra": true', ''));
    expect(inner.problems).toEqual(
      expect.arrayContaining([
        'playbooks[0] (miner).colour: is not a field here (unknown fields are refused: check its spelling)',
        'playbooks[0] (miner).steps[0] (logs).inputs.__proto__: is not an input name: dot-separated words of letters, digits and _, e.g. host.id',
        'playbooks[0] (miner).steps[0] (logs).inputs.host.id.step: is not a field of the input form (unknown fields are refused)',
        'playbooks[0] (miner).steps[0] (logs).inputs.container.id: must be one of { input }, { input, part }, { step, result } or { value } or { firstOf: [sources] }',
        'playbooks[0] (miner).steps[0] (logs).when[0].equals.value: must be a string (at most 4096 characters), a finite number or a boolean',
        'playbooks[0] (miner).steps[0] (logs).when[1].absent: is not a field of the present form (unknown fields are refused)',
      ]),
    );
  });

  it('is refused for values the step type cannot take, and for equals values its input can never have', () => {
    const error = refusal(
      file(
        custom({
          inputs: [...(custom()['inputs'] as unknown[]), { name: 'container.action', default: { value: 'pause' } }],
          steps: [
            { id: 'logs', type: 'get-logs', inputs: { ...host, previous: { value: 'yes' } } },
            { id: 'kill', type: 'kill-container', inputs: host, when: [{ equals: { input: 'container.action', value: 'stop' } }] },
          ],
        }),
      ),
    );
    expect(error.problems).toEqual([
      'playbooks[0] (miner).steps[0] (logs).inputs.previous.value: must be true or false',
      'playbooks[0] (miner).steps[1] (kill).when[0].equals.value: can never be container.action\'s value: it must be pause (keeps the container for investigation) or kill',
    ]);
  });

  it('is refused when it does not parse, repeats a key, or is no playbooks object', () => {
    expect(refusal('{"playbooks": [', 'p.json').problems[0]).toMatch(/^is not valid JSON/);
    expect(refusal('playbooks: []\nplaybooks: []\n', 'p.yaml').problems[0]).toMatch(/^is not valid YAML \(Map keys must be unique/);
    expect(refusal('[]', 'p.json').problems).toEqual(['(file): the file must hold one object: { "playbooks": [ ... ] }']);
    expect(refusal(file(...Array.from({ length: 51 }, () => custom()))).problems).toEqual(['playbooks: must hold at most 50 playbooks']);
  });

  it('is refused when PLAYBOOKS names a missing, special or oversized file, as a ConfigError naming PLAYBOOKS', () => {
    const missing = path.join(directory, 'missing.yaml');
    expect(() => loadPlaybookCatalogue(missing)).toThrow(`PLAYBOOKS: ${missing}: cannot be read (ENOENT)`);
    expect(() => loadPlaybookCatalogue(missing)).toThrow(ConfigError);
    const folder = path.join(directory, 'folder.yaml');
    mkdirSync(folder);
    expect(() => loadPlaybookCatalogue(folder)).toThrow(PlaybookFileError);
    const big = write('big.yaml', Buffer.alloc(maxPlaybooksFileBytes + 1, ' '));
    expect(() => loadPlaybookCatalogue(big)).toThrow(`PLAYBOOKS: ${big}: is ${maxPlaybooksFileBytes + 1} bytes; a playbooks file may be at most ${maxPlaybooksFileBytes}`);
  });
});
