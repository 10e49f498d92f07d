export { SchemaForm } from './schema-form.tsx';
export { fieldsOf, inputsFrom, placeErrors, queryFrom, unknownQueryNames, valuesFromQuery, type FieldErrors, type FieldSpec, type FormValues } from './schema.ts';
