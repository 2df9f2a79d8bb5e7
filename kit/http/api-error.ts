/** A failed HTTP API call, carrying the request and the answer: the base of each client's errors. */
export class HttpApiError extends Error {
  constructor(
    message: string,
    readonly method: string,
    readonly url: string,
    readonly status: number | undefined,
    readonly body: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
