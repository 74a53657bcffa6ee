/**
 * How an EC2 error decides the next step of a launch. Codes from the EC2 API error reference
 * (errors-overview) and the lists AWS ParallelCluster and terraform-aws-github-runner fail over on.
 */

/** Another instance type, subnet or market may succeed where this one did not. */
const CAPACITY = new Set([
  "InsufficientInstanceCapacity",
  "InsufficientCapacity",
  "InsufficientHostCapacity",
  "InsufficientReservedInstanceCapacity",
  "InsufficientCapacityOnHost",
  "InsufficientSpotInstanceCapacity",
  "UnfulfillableCapacity",
  "SpotMaxPriceTooLow",
  "MaxSpotInstanceCountExceeded",
  "InsufficientFreeAddressesInSubnet",
  // The type is not offered in this subnet's Availability Zone (or not as spot).
  "Unsupported",
  // Quotas are per instance family and per market: another type or on-demand may still fit, and
  // the quota frees up as our own runners end, so the caller requeues.
  "VcpuLimitExceeded",
  "InstanceLimitExceeded",
]);

/** Quotas that no other option in the same market can avoid: skip straight to the next market. */
const MARKET_WIDE = new Set(["MaxSpotInstanceCountExceeded"]);

const THROTTLING = new Set(["RequestLimitExceeded", "Throttling", "ThrottlingException", "RequestThrottled", "RequestThrottledException", "TooManyRequestsException", "SlowDown"]);

/** Server-side or network failures: the same request, with the same ClientToken, is safe to repeat. */
const TRANSIENT = new Set([
  "InternalError",
  "InternalFailure",
  "ServiceUnavailable",
  "Unavailable",
  "ServerInternal",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

export type ErrorClass = "capacity" | "throttling" | "transient" | "mismatch" | "fatal";

export interface Ec2Failure {
  code: string;
  kind: ErrorClass;
  marketWide: boolean;
  status: number | undefined;
  message: string;
}

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

export function classify(e: unknown): Ec2Failure {
  const err = (typeof e === "object" && e !== null ? e : {}) as SdkLikeError;
  const status = err.$metadata?.httpStatusCode;
  const named = [err.Code, err.code, err.name].find((v): v is string => typeof v === "string" && v !== "" && v !== "Error");
  const code = named ?? (status === undefined ? "NetworkError" : `HTTP${status}`);
  const message = typeof err.message === "string" ? err.message : String(e);
  let kind: ErrorClass;
  if (code === "IdempotentParameterMismatch") kind = "mismatch";
  else if (CAPACITY.has(code)) kind = "capacity";
  else if (THROTTLING.has(code) || status === 429) kind = "throttling";
  // A failure without an HTTP status is a network error only when it says so (an errno code);
  // anything else without one is a bug of ours and must not be retried as if EC2 had said no.
  else if (TRANSIENT.has(code) || (status !== undefined && status >= 500) || (status === undefined && typeof err.code === "string" && /^E[A-Z]+$/.test(err.code))) kind = "transient";
  else kind = "fatal";
  return { code, kind, marketWide: MARKET_WIDE.has(code), status, message };
}

/**
 * EC2 messages quote parameter values now and then; user data or anything that looks like a token
 * must never reach a log line or a comment through them.
 */
export function redact(message: string, secrets: readonly string[] = []): string {
  let out = message;
  for (const s of secrets) if (s.length >= 8) out = out.split(s).join("[redacted]");
  out = out.replace(/[A-Za-z0-9+/_-]{40,}={0,2}/g, "[redacted]");
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

/** Bounded exponential backoff with jitter: half fixed, half random, so retries spread but never collapse to 0. */
export function backoffMs(retry: number, baseMs = 500, capMs = 20_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** retry);
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
