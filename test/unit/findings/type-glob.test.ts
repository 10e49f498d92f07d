import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTypeGlob, matchesAnyType, matchesTypeGlob, typeGlobProblem } from '#shared/findings/index.ts';

describe("rules' type globs", () => {
  it.each<[string, string, boolean]>([
    ['UnauthorizedAccess:IAMUser/*', 'UnauthorizedAccess:IAMUser/TorIPCaller', true],
    ['UnauthorizedAccess:IAMUser/*', 'UnauthorizedAccess:EC2/TorClient', false],
    ['CredentialAccess:*', 'CredentialAccess:IAMUser/AnomalousBehavior', true],
    ['*:Kubernetes/*', 'Execution:Kubernetes/ExecInKubeSystemPod', true],
    ['*:Runtime/*', 'CryptoCurrency:Runtime/BitcoinTool.B', true],
    ['*:Runtime/*', 'CryptoCurrency:EC2/BitcoinTool.B!DNS', false],
    ['Backdoor:EC2/C&CActivity.B!DNS', 'Backdoor:EC2/C&CActivity.B!DNS', true],
    ['Backdoor:EC2/C&CActivity.B', 'Backdoor:EC2/C&CActivity.B!DNS', false],
    ['S3.2', 'S3.2', true],
    ['S3.*', 'S3.12', true],
    ['S3.2', 'S3x2', false],
    ['*', '', true],
    ['**', 'anything/at:all', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'acb', false],
    ['ab*ba', 'aba', false],
    ['Terminal shell in container', 'Terminal shell in container', true],
  ])('%s against %s: %s', (pattern, type, expected) => {
    expect(matchesTypeGlob(pattern, type)).toBe(expected);
  });

  it('regular expression characters match only themselves', () => {
    expect(matchesTypeGlob('a.c', 'abc')).toBe(false);
    expect(matchesTypeGlob('(a|b)+', 'a')).toBe(false);
    expect(matchesTypeGlob('(a|b)+', '(a|b)+')).toBe(true);
    expect(matchesTypeGlob('[x]?$^\\', '[x]?$^\\')).toBe(true);
    expect(matchesTypeGlob('.*', 'anything')).toBe(false);
  });

  it('agrees with an escaped regular expression on random globs and types (the oracle is built only in the test)', () => {
    const alphabet = fc.constantFrom('a', 'b', ':', '/', '.', '*', '(', '+');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, minLength: 1, maxLength: 12 }), fc.string({ unit: alphabet, maxLength: 16 }), (pattern, type) => {
        fc.pre(typeGlobProblem(pattern) === null);
        const oracle = new RegExp(`^${pattern.split('*').map((piece) => piece.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 's');
        expect(matchesTypeGlob(pattern, type)).toBe(oracle.test(type));
      }),
      { numRuns: 3000 },
    );
  });

  it('a pathological glob against a long type is answered in linear work (no backtracking)', () => {
    // Prepare: the shape that makes a backtracking matcher explode
    const matches = compileTypeGlob('*a*a*a*a*a*a*a*b');
    const type = 'a'.repeat(100_000);

    // Act / Assess
    expect(matches(type)).toBe(false);
  });

  it.each<[string, string]>([
    ['', 'must not be empty; use "*" to match every type'],
    ['x'.repeat(257), 'must be at most 256 characters long'],
    ['a*b*c*d*e*f*g*h*i*j', "must have at most 8 '*'"],
    ['tab\there', 'must be printable ASCII: finding types never hold other characters'],
  ])('refuses %j: %s', (pattern, problem) => {
    expect(typeGlobProblem(pattern)).toBe(problem);
    expect(() => compileTypeGlob(pattern)).toThrow(RangeError);
  });

  it('matchesAnyType: any glob against any of the finding types (ASFF types and the control id)', () => {
    const types = ['S3.2', 'Effects/Data Exposure/AWS-Foundational-Security-Best-Practices'];
    expect(matchesAnyType(['EC2.*', 'S3.2'], types)).toBe(true);
    expect(matchesAnyType(['Effects/Data Exposure/*'], types)).toBe(true);
    expect(matchesAnyType(['EC2.*'], types)).toBe(false);
    expect(matchesAnyType([], types)).toBe(false);
  });
});
