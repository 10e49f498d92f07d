/**
 * Playbook definitions: the file format, the built-ins, the checks against the catalogue, and input
 * resolution. Without the YAML loader (load.ts), so what the functions import here bundles no `yaml`.
 */
export { builtInPlaybooks, loadShippedPlaybookCatalogue, maxPlaybooksFileBytes, PlaybookFileError, playbooksSha256Variable } from './catalogue.ts';
export { builtInPlaybooksAsWritten } from './built-in.ts';
export { validateRunInputs } from './run-inputs.ts';
export { conditionWords, resolveStep } from './resolve.ts';
export { categoriesOf, describePlaybook, resourcesAtStart } from './describe.ts';
export type { PlaybookAsWritten } from './file-schema.ts';
