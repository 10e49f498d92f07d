/**
 * Which family's state machine runs each cloud action type. Plain data, so the API (which only
 * starts executions) needs none of the families' SDK clients; each family's file lists the same
 * types in its `actions`.
 */
export const cloudActionFamilyOfType: Readonly<Record<string, string>> = {
  'iam-quarantine': 'iam',
  'iam-unquarantine': 'iam',
};

/** The family that runs `type`, or undefined when no cloud family implements it yet. */
export function cloudActionFamilyOf(type: string): string | undefined {
  return Object.hasOwn(cloudActionFamilyOfType, type) ? cloudActionFamilyOfType[type] : undefined;
}
