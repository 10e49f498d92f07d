/** A timestamp in UTC as RFC 3339 (what the API and the logs say), with the local time on hover. */
export function Time({ value }: { readonly value: string | null | undefined }) {
  if (value === null || value === undefined) return <span>—</span>;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return <span>{value}</span>;
  return (
    <time dateTime={value} title={date.toLocaleString()}>
      {date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z')}
    </time>
  );
}
