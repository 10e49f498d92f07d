import Box from '@cloudscape-design/components/box';
import Checkbox from '@cloudscape-design/components/checkbox';
import FormField from '@cloudscape-design/components/form-field';
import Input from '@cloudscape-design/components/input';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import { alternativesSentence, type FieldSpec, type FormValues } from './schema.ts';

export interface SchemaFormProps {
  readonly fields: readonly FieldSpec[];
  readonly values: FormValues;
  readonly onChange: (name: string, value: string | boolean) => void;
  /** The service's messages by input name (a 400's `errors[].path` placed by `placeErrors`). */
  readonly errors?: Readonly<Record<string, string>>;
  /** The inputs whose value came from the page address. */
  readonly prefilled?: ReadonlySet<string>;
  readonly disabled?: boolean;
}

const noValue: SelectProps.Option = { value: '', label: '(none)' };

/**
 * One labelled field per input of a JSON Schema: text, number, checkbox, choice or list. Each
 * field's label (its accessible name) is the input name itself, as API.md and the findings write it.
 */
export function SchemaForm({ fields, values, onChange, errors = {}, prefilled = new Set(), disabled = false }: SchemaFormProps) {
  if (fields.length === 0) return <Box>This takes no inputs.</Box>;
  return (
    <SpaceBetween size="l">
      {fields.map((field) => (
        <FormField
          key={field.name}
          label={field.name}
          description={field.description ?? undefined}
          constraintText={constraintOf(field, prefilled.has(field.name))}
          errorText={errors[field.name]}
          stretch
        >
          <FieldControl field={field} value={values[field.name]} onChange={onChange} disabled={disabled} invalid={errors[field.name] !== undefined} />
        </FormField>
      ))}
    </SpaceBetween>
  );
}

function FieldControl({
  field,
  value,
  onChange,
  disabled,
  invalid,
}: {
  readonly field: FieldSpec;
  readonly value: string | boolean | undefined;
  readonly onChange: (name: string, value: string | boolean) => void;
  readonly disabled: boolean;
  readonly invalid: boolean;
}) {
  const required = field.requirement.kind === 'required';
  switch (field.kind) {
    case 'boolean':
      return (
        <Checkbox
          checked={value === true}
          disabled={disabled}
          onChange={({ detail }) => {
            onChange(field.name, detail.checked);
          }}
        />
      );
    case 'enum': {
      const options: SelectProps.Option[] = [...(required ? [] : [noValue]), ...field.options.map((option) => ({ value: option, label: option }))];
      const text = typeof value === 'string' ? value : '';
      const selected = options.find((option) => option.value === text) ?? (text === '' ? null : { value: text, label: text });
      return (
        <Select
          selectedOption={selected}
          options={options}
          placeholder="Choose"
          disabled={disabled}
          invalid={invalid}
          ariaRequired={required}
          onChange={({ detail }) => {
            onChange(field.name, detail.selectedOption.value ?? '');
          }}
        />
      );
    }
    default:
      return (
        <Input
          type={field.kind === 'integer' || field.kind === 'number' ? 'number' : 'text'}
          inputMode={field.kind === 'integer' ? 'numeric' : field.kind === 'number' ? 'decimal' : undefined}
          value={typeof value === 'string' ? value : ''}
          placeholder={placeholderOf(field)}
          disabled={disabled}
          invalid={invalid}
          ariaRequired={required}
          spellcheck={false}
          autoComplete={false}
          onChange={({ detail }) => {
            onChange(field.name, detail.value);
          }}
        />
      );
  }
}

function placeholderOf(field: FieldSpec): string | undefined {
  if (field.defaultValue !== null) return `${JSON.stringify(field.defaultValue)} when empty`;
  if (field.format === 'date-time') return '2025-01-31T08:00:00Z';
  return undefined;
}

function constraintOf(field: FieldSpec, prefilled: boolean): string | undefined {
  const parts: string[] = [];
  if (field.requirement.kind === 'required') parts.push('Required.');
  if (field.requirement.kind === 'alternative') parts.push(`Required as one of the alternatives: ${alternativesSentence(field.requirement.groups) ?? ''}`);
  if (field.needs.length > 0) parts.push(`Needs ${field.needs.join(', ')}.`);
  if (field.kind === 'list') parts.push('A list: separate entries with commas.');
  if (field.kind === 'one-or-list') parts.push('One, or several separated by commas.');
  if (field.format === 'date-time') parts.push('RFC 3339 time.');
  if (field.defaultValue !== null) parts.push(`${JSON.stringify(field.defaultValue)} when left empty.`);
  if (prefilled) parts.push('Filled in from the page address.');
  return parts.length === 0 ? undefined : parts.join(' ');
}
