import nock from "nock";
import { afterEach, beforeEach } from "vitest";

/**
 * Strict HTTP mocking for every test file (a vitest setupFiles entry; Renovate's test/http-mock.ts is
 * the model). The network is off but for loopback, where the tests run their own servers (git http,
 * moto, azurite, redis, MLflow, the bot itself). After each test, an interceptor nobody used or a
 * request no interceptor matched fails the test: a mock that is never called proves nothing, and a
 * call nobody expected is a behaviour nobody checked.
 *
 * Files still doing their own `nock.cleanAll()` in an afterEach (or mid-test) are checked too: that
 * afterEach runs before this one, so cleanAll is wrapped to keep what it discards.
 */

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[?::1\]?)(?::\d+)?$/i;
const isLoopback = (host: string) => LOOPBACK.test(host);

type NoMatch = { method?: string; host?: string; hostname?: string; path?: string; href?: string; options?: { host?: string; hostname?: string; path?: string } };

/** One state per process: the setup file runs again for each test file, nock (external) loads once. */
interface State {
  unused: string[];
  unexpected: string[];
  cleanAll: typeof nock.cleanAll;
}
const KEY = Symbol.for("mlreview.test.http-mock");
const holder = globalThis as { [KEY]?: State };
const state: State = (holder[KEY] ??= install());

function install(): State {
  const s: State = { unused: [], unexpected: [], cleanAll: nock.cleanAll.bind(nock) };
  nock.cleanAll = () => {
    s.unused.push(...nock.pendingMocks());
    return s.cleanAll();
  };
  nock.emitter.on("no match", (req: NoMatch, options?: NoMatch) => {
    const o = options ?? req.options ?? {};
    const host = req.host ?? req.hostname ?? o.host ?? o.hostname ?? "";
    if (isLoopback(host)) return;
    const url = req.href ?? `${host}${req.path ?? o.path ?? ""}`;
    s.unexpected.push(`${req.method ?? "GET"} ${url}`);
  });
  return s;
}

function offline(): void {
  nock.disableNetConnect();
  nock.enableNetConnect(isLoopback);
}

offline();

beforeEach(() => {
  offline();
  state.unused.length = 0;
  state.unexpected.length = 0;
});

afterEach(() => {
  const unused = [...state.unused, ...nock.pendingMocks()];
  const unexpected = [...state.unexpected];
  nock.abortPendingRequests();
  state.cleanAll();
  state.unused.length = 0;
  state.unexpected.length = 0;
  offline();
  const problems = [
    ...(unused.length ? [`HTTP mocks never used:\n  * ${unused.join("\n  * ")}`] : []),
    ...(unexpected.length ? [`HTTP requests no mock matched:\n  * ${unexpected.join("\n  * ")}`] : []),
  ];
  if (problems.length) throw new Error(problems.join("\n"));
});
