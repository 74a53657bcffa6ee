import type { RunnersConfig } from "./config.js";
import { profileNamed } from "./config.js";

/**
 * Runner capacity shared by every replica: `max_instances` (global and per profile) counts slots, one
 * per job that is launching or has an instance, wherever the job is handled. With REDIS_URL the slots
 * live in Redis (capacity-redis.ts); without it in this process, which is then the only replica. Either
 * way the EC2 tags are the truth: every reaper pass reconciles the slots with the instances it listed.
 */
export interface SlotRequest {
  key: string;
  profile: string;
  /** Oldest first across replicas: a job queued earlier gets a free slot before a later one. */
  queuedAt: number;
}

export interface Grant {
  granted: Set<string>;
  /** Jobs that hold a slot already, taken by another replica (a redelivery there): not ours to launch. */
  taken: Set<string>;
}

export interface LiveSlot {
  key: string;
  profile: string;
}

export interface Capacity {
  /**
   * Register (or renew) these jobs as waiting and grant slots to those that come first in the global
   * oldest-first order within the limits. The in-process capacity answers at once (no promise), so
   * that one replica decides and starts a launch in the same turn as the event that asked for it.
   */
  acquire(jobs: readonly SlotRequest[]): Grant | Promise<Grant>;
  /** The job's instance exists: its slot now lasts as long as the reaper sees the instance. */
  confirm(slot: LiveSlot): Promise<void>;
  /** The job's slot (or waiting place) is free: its instance ended, its launch failed or was not needed. */
  release(key: string): Promise<void>;
  /** Every live managed instance, as the reaper just listed them: they hold slots, nothing else does for long. */
  reconcile(live: readonly LiveSlot[]): Promise<void>;
  /**
   * Called when any replica frees a slot, so that waiting jobs here try again at once; with the job's
   * key when a job's slot was released (its instance ended, wherever that was noticed).
   */
  onFreed(listener: (key: string | undefined) => void): void;
  close(): Promise<void>;
}

/**
 * A launching slot of a replica that died mid-launch comes back after this long (or as soon as the
 * reaper sees its instance, which then holds it). Covers the JIT config and RunInstances with retries.
 */
export const LAUNCH_LEASE_MS = 10 * 60_000;
/**
 * A slot whose instance the reaper (every minute, on any replica) has not seen for this long is free:
 * a replica that died cannot keep capacity away from the others.
 */
export const INSTANCE_LEASE_MS = 10 * 60_000;
/**
 * DescribeInstances is eventually consistent: an instance launched this recently may not be listed
 * yet, so the reaper does not free its slot for missing from a listing.
 */
export const RECONCILE_GRACE_MS = 2 * 60_000;
/** A waiting job that its replica stopped renewing (the replica died) no longer holds its place in line. */
export const WAIT_LEASE_MS = 3 * 60_000;

export interface Leases {
  launchMs: number;
  instanceMs: number;
  graceMs: number;
  waitMs: number;
}

export const LEASES: Leases = { launchMs: LAUNCH_LEASE_MS, instanceMs: INSTANCE_LEASE_MS, graceMs: RECONCILE_GRACE_MS, waitMs: WAIT_LEASE_MS };

export interface Limits {
  max: number;
  /** Per-profile max_instances; a profile absent here is bounded by `max` alone. */
  profiles: Record<string, number>;
}

export function limitsOf(config: RunnersConfig): Limits {
  // No prototype: profile names are keys here, and serialised as they are for Redis's script.
  const profiles = Object.create(null) as Record<string, number>;
  for (const name of Object.keys(config.profiles)) {
    const limit = profileNamed(config, name)?.max_instances;
    if (limit !== undefined) profiles[name] = limit;
  }
  return { max: config.max_instances, profiles };
}

interface Slot {
  profile: string;
  state: "launching" | "held";
  since: number;
  expires: number;
}

interface Waiter {
  profile: string;
  queuedAt: number;
  expires: number;
}

/**
 * The slots in this process: the same rules as Redis's script (capacity-redis.ts), for one replica.
 * Maps, not objects: keys come from payloads (repository names).
 */
export class MemoryCapacity implements Capacity {
  private readonly slots = new Map<string, Slot>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly listeners: ((key: string | undefined) => void)[] = [];
  private readonly limits: Limits;

  constructor(
    config: RunnersConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.limits = limitsOf(config);
  }

  acquire(jobs: readonly SlotRequest[]): Grant {
    const now = this.now();
    for (const [k, w] of this.waiters) if (w.expires <= now) this.waiters.delete(k);
    const counts = new Map<string, number>();
    let total = 0;
    for (const [k, s] of this.slots) {
      if (s.expires <= now) this.slots.delete(k);
      else {
        total++;
        counts.set(s.profile, (counts.get(s.profile) ?? 0) + 1);
      }
    }
    const mine = new Set<string>();
    const taken = new Set<string>();
    for (const j of jobs) {
      if (this.slots.has(j.key)) {
        taken.add(j.key);
        continue;
      }
      const w = this.waiters.get(j.key);
      this.waiters.set(j.key, { profile: j.profile, queuedAt: w?.queuedAt ?? j.queuedAt, expires: now + WAIT_LEASE_MS });
      mine.add(j.key);
    }
    const granted = new Set<string>();
    if (total >= this.limits.max || mine.size === 0) return { granted, taken };
    const line = [...this.waiters].sort((a, b) => a[1].queuedAt - b[1].queuedAt || (a[0] < b[0] ? -1 : 1));
    for (const [k, w] of line) {
      if (total >= this.limits.max) break;
      const c = counts.get(w.profile) ?? 0;
      const limit = Object.hasOwn(this.limits.profiles, w.profile) ? this.limits.profiles[w.profile]! : Infinity;
      if (c >= limit) continue;
      counts.set(w.profile, c + 1);
      total++;
      if (!mine.has(k)) continue; // an older job of another replica: its place is kept for it
      this.waiters.delete(k);
      this.slots.set(k, { profile: w.profile, state: "launching", since: now, expires: now + LAUNCH_LEASE_MS });
      granted.add(k);
    }
    return { granted, taken };
  }

  async confirm(slot: LiveSlot): Promise<void> {
    const now = this.now();
    this.slots.set(slot.key, { profile: slot.profile, state: "held", since: now, expires: now + INSTANCE_LEASE_MS });
  }

  async release(key: string): Promise<void> {
    this.waiters.delete(key);
    if (this.slots.delete(key)) this.freed(key);
  }

  async reconcile(live: readonly LiveSlot[]): Promise<void> {
    const now = this.now();
    const seen = new Set<string>();
    for (const l of live) {
      seen.add(l.key);
      this.waiters.delete(l.key);
      const s = this.slots.get(l.key);
      this.slots.set(l.key, { profile: l.profile, state: "held", since: s?.since ?? now, expires: now + INSTANCE_LEASE_MS });
    }
    let dropped = false;
    for (const [k, s] of this.slots) {
      if (seen.has(k) || s.state !== "held" || s.since + RECONCILE_GRACE_MS > now) continue;
      this.slots.delete(k);
      dropped = true;
    }
    if (dropped) this.freed(undefined);
  }

  onFreed(listener: (key: string | undefined) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {}

  /** Slots held now (tests, metrics). */
  size(): number {
    return this.slots.size;
  }

  private freed(key: string | undefined): void {
    // Later, not inside the caller's own bookkeeping.
    for (const l of this.listeners) queueMicrotask(() => l(key));
  }
}
