/**
 * A form's fields read from the inputs' JSON Schema that `GET /v1/action-types` and
 * `GET /v1/playbooks` give (zod's `z.toJSONSchema`, draft 2020-12), and the way back from what a
 * person typed to the `inputs` object the service takes. The service validates every request; the
 * form only lays the fields out and sends values with the JSON types the schema names.
 */
import type { JsonSchema, JsonValue } from '../../api/types.ts';

/** The schema keywords the form reads beyond api/types.ts's (the catalogue's schemas carry them). */
export interface InputsSchema extends JsonSchema {
  readonly dependentRequired?: Readonly<Record<string, readonly string[]>>;
  readonly properties?: Readonly<Record<string, InputsSchema>>;
  readonly anyOf?: readonly InputsSchema[];
  readonly oneOf?: readonly InputsSchema[];
  readonly items?: InputsSchema;
}

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'enum' | 'list' | 'one-or-list';

/** How a field must be given: always, as one of a set of alternatives, or not at all. */
export type Requirement = { readonly kind: 'required' } | { readonly kind: 'optional' } | { readonly kind: 'alternative'; readonly groups: readonly (readonly string[])[] };

export interface FieldSpec {
  /** The input name, flat and dotted (`aws.resource.arn`): also the field's label. */
  readonly name: string;
  readonly kind: FieldKind;
  readonly description: string | null;
  readonly requirement: Requirement;
  /** The choices of an enum field. */
  readonly options: readonly string[];
  readonly format: string | null;
  /** What the service uses when the field is left empty. */
  readonly defaultValue: JsonValue | null;
  /** Other inputs this one needs (`dependentRequired`). */
  readonly needs: readonly string[];
}

/** What a person has typed, by input name: text for every field but a checkbox. */
export type FormValues = Readonly<Record<string, string | boolean>>;

/** The fields of an inputs object schema, in the schema's order. */
export function fieldsOf(schema: InputsSchema): FieldSpec[] {
  const required = new Set(schema.required ?? []);
  const groups = alternativeGroups(schema);
  return Object.entries(schema.properties ?? {}).map(([name, property]) => {
    const inGroups = groups.filter((group) => group.includes(name));
    const requirement: Requirement = required.has(name) ? { kind: 'required' } : inGroups.length > 0 ? { kind: 'alternative', groups } : { kind: 'optional' };
    return {
      name,
      kind: kindOf(property),
      description: property.description ?? null,
      requirement,
      options: enumOf(property),
      format: property.format ?? null,
      defaultValue: property.default ?? null,
      needs: schema.dependentRequired?.[name] ?? [],
    };
  });
}

/**
 * "One of them is required": zod writes a refinement that needs one set of inputs or another
 * (`container.id | container.name`; get-logs' host or pod) as a top-level `oneOf` or `anyOf` of
 * `{ required: [...] }`. Each group is the inputs one alternative needs.
 */
export function alternativeGroups(schema: InputsSchema): string[][] {
  const branches = [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
  return branches.map((branch) => [...(branch.required ?? [])]).filter((group) => group.length > 0);
}

/** The sentence that says which alternatives the schema accepts: `Give container.id, or container.name.` */
export function alternativesSentence(groups: readonly (readonly string[])[]): string | null {
  if (groups.length === 0) return null;
  return `Give ${groups.map((group) => group.join(' and ')).join(', or ')}.`;
}

function kindOf(property: InputsSchema): FieldKind {
  if (enumOf(property).length > 0) return 'enum';
  const branches = property.anyOf ?? property.oneOf ?? [];
  if (branches.some((branch) => typeOf(branch) === 'array') && branches.some((branch) => typeOf(branch) === 'string')) return 'one-or-list';
  switch (typeOf(property)) {
    case 'integer':
      return 'integer';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'list';
    default:
      return 'string';
  }
}

function typeOf(schema: InputsSchema): string | undefined {
  const { type } = schema;
  if (typeof type === 'string' || type === undefined) return type;
  return type.find((name) => name !== 'null');
}

function enumOf(property: InputsSchema): string[] {
  return (property.enum ?? []).filter((value): value is string => typeof value === 'string');
}

/** The values a page address carries (`/run?type=...&host.id=node-7`), for the fields the schema has. */
export function valuesFromQuery(fields: readonly FieldSpec[], query: URLSearchParams): Record<string, string | boolean> {
  const values: Record<string, string | boolean> = {};
  for (const field of fields) {
    const all = query.getAll(field.name);
    if (all.length === 0) continue;
    if (field.kind === 'boolean') values[field.name] = all[0] === 'true' || all[0] === '1';
    // A list may come as repeated parameters or as one comma-separated value.
    else values[field.name] = field.kind === 'list' || field.kind === 'one-or-list' ? all.join(', ') : (all[0] ?? '');
  }
  return values;
}

/** The query-string parameters that name none of the fields (shown, so a mistyped link is noticed). */
export function unknownQueryNames(fields: readonly FieldSpec[], query: URLSearchParams, reserved: readonly string[]): string[] {
  const names = new Set([...fields.map((field) => field.name), ...reserved]);
  return [...new Set([...query.keys()])].filter((name) => !names.has(name));
}

/** The entries of a list field: comma- or line-separated, blanks dropped. */
export function listEntries(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * The `inputs` object to send: empty fields left out, numbers as numbers, lists as arrays. Text that
 * is not a number is sent as typed, so the service's 400 names the field.
 */
export function inputsFrom(fields: readonly FieldSpec[], values: FormValues): Record<string, JsonValue> {
  const inputs: Record<string, JsonValue> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined) continue;
    if (typeof value === 'boolean') {
      if (value) inputs[field.name] = true;
      continue;
    }
    const text = value.trim();
    if (text === '') continue;
    switch (field.kind) {
      case 'integer':
      case 'number': {
        const number = Number(text);
        inputs[field.name] = Number.isFinite(number) ? number : text;
        break;
      }
      case 'list':
        inputs[field.name] = listEntries(text);
        break;
      case 'one-or-list': {
        const entries = listEntries(text);
        inputs[field.name] = entries.length === 1 ? (entries[0] ?? text) : entries;
        break;
      }
      default:
        inputs[field.name] = value;
    }
  }
  return inputs;
}

/** The values as query-string parameters (the form's own deep link). */
export function queryFrom(fields: readonly FieldSpec[], values: FormValues): [string, string][] {
  const pairs: [string, string][] = [];
  for (const field of fields) {
    const value = values[field.name];
    if (value === undefined || value === false || value === '') continue;
    pairs.push([field.name, String(value)]);
  }
  return pairs;
}

export interface FieldErrors {
  /** Messages by input name. */
  readonly byField: Readonly<Record<string, string>>;
  /** Messages about the inputs as a whole (`inputs`: an alternative missing) or a path no field has. */
  readonly other: readonly { readonly path: string; readonly message: string }[];
}

/**
 * A problem's `errors` placed on the fields: `inputs.process.id` (or `inputs.<name>[2]` for a
 * list's entry) belongs to the field `process.id`. Names are dotted, so the longest field name the
 * path starts with wins.
 */
export function placeErrors(fields: readonly FieldSpec[], errors: readonly { readonly path: string; readonly message: string }[], prefix = 'inputs.'): FieldErrors {
  const byField: Record<string, string> = {};
  const other: { path: string; message: string }[] = [];
  const names = fields.map((field) => field.name).sort((a, b) => b.length - a.length);
  for (const error of errors) {
    const rest = error.path.startsWith(prefix) ? error.path.slice(prefix.length) : null;
    const name = rest === null ? undefined : names.find((candidate) => rest === candidate || rest.startsWith(`${candidate}[`) || rest.startsWith(`${candidate}.`));
    if (name === undefined || rest === null) {
      other.push(error);
      continue;
    }
    const where = rest === name ? '' : `${rest.slice(name.length)}: `;
    byField[name] = byField[name] === undefined ? `${where}${error.message}` : `${byField[name]}; ${where}${error.message}`;
  }
  return { byField, other };
}
