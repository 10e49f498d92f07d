/** The part of a CloudFront Functions viewer-request event the console's function reads and writes. */
export interface CloudFrontRequest {
  uri: string;
}
export type ViewerRequestHandler = (event: { request: CloudFrontRequest }) => CloudFrontRequest;

/** Runs a CloudFront Function's code as CloudFront does: plain JavaScript defining `handler`. */
export function viewerRequestHandler(code: string): ViewerRequestHandler {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the code under test is the template's own text
  const define = new Function(`${code}\nreturn handler;`) as () => ViewerRequestHandler;
  return define();
}
