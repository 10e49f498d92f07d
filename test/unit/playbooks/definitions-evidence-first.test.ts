import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { findActionType } from '#shared/catalogue/catalogue.ts';
import { PlaybookFileError } from '#shared/playbooks/definitions/index.ts';
import { playbookCatalogueFromText } from '#shared/playbooks/definitions/load.ts';

/** Types that take exactly a host and a container, of each effect: any order of them is well formed but for the rule. */
const hostTypes = ['get-logs', 'capture-process-state', 'pause-container', 'kill-container', 'stop-container'] as const;
const inputs = { 'host.id': { input: 'host.id' }, 'container.id': { input: 'container.id' } };

function load(types: readonly string[]): { ok: true } | { ok: false; problems: readonly string[] } {
  const playbook = {
    name: 'ordered',
    title: 'Ordered',
    description: 'Steps in a given order.',
    inputs: [
      { name: 'host.id', required: true },
      { name: 'container.id', required: true },
    ],
    steps: types.map((type, index) => ({ id: `s${index}`, type, inputs })),
  };
  try {
    playbookCatalogueFromText(JSON.stringify({ playbooks: [playbook] }), 'p.json');
    return { ok: true };
  } catch (error) {
    if (error instanceof PlaybookFileError) return { ok: false, problems: error.problems };
    throw error;
  }
}

describe('the evidence-first rule at load', () => {
  it('accepts an order exactly when every destructive step comes after every evidence step and after at least one', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...hostTypes), { minLength: 1, maxLength: 8 }), (types) => {
        const effects = types.map((type) => findActionType(type)?.effect);
        const lastEvidence = effects.lastIndexOf('evidence');
        const offending = effects.flatMap((effect, index) => (effect === 'destructive' && (lastEvidence === -1 || index < lastEvidence) ? [index] : []));
        const loaded = load(types);
        if (offending.length === 0) return loaded.ok;
        // Each offending step is named by its index and id, on its type, and nothing else is refused.
        return !loaded.ok && loaded.problems.length === offending.length && offending.every((index, position) => loaded.problems[position]?.startsWith(`playbooks[0] (ordered).steps[${index}] (s${index}).type: is ${types[index] ?? ''}, which destroys evidence`));
      }),
    );
  });

  it('does not count a preserving step as evidence', () => {
    expect(load(['pause-container', 'kill-container'])).toMatchObject({ ok: false });
    expect(load(['capture-process-state', 'pause-container', 'kill-container'])).toEqual({ ok: true });
  });
});
