/**
 * The `{name}` segments of an API Gateway route path (`/v1/actions/{id}/undo`) in a request path,
 * percent-decoded; undefined when the path is not this route's. For tests that call the route
 * handlers directly, as API Gateway would, without the local HTTP server.
 */
export function routePathParameters(template: string, path: string): Record<string, string> | undefined {
  const names = template.split('/');
  const parts = path.split('/');
  if (names.length !== parts.length) return undefined;
  const parameters: Record<string, string> = {};
  for (const [index, name] of names.entries()) {
    const part = parts[index] ?? '';
    if (name.startsWith('{')) parameters[name.slice(1, -1)] = decodeURIComponent(part);
    else if (name !== part) return undefined;
  }
  return parameters;
}
