import { setMaxListeners } from "node:events";

/** Render time of one report, waiting for a worker included: what is still undrawn past it is listed. */
export const RENDER_BUDGET_MS = 60_000;

/**
 * One report's share of the render pool: its tenant (the pool takes turns between tenants, so that
 * one report's slow plots do not hold up the others) and its render budget, shared by its plots and
 * its SVG images. Renders still waiting or running when the budget is spent are cancelled.
 */
export class RenderBudget {
  /** The pool's tenant: this object's identity. */
  readonly tenant: object = {};
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;

  /** `Infinity`: no budget (the CLI's `plots diff`, where the user waits for their own plots only). */
  constructor(readonly ms: number = RENDER_BUDGET_MS) {
    this.timer = Number.isFinite(ms) ? setTimeout(() => this.controller.abort(), ms) : undefined;
    // Every queued render of the report listens to it: many listeners are expected, not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get spent(): boolean {
    return this.controller.signal.aborted;
  }

  /** The line in place of what was not drawn. */
  get message(): string {
    return `not drawn: the report's render budget of ${this.ms / 1000} s was used up`;
  }

  close(): void {
    clearTimeout(this.timer);
  }
}
