import { HttpApiError } from '../http/api-error.ts';

/** Every gateway failure carries the request and the answer, and says what to run next. */
export class GatewayError extends HttpApiError {
  override name = 'GatewayError';
}

/** 401: the basic-auth password was refused (or none was sent). */
export class GatewayAuthError extends GatewayError {
  override name = 'GatewayAuthError';
}

/** 404 on a named function (or a PUT for one that does not exist). */
export class FunctionNotFoundError extends GatewayError {
  override name = 'FunctionNotFoundError';
  constructor(
    readonly functionName: string,
    method: string,
    url: string,
    body: string,
  ) {
    super(`function ${functionName} not found at ${new URL(url).origin}; run: edgefaas deploy`, method, url, 404, body);
  }
}

/** The gateway could not be reached at all (refused, DNS, timeout). */
export class GatewayUnreachableError extends GatewayError {
  override name = 'GatewayUnreachableError';
}
