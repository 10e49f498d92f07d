/**
 * The built-in prototypes' own properties, to tell whether a request polluted them in the process
 * serving it (the fuzzer runs the service in its own process).
 */
export function prototypeState(): Record<string, string[]> {
  const describe = (target: object): string[] =>
    Reflect.ownKeys(target).map((key) => {
      const descriptor = Object.getOwnPropertyDescriptor(target, key);
      const value: unknown = descriptor?.value;
      const shown = typeof value === 'function' ? `function ${value.name}` : typeof value === 'object' && value !== null ? 'object' : String(value);
      return `${String(key)}=${descriptor?.get === undefined ? shown : 'getter'}`;
    });
  return {
    object: describe(Object.prototype),
    array: describe(Array.prototype),
    function: describe(Function.prototype),
    string: describe(String.prototype),
  };
}
