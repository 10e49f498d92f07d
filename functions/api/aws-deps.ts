// placeholder until the work starter and evidence store land; replaced in this session
export function apiDeps(): never {
  throw new Error('not wired');
}
