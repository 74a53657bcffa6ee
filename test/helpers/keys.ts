import { generateKeyPairSync, type KeyObject } from "node:crypto";

const KEY = Symbol.for("mlreview.test.rsaKey");

/**
 * A 2048-bit RSA private key (a GitHub App's, a GCS service account's), as PEM. One per test worker:
 * generating one costs 0.1–0.5 s of CPU and 27 files made their own; they need a valid key, not a
 * different one each.
 */
export function testPrivateKey(type: "pkcs8" | "pkcs1" = "pkcs8"): string {
  const g = globalThis as { [KEY]?: KeyObject };
  g[KEY] ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  return g[KEY].export({ type, format: "pem" }) as string;
}
