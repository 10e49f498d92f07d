/** Playbook definitions: the file format, the built-ins, the checks against the catalogue, and input resolution. */
export { builtInPlaybooks, loadPlaybookCatalogue, maxPlaybooksFileBytes, PlaybookFileError, playbookCatalogueFromText } from './load.ts';
export { builtInPlaybooksAsWritten } from './built-in.ts';
export { validateRunInputs } from './run-inputs.ts';
export { conditionWords, resolveStep } from './resolve.ts';
export { categoriesOf, describePlaybook, resourcesAtStart } from './describe.ts';
export type { PlaybookAsWritten } from './file-schema.ts';
