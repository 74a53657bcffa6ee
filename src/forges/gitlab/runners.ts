import { z } from "zod";
import type { ForgeRunners } from "../../runners/platform.js";

// Stub on the gitlab branch only: the runners helper's src/forges/gitlab/runners.ts replaces this file.

/** A Job Hook as GitLab sent it; the runner service reads the fields it needs. */
export const runnerTaskSchema = z.object({}).passthrough();

export const runners: ForgeRunners<z.infer<typeof runnerTaskSchema>> | undefined = undefined;
