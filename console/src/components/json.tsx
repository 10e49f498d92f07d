import Box from '@cloudscape-design/components/box';
import type { JsonValue } from '../api/types.ts';

/**
 * A JSON value as indented text. Whatever a responder or a target reported is shown as text only,
 * never as markup or a link: it is untrusted.
 */
export function JsonView({ value, label }: { readonly value: JsonValue | undefined; readonly label: string }) {
  if (value === undefined || value === null) return <Box color="text-status-inactive">none</Box>;
  return (
    <pre className="ra-json" aria-label={label} tabIndex={0}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
