import { fakeGcsBin } from "./helpers/fake-gcs.js";
import { ensureVenv } from "./helpers/python.js";
import { ensureRedisServer } from "./helpers/redis.js";

/**
 * Before any test file: the real peers the tests run against that take minutes to install the first
 * time on a machine and nothing after — the pinned Python ones (dvc, moto: test/helpers/python.ts) and
 * the pinned GCS emulator (a Go program: test/helpers/fake-gcs.ts), and Debian's redis-server. Here, one after the other, and not in
 * a beforeAll: the first install's minutes are charged to no test file's hook timeout and compete with
 * no running test for the two cores.
 */
export default function setup(): void {
  ensureVenv();
  fakeGcsBin();
  ensureRedisServer();
}
