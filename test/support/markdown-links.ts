/** A relative link in a markdown text: its target (decoded, without #fragment or title) and line. */
export interface MarkdownLink {
  readonly target: string;
  readonly line: number;
}

const inlineLink = /!?\[[^\]]*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g;
const referenceDefinition = /^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/;
const htmlAttribute = /\b(?:src|href)\s*=\s*"([^"]*)"/g;

/**
 * The relative links of a markdown text: inline links and images, reference definitions, and
 * HTML `src`/`href`; not in fenced code or code spans, not URLs with a scheme, not bare anchors.
 */
export function relativeLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(raw)?.[1];
    if (marker !== undefined) {
      if (fence === undefined) fence = marker[0];
      else if (marker.startsWith(fence)) fence = undefined;
      return;
    }
    if (fence !== undefined) return;
    const line = raw.replace(/(`+)[^`]*?\1/g, '');
    const targets: string[] = [];
    for (const match of line.matchAll(inlineLink)) targets.push(match[1] ?? '');
    const definition = referenceDefinition.exec(line)?.[1];
    if (definition !== undefined) targets.push(definition);
    for (const match of line.matchAll(htmlAttribute)) targets.push(match[1] ?? '');
    for (const target of targets) {
      const unwrapped = target.startsWith('<') && target.endsWith('>') ? target.slice(1, -1) : target;
      if (unwrapped === '' || unwrapped.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(unwrapped) || unwrapped.startsWith('//')) continue;
      const path = unwrapped.split('#')[0]?.split('?')[0] ?? '';
      if (path === '') continue;
      links.push({ target: safeDecode(path), line: index + 1 });
    }
  });
  return links;
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
