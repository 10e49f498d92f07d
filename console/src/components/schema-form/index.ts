export { SchemaForm, type SchemaFormProps } from './schema-form.tsx';
export {
  alternativeGroups,
  alternativesSentence,
  fieldsOf,
  inputsFrom,
  listEntries,
  placeErrors,
  queryFrom,
  unknownQueryNames,
  valuesFromQuery,
  type FieldErrors,
  type FieldKind,
  type FieldSpec,
  type FormValues,
  type InputsSchema,
  type Requirement,
} from './schema.ts';
