/**
 * No Docker engine runs where the tests run: the Dockerfile is linted with dockerfile-utils (the
 * linter of the Docker language server; hadolint is not packaged for Debian or npm) and parsed with
 * dockerfile-ast to check what the image must be (DESIGN §7). docker-compose.yml is parsed as YAML.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { DockerfileParser, type Flag, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TEXT = readFileSync(`${ROOT}Dockerfile`, "utf8");
const dockerfile = DockerfileParser.parse(TEXT);
const instructions = dockerfile.getInstructions();

/** The instructions of each stage, FROM first. */
function stages(): Instruction[][] {
  const out: Instruction[][] = [];
  for (const i of instructions) {
    if (i.getKeyword() === "FROM") out.push([i]);
    else out.at(-1)?.push(i);
  }
  return out;
}
const args = (i: Instruction) => i.getArgumentsContent() ?? "";
/** A flag's value (COPY --from, HEALTHCHECK --timeout); the parser keeps flags out of the arguments. */
const flag = (i: Instruction, name: string) =>
  (i as unknown as { getFlags?(): Flag[] })
    .getFlags?.()
    .find((f) => f.getName() === name)
    ?.getValue() ?? undefined;
const final = stages().at(-1)!;
const finalOf = (keyword: string) => final.filter((i) => i.getKeyword() === keyword);
const finalEnv = new Map(
  dockerfile
    .getENVs()
    .filter((e) => final.includes(e))
    .flatMap((e) => e.getProperties().map((p) => [p.getName(), p.getValue() ?? ""] as const)),
);

describe("Dockerfile", () => {
  it("is clean for the linter (dockerfile-utils lint, the CLI and the API)", () => {
    expect(validate(TEXT)).toEqual([]);
    // The CLI exits 1 and prints the problems when there are any.
    expect(execFileSync(process.execPath, [`${ROOT}node_modules/dockerfile-utils/bin/dockerfile-utils`, "lint", `${ROOT}Dockerfile`], { encoding: "utf8" })).toBe("");
  });

  it("is multi-stage: a build stage (npm ci, build) and a runtime stage with production dependencies only", () => {
    const all = stages();
    expect(all.length).toBeGreaterThanOrEqual(2);
    const froms = dockerfile.getFROMs();
    for (const f of froms) {
      expect(f.getImageName()).toBe("node");
      expect(f.getImageTag()).toMatch(/^2[02]-[a-z]+-slim$/);
    }
    const runs = (stage: Instruction[]) =>
      stage
        .filter((i) => i.getKeyword() === "RUN")
        .map(args)
        .join("\n");
    const build = all.find((s) => /npm run build/.test(runs(s)));
    expect(build, "a stage runs npm run build").toBeDefined();
    expect(runs(build!)).toMatch(/npm ci\b/);
    // The runtime stage builds nothing, installs no dev dependency, and runs no install script
    // (`prepare` would build): node_modules comes from a stage that ran npm ci --omit=dev --ignore-scripts.
    expect(runs(final)).not.toMatch(/npm (ci|install|run)/);
    const copies = finalOf("COPY").map(args);
    const nodeModules = finalOf("COPY").find((c) => /node_modules/.test(args(c)))!;
    const from = flag(nodeModules, "from");
    expect(from).toBeDefined();
    const depsStage = all.find((s) => (s[0] as unknown as { getBuildStage(): string | null }).getBuildStage() === from);
    expect(runs(depsStage!)).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(finalOf("COPY").some((c) => flag(c, "from") === "build" && /^\/app\/dist /.test(args(c)))).toBe(true);
    expect(copies.some((c) => /^templates /.test(c))).toBe(true);
    // No source, tests or dev tooling copied into the runtime image.
    expect(copies.join("\n")).not.toMatch(/\bsrc\b|\btest\b|tsconfig/);
  });

  it("runtime: fonts, git and an init installed the lean way; non-root; HOST=0.0.0.0; NODE_ENV=production", () => {
    const apt = finalOf("RUN").map(args).join("\n");
    expect(apt).toMatch(/apt-get install -y --no-install-recommends [^\n]*fonts-dejavu-core/);
    expect(apt).toMatch(/install[^\n]*\bgit\b/);
    expect(apt).toMatch(/install[^\n]*\bca-certificates\b/);
    expect(apt).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
    expect(apt).not.toMatch(/apt-get (dist-)?upgrade/);
    const users = finalOf("USER").map(args);
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    // USER comes after every RUN of the final stage (nothing runs as root after it, the process never does).
    expect(final.lastIndexOf(finalOf("USER").at(-1)!)).toBeGreaterThan(final.lastIndexOf(finalOf("RUN").at(-1)!));
    expect(finalEnv.get("HOST")).toBe("0.0.0.0");
    expect(finalEnv.get("NODE_ENV")).toBe("production");
    expect(finalOf("EXPOSE").map(args)).toContain("3000");
  });

  it("HEALTHCHECK asks /healthz with node; CMD runs the server entry in exec form under tini", () => {
    const hc = dockerfile.getHEALTHCHECKs();
    expect(hc).toHaveLength(1);
    expect(final).toContain(hc[0]);
    expect(args(hc[0]!)).toMatch(/CMD \["node", "-e", ".*\/healthz/);
    expect(flag(hc[0]!, "timeout")).toMatch(/^\d+s$/);
    expect(flag(hc[0]!, "interval")).toMatch(/^\d+s$/);
    const cmd = dockerfile.getCMDs();
    expect(cmd).toHaveLength(1);
    expect(cmd[0]!.getJSONStrings().map((s) => s.getJSONValue())).toEqual(["node", "dist/server.js"]);
    expect(
      dockerfile
        .getENTRYPOINTs()[0]!
        .getJSONStrings()
        .map((s) => s.getJSONValue()),
    ).toEqual(["/usr/bin/tini", "--"]);
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe("node dist/server.js");
  });

  it("carries no secret: no ARG or ENV that looks like a credential, no ADD from URLs, .env and keys kept out of the context", () => {
    const secretish = /TOKEN|SECRET|PASSWORD|PASSWD|PRIVATE_KEY|CREDENTIAL|API_KEY|AWS_ACCESS|AWS_SECRET|NPM_AUTH/i;
    for (const a of dockerfile.getARGs()) expect(args(a)).not.toMatch(secretish);
    for (const e of dockerfile.getENVs()) for (const p of e.getProperties()) expect(p.getName()).not.toMatch(secretish);
    expect(instructions.filter((i) => i.getKeyword() === "ADD")).toEqual([]);
    expect(TEXT).not.toMatch(/\.npmrc|_authToken/);
    const ignore = readFileSync(`${ROOT}.dockerignore`, "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const must of [".env", "*.pem", "node_modules", ".git"]) expect(ignore).toContain(must);
  });
});

describe("docker-compose.yml", () => {
  interface Service {
    image?: string;
    build?: unknown;
    env_file?: string | string[];
    environment?: Record<string, string> | string[];
    deploy?: { replicas?: number };
    volumes?: string[];
    ports?: string[];
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: { test: string[] };
    stop_grace_period?: string;
  }
  const compose = parse(readFileSync(`${ROOT}docker-compose.yml`, "utf8")) as { services: Record<string, Service>; volumes?: Record<string, unknown> };
  const env = (s: Service) => (Array.isArray(s.environment) ? Object.fromEntries(s.environment.map((e) => e.split("=", 2) as [string, string])) : (s.environment ?? {}));

  it("Redis (official image, health-checked) and two mlreview replicas on it", () => {
    const redis = compose.services.redis!;
    expect(redis.image).toMatch(/^redis:\d/);
    expect(redis.healthcheck?.test).toContain("redis-cli");
    const bots = Object.values(compose.services).filter((s) => s.build !== undefined || s.image === "mlreview");
    const replicas = bots.reduce((n, s) => n + (s.deploy?.replicas ?? 1), 0);
    expect(replicas).toBe(2);
    for (const s of bots) {
      expect(env(s).REDIS_URL).toBe("redis://redis:6379");
      expect([s.env_file].flat()).toContain(".env");
      expect(s.depends_on?.redis?.condition).toBe("service_healthy");
      // Docker kills after 10 s by default; the server drains for up to 25 s.
      expect(Number.parseInt(s.stop_grace_period ?? "10", 10)).toBeGreaterThanOrEqual(26);
      // Images are served by any replica: the images directory is one shared named volume (not the repo caches).
      expect(s.volumes).toContain("images:/data/images");
      expect(s.volumes?.some((v) => /:\/data\/repos$|:\/data$/.test(v))).toBe(false);
    }
    expect(Object.keys(compose.volumes ?? {})).toContain("images");
  });
});
