import type { IncomingMessage, ServerResponse } from "node:http";
import type { Probot } from "probot";
import type { z } from "zod";
import type { AppSettings } from "../app/settings.js";
import type { Publish } from "../report/index.js";
import type { ForgeRunners } from "../runners/platform.js";
import type { ImageStore } from "./image-store.js";

/**
 * What the rest of mlreview knows of a code forge. Each forge is one folder under src/forges/<id>/
 * whose index.ts exports one ForgeModule, registered by id in src/forges/registry.ts (Renovate's
 * lib/modules/platform/ is the model). Nothing outside src/forges/ imports a forge folder.
 */
export type ForgeId = string;

export interface ChangeRequest {
  /** "owner/name" on GitHub, the numeric project id (as a string) on GitLab. */
  repo: string;
  /** Pull request number / merge request iid. */
  number: number;
  headSha: string;
  baseRef: string;
}

export interface CheckResult {
  conclusion: "success" | "failure" | "neutral";
  /** One line. */
  title: string;
  /** Markdown. */
  summary: string;
}

/** Where git fetches the change from, and with what; the token goes to `forgeOrigin` only. */
export interface CloneAccess {
  url: string;
  forgeOrigin: string;
  token: string;
  /** Basic-auth user for git and LFS: "x-access-token" (GitHub apps), "oauth2" (GitLab). */
  username: string;
}

/**
 * Results a CI run produced for the two sides; undefined when this run is not the one the repository
 * asked for. `sides.base` is the merge-base commit; without a base artifact, `baseMissing` says why in
 * one report line (the base's committed files are compared instead).
 */
export type ArtifactSource = (wanted: { name: string; workflow?: string }, sides: { base: string }, signal: AbortSignal) => Promise<{ base?: Map<string, Buffer>; head: Map<string, Buffer>; baseMissing?: string } | undefined>;

/**
 * The forge's side of one review, bound to that change request and its credentials: everything the
 * forge-neutral review step (src/review/) asks of a forge. Every call takes the task's deadline.
 */
export interface ReviewSession {
  readonly cr: ChangeRequest;
  readonly labels: { base: string; head: string };
  /** Where the change forked from its target branch (GitHub's compare API, GitLab's merge_base). */
  mergeBase(signal: AbortSignal): Promise<string>;
  /** Asked after mergeBase: on GHE the installation token is minted by the first API call. */
  clone(signal: AbortSignal): Promise<CloneAccess>;
  /** The forge's own LFS batch endpoint for its clone URL; undefined: LFS pointers are reported, not resolved. */
  lfsEndpoint(clone: CloneAccess): string | undefined;
  /** CI results of this review's run, when the task came from a CI run (workflow_run, Pipeline Hook). */
  artifacts?: ArtifactSource;
  /** Where images go; undefined: plots are listed, not drawn. */
  publish: Publish | undefined;
  /** Runs after the report is built and before it is posted (e.g. committing images to a branch). */
  beforePost?(signal: AbortSignal): Promise<void>;
  /** The one report comment of the change: found by its marker on any page, edited, or created. */
  upsertReport(body: string, signal: AbortSignal): Promise<{ id: number; action: "created" | "updated" | "unchanged" }>;
  /** The "mlreview" check (GitHub check run, GitLab commit status) on the head commit. */
  setCheck(result: CheckResult, signal: AbortSignal): Promise<void>;
}
/** A forge-neutral task as the forge's listener submits it; the queue adds nothing. */
export interface ForgeTask<D = unknown> {
  kind: "review" | "runner";
  /** The module's registry id. */
  forge: ForgeId;
  key: string;
  version: string;
  delivery?: string;
  tenant?: string;
  data: D;
}

/** Enough of a schema to validate a task's data when it comes off the queue (zod). */
export type Schema<T> = z.ZodType<T>;

/** The server a forge module plugs into: it only turns deliveries into tasks here. */
export interface ForgeHost {
  readonly settings: AppSettings;
  readonly probot: Probot;
  /** Adds an HTTP handler to Probot's server (GitLab's /gitlab/webhook); undefined under `probot run` without one. */
  readonly addHandler: ((handler: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>) => void) | undefined;
  /** Queue a task of this forge (any replica runs it). */
  submit(task: ForgeTask): Promise<void>;
  /** Small shared memory (the newest head of a pull request), in-process or in Redis. */
  remember(name: string, value: string): Promise<void>;
  recall(name: string): Promise<string | undefined>;
  /** The server's image store (MLREVIEW_IMAGES=serve with a public URL), shared by every forge. */
  readonly images: ImageStore | undefined;
  readonly log: Probot["log"];
}

/** One forge. Adding a forge adds a folder exporting one of these and one line in registry.ts. */
export interface ForgeModule<R = unknown, J = unknown> {
  readonly id: ForgeId;
  /** Where this forge's repositories may keep the mlreview config, first found wins (DESIGN §2). */
  readonly configFiles: readonly string[];
  /** Is a local checkout one of this forge's projects (its CI file, its remote's host)? The CLI reads its config files then. */
  claims(project: { remoteUrl: string | undefined; hasFile(path: string): Promise<boolean> }): Promise<boolean>;
  /** Configured by the operator (credentials set)? */
  enabled(settings: AppSettings): boolean;
  /** Each task kind's data, validated when a task is taken off the queue. */
  readonly schemas: { review: Schema<R>; runner: Schema<J> };
  /** Subscribe to the forge's events (Probot handlers, an HTTP route); handlers only submit tasks. */
  listen(host: ForgeHost): void;
  /** The forge side of one review task. */
  review(data: R, host: ForgeHost, signal: AbortSignal): Promise<ReviewSession>;
  /** GPU runners on this forge (JIT config, glrt token), when it has them. */
  readonly runners?: ForgeRunners<J>;
}
