/** Small pieces every HTTP API client here needs alike. */

export interface BasicAuth {
  username: string;
  password: string;
}

export function basicAuthorization(auth: BasicAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

/** Why a fetch threw, in a few words: "timed out", or the socket error ("connect ECONNREFUSED …"). */
export function fetchFailureReason(e: unknown): string {
  const err = e as Error & { cause?: Error };
  return err.name === 'TimeoutError' ? 'timed out' : (err.cause?.message ?? err.message);
}
