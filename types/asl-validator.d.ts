// asl-validator ships no types. Belongs in types/ beside dynalite.d.ts; kept here while only these tests use it.
declare module 'asl-validator' {
  interface AslValidationOptions {
    /** Check that Task Resources are ARNs (off for a definition that still holds ${...} placeholders). */
    readonly checkArn?: boolean;
    readonly checkPaths?: boolean;
  }

  interface AslValidationResult {
    readonly isValid: boolean;
    readonly errors: readonly { readonly message?: string }[];
    errorsText(separator?: string): string;
  }

  function aslValidator(definition: object, options?: AslValidationOptions): AslValidationResult;
  export default aslValidator;
}
