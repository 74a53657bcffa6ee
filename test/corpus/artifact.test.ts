// Hostile CI artifact zips: each refused with a line naming the problem (readArtifact), and a bomb
// through a GitLab Pipeline Hook: the report is still posted, from the git files, with the refusal in it.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { createNodeMiddleware, Probot } from "probot";
import { afterAll, describe, expect, it } from "vitest";
import { zip } from "../helpers/zip.js";
import { createApp } from "../../src/app/index.js";
import { readArtifact } from "../../src/revisions/artifact.js";
import { forgeChange, recordUnexpectedRequests } from "../helpers/forge.js";
import { gitHttpServer } from "../helpers/git-http.js";
import { tempDir } from "../helpers/git-repo.js";
import { title } from "./cases.js";
import { timed } from "./helpers.js";
import { testPrivateKey } from "../helpers/keys.js";

/** Rename an entry everywhere it is stored, keeping its length (yazl refuses hostile names itself). */
const rename = (buf: Buffer, from: string, to: string) => Buffer.from(buf.toString("latin1").split(from).join(to), "latin1");

/** 60 MB of spaces deflated to ~60 KB: deflated once per file (a second or two), each use gets its own copy. */
let bombZip: Promise<Buffer> | undefined;
const bomb = async () => Buffer.from(await (bombZip ??= zip([{ name: "out/metrics.json", data: Buffer.alloc(60 * 1024 * 1024, 0x20) }])));

const CASES: { id: string; zip: () => Promise<Buffer>; error: RegExp | null }[] = [
  { id: "Z01", zip: bomb, error: /^artifact entry 'out\/metrics\.json' is 62914560 bytes, over the per-file limit$/ },
  {
    id: "Z02",
    zip: async () => rename(await zip([{ name: "aa/evil.json", data: "{}" }]), "aa/evil.json", "../evil.json"),
    error: /^not a valid zip: invalid relative path: \.\.\/evil\.json$|^artifact entry '\.\.\/evil\.json': path leaves the repository$/,
  },
  { id: "Z03", zip: async () => rename(await zip([{ name: "etc/passwd.json", data: "{}" }]), "etc/passwd.json", "/tc/passwd.json"), error: /^artifact entry '\/tc\/passwd\.json': absolute paths are not allowed$|absolute/ },
  { id: "Z04", zip: () => zip([{ name: "metrics.json", data: "/etc/passwd", mode: 0o120777 }]), error: /^artifact entry 'metrics\.json': symlinks are not accepted$/ },
  {
    id: "Z05",
    // 10,001 real entries take yazl seconds to write; the count readers trust is the end record's, so claim it there.
    zip: async () => {
      const z = await zip([{ name: "f.json", data: "" }]);
      const eocd = z.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
      z.writeUInt16LE(10_001, eocd + 8);
      z.writeUInt16LE(10_001, eocd + 10);
      return z;
    },
    error: /^artifact has 10001 entries, over the limit of 10000$/,
  },
  {
    id: "Z06",
    zip: async () => {
      const honest = await zip([{ name: "m.json", data: "x".repeat(5000) }]);
      const cd = honest.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
      const lying = Buffer.from(honest);
      lying.writeUInt32LE(10, cd + 24);
      return lying;
    },
    error: /too many bytes|size|invalid/i,
  },
  { id: "Z07", zip: async () => Buffer.from("<html>502 Bad Gateway</html>"), error: /^not a valid zip: / },
  {
    id: "Z08",
    zip: async () =>
      zip([
        { name: "inner.zip", data: await bomb() },
        { name: "metrics.json", data: '{"acc": 1}' },
      ]),
    error: null,
  },
  { id: "Z09", zip: async () => ((z) => z.subarray(0, z.length - 30))(await zip([{ name: "metrics.json", data: "x".repeat(10_000) }])), error: /^not a valid zip: / },
  { id: "Z10", zip: async () => rename(await zip([{ name: "aa/evil.json", data: "{}" }]), "aa/evil.json", "..\\evil.json"), error: /^not a valid zip: invalid characters in fileName: \.\.\\evil\.json$|^artifact entry '\.\.\\evil\.json': / },
];

describe("artifact zips: refused with one line, never extracted past the limits", () => {
  for (const c of CASES) {
    it(title(c.id), async () => {
      const { value: result, ms } = await timed(async () =>
        readArtifact(await c.zip()).then(
          (files) => ({ files }),
          (e: Error) => ({ error: e.message }),
        ),
      );
      expect(ms).toBeLessThan(10_000);
      if (c.error === null) {
        expect("files" in result && [...result.files.keys()]).toEqual(["inner.zip", "metrics.json"]);
      } else {
        expect("error" in result && result.error).toMatch(c.error);
        expect(("error" in result && result.error) || "").not.toContain("\n");
      }
    });
  }
});

// GitLab's git over HTTP on loopback, its API on the same origin mocked with nock.
const forge = await gitHttpServer();
afterAll(() => forge.close());

describe("a zip bomb through a GitLab Pipeline Hook", () => {
  const unexpected = recordUnexpectedRequests();
  const GITLAB = forge.origin;
  const API = `${GITLAB}/api/v4`;
  const SECRET = "hook-secret";
  const privateKey = testPrivateKey("pkcs8");

  it("Z01 end to end: the refusal is a line of the note, the git-side metrics are still reported", async () => {
    const files = (acc: string) => ({ ".gitlab/mlreview.yml": "metrics: [metrics.json, out/metrics.json]\nartifacts: {name: mlreview}\n", "metrics.json": `{"acc": ${acc}}` });
    const { bare, base, head } = forgeChange({ base: files("0.8"), head: files("0.9"), branch: "master", message: "better" });
    const hook = JSON.parse(readFileSync(new URL("../fixtures/gitlab/pipeline-hook.json", import.meta.url), "utf8")) as Record<string, any>;
    const project = hook.project.id as number;
    hook.object_attributes.sha = head;
    hook.merge_request.source_branch = "feature";
    hook.builds.push({ ...hook.builds[1], id: 381, name: "train", status: "success", artifacts_file: { filename: "mlreview.zip", size: 60_000 } });
    let note = "";
    nock(API)
      .get(`/projects/${project}`)
      .reply(200, { id: project, http_url_to_repo: forge.serve("group/repo.git", bare) })
      .get(`/projects/${project}/repository/merge_base`)
      .query(true)
      .reply(200, { id: base })
      .get(`/projects/${project}/jobs/381/artifacts`)
      // The head's artifact is refused: the base pipeline's artifact is never looked up.
      .reply(200, await bomb(), { "content-type": "application/zip" })
      .get("/user")
      .reply(200, { id: 77 })
      .get(`/projects/${project}/merge_requests/1/notes`)
      .query(true)
      .reply(200, [])
      .post(`/projects/${project}/merge_requests/1/notes`, (b: { body: string }) => ((note = b.body), true))
      .reply(201, { id: 9 })
      .post(`/projects/${project}/statuses/${head}`)
      .reply(201, {});
    const mlreview = createApp({ appId: 1, publicUrl: undefined, dataDir: tempDir(), imageKey: "k", gitlab: { url: GITLAB, token: "glpat-x", secret: SECRET } });
    const probot = new Probot({ appId: 1, privateKey, secret: "unused", logLevel: "fatal" });
    const middleware = await createNodeMiddleware(mlreview.app, { probot });
    const s = createServer((req, res) => void middleware(req, res, () => res.writeHead(404).end()));
    await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
    try {
      const res = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/gitlab/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-gitlab-event": "Pipeline Hook", "x-gitlab-token": SECRET },
        body: JSON.stringify(hook),
      });
      expect(res.status).toBe(200);
      await mlreview.idle();
    } finally {
      s.close();
    }
    expect(unexpected).toEqual([]);
    expect(note).toContain("| metrics.json | acc | 0.8 | 0.9 | ▲ +0.1 | +12.5% |");
    expect(note).toMatch(/- feature: artifact 'mlreview': artifact entry 'out\/metrics\.json' is 62914560 bytes, over the per-file limit/);
  });
});
