import nock from "nock";
import { afterAll, afterEach, beforeEach } from "vitest";

/**
 * Strict HTTP mocking for every test file (a vitest setupFiles entry; Renovate's test/http-mock.ts is
 * the model). The network is off but for loopback, where the tests run their own servers (git http,
 * moto, azurite, redis, MLflow, the bot itself). After each test, an interceptor nobody used or a
 * request no interceptor matched fails the test: a mock that is never called proves nothing, and a
 * call nobody expected is a behaviour nobody checked.
 *
 * Interceptors are recorded when nock registers them (Scope#add), not read back from nock.pendingMocks():
 * a file's own afterEach runs before this one and may have called nock.cleanAll(), and a
 * `scope.persist(false)` makes a used persisted interceptor look pending again.
 */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)(?::\d+)?$/i;
const isLoopback = (host: string) => LOOPBACK.test(host);

/** The parts of nock's Interceptor read here (lib/interceptor.js). */
interface Interceptor {
  _key: string;
  optional: boolean;
  counter: number;
  interceptionCounter: number;
}
interface Recorded {
  ic: Interceptor;
  persisted: boolean;
}
type Scope = { add(key: string, ic: Interceptor): void; _persist: boolean };
type NoMatch = { method?: string; host?: string; hostname?: string; path?: string; href?: string; options?: { host?: string; hostname?: string; path?: string } };

/** One state per process: the setup file runs again for each test file, nock (external) loads once. */
interface State {
  inTest: boolean;
  test: Recorded[];
  file: Recorded[];
  unexpected: string[];
}
const KEY = Symbol.for("mlreview.test.http-mock");
const holder = globalThis as { [KEY]?: State };
const state: State = (holder[KEY] ??= install());

function install(): State {
  const s: State = { inTest: false, test: [], file: [], unexpected: [] };
  const proto = Object.getPrototypeOf(nock("http://http-mock.invalid")) as Scope;
  const add = proto.add;
  proto.add = function (this: Scope, key: string, ic: Interceptor) {
    (s.inTest ? s.test : s.file).push({ ic, persisted: this._persist });
    return add.call(this, key, ic);
  };
  nock.emitter.on("no match", (req: NoMatch, options?: NoMatch) => {
    const o = options ?? req.options ?? {};
    const host = req.host ?? req.hostname ?? o.host ?? o.hostname ?? "";
    if (isLoopback(host)) return;
    s.unexpected.push(`${req.method ?? "GET"} ${req.href ?? `${host}${req.path ?? o.path ?? ""}`}`);
  });
  return s;
}

/** Never matched (a persisted one: not once), unless marked optionally(). */
const unused = (r: Recorded) => !r.ic.optional && (r.persisted ? r.ic.interceptionCounter === 0 : r.ic.counter > 0);

function offline(): void {
  nock.disableNetConnect();
  nock.enableNetConnect(isLoopback);
}

function check(recorded: Recorded[]): void {
  const never = recorded.filter(unused).map((r) => r.ic._key);
  const unexpected = [...state.unexpected];
  recorded.length = 0;
  state.unexpected.length = 0;
  nock.abortPendingRequests();
  nock.cleanAll();
  offline();
  const problems = [...(never.length ? [`HTTP mocks never used:\n  * ${never.join("\n  * ")}`] : []), ...(unexpected.length ? [`HTTP requests no mock matched:\n  * ${unexpected.join("\n  * ")}`] : [])];
  if (problems.length) throw new Error(problems.join("\n"));
}

offline();

beforeEach(() => {
  offline();
  state.test.length = 0;
  state.unexpected.length = 0;
  state.inTest = true;
});

afterEach(() => {
  state.inTest = false;
  check(state.test);
});

// Interceptors set up outside any test (module scope, beforeAll) must have been used by the file's end.
afterAll(() => check(state.file));
