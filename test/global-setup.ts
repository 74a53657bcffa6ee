import { ensureVenv } from "./helpers/python.js";

/**
 * Before any test file: the pinned Python peers (dvc, moto) the differential tests run against, in a
 * virtualenv made once per pin list and reused after (test/helpers/python.ts). Here and not in a
 * beforeAll, so that the first install's minutes are not charged to one test file's hook timeout.
 */
export default function setup(): void {
  ensureVenv();
}
