import type { Profile } from "./config.js";
import type { Forge } from "./launch-plan.js";

/** A runner registered for one job: its forge-side id (to delete it later) and the instance's user data. */
export type Registration = { runnerId: number; userData: string } | { skipped: string };

/**
 * One job's forge, bound to that job's repository or project and credentials: everything the runner
 * service asks GitHub or GitLab. The scheduler, the EC2 layer, the tags and the reaper are shared.
 */
export interface RunnerPlatform {
  readonly name: Forge;
  /** The guard that needs the forge (jobs of fork pull/merge requests); undefined when the job may have a runner. */
  refusal(): Promise<string | undefined>;
  /** Create the job's runner on the forge. `skipped` when another delivery or replica already did. */
  register(o: { runnerName: string; labels: string[]; profile: Profile }): Promise<Registration>;
  /** Remove a runner registration (404 is fine). */
  deregister(runnerId: number): Promise<void>;
}

/**
 * The runner side of a forge module (defined by the runners service; implemented in src/forges/<id>/).
 * Placeholder until the runners rework fills it in.
 */
export interface ForgeRunners<J = unknown> {
  readonly forge: Forge;
  /** @internal phantom use of J */
  readonly _data?: J;
}
