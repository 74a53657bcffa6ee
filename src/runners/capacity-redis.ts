import { Redis } from "ioredis";
import type { RunnersConfig } from "./config.js";
import { LEASES, limitsOf, type Capacity, type Grant, type Leases, type Limits, type LiveSlot, type SlotRequest } from "./capacity.js";

/**
 * The slots in Redis, for any number of replicas. Each script runs atomically, so two replicas can
 * never both take the last slot; time is Redis's own (TIME), so the replicas' clocks do not matter.
 *
 * KEYS[1] slots:   hash   job key → "profile \t launching|held \t since-ms \t expires-ms"
 * KEYS[2] waiters: hash   job key → profile
 * KEYS[3] line:    zset   job key → queuedAt (oldest first)
 * KEYS[4] leases:  zset   job key → when its waiting place lapses
 */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function unwait(k)
  redis.call('HDEL', KEYS[2], k); redis.call('ZREM', KEYS[3], k); redis.call('ZREM', KEYS[4], k)
end
local function parse(v)
  local p, s, since, exp = string.match(v, '^(.-)\\t(.-)\\t(.-)\\t(.-)$')
  return p, s, tonumber(since), tonumber(exp)
end
`;

/** ARGV: max, limits JSON, wait lease, launch lease, then key, profile, queuedAt for each job. Returns {granted, taken}. */
const ACQUIRE = `${PRELUDE}
local max = tonumber(ARGV[1])
local limits = cjson.decode(ARGV[2])
local waitLease, launchLease = tonumber(ARGV[3]), tonumber(ARGV[4])
for _, k in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now)) do unwait(k) end
local total, counts = 0, {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local p, s, since, exp = parse(all[i + 1])
  if exp == nil or exp <= now then redis.call('HDEL', KEYS[1], all[i])
  else total = total + 1; counts[p] = (counts[p] or 0) + 1 end
end
local mine, taken, n = {}, {}, 0
for i = 5, #ARGV, 3 do
  local k = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], k) == 1 then table.insert(taken, k)
  else
    redis.call('HSET', KEYS[2], k, ARGV[i + 1])
    redis.call('ZADD', KEYS[3], 'NX', ARGV[i + 2], k)
    redis.call('ZADD', KEYS[4], now + waitLease, k)
    mine[k] = true; n = n + 1
  end
end
local granted = {}
if total < max and n > 0 then
  for _, k in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    if total >= max then break end
    local p = redis.call('HGET', KEYS[2], k)
    if p then
      local c = counts[p] or 0
      local limit = limits[p]
      if limit == nil or c < limit then
        counts[p] = c + 1; total = total + 1
        if mine[k] then
          unwait(k)
          redis.call('HSET', KEYS[1], k, p .. '\\t' .. 'launching' .. '\\t' .. now .. '\\t' .. (now + launchLease))
          table.insert(granted, k)
        end
      end
    end
  end
end
return {granted, taken}
`;

/** ARGV: key, profile, instance lease. */
const CONFIRM = `${PRELUDE}
unwait(ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '\\t' .. 'held' .. '\\t' .. now .. '\\t' .. (now + tonumber(ARGV[3])))
return 1
`;

/** ARGV: channel, key. The key is published: the replica that launched the job learns that it ended. */
const RELEASE = `${PRELUDE}
unwait(ARGV[2])
redis.call('HDEL', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`;

/** ARGV: channel, instance lease, grace, then key, profile for each live instance. */
const RECONCILE = `${PRELUDE}
local lease, grace = tonumber(ARGV[2]), tonumber(ARGV[3])
local seen = {}
for i = 4, #ARGV, 2 do
  local k = ARGV[i]
  seen[k] = true
  unwait(k)
  local old = redis.call('HGET', KEYS[1], k)
  local since = now
  if old then local _, _, s = parse(old); since = s or now end
  redis.call('HSET', KEYS[1], k, ARGV[i + 1] .. '\\t' .. 'held' .. '\\t' .. since .. '\\t' .. (now + lease))
end
local dropped = 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local k = all[i]
  local _, s, since = parse(all[i + 1])
  if not seen[k] and s == 'held' and (since == nil or since + grace <= now) then
    redis.call('HDEL', KEYS[1], k); dropped = dropped + 1
  end
end
if dropped > 0 then redis.call('PUBLISH', ARGV[1], '') end
return dropped
`;

export interface RedisCapacityOptions {
  /** Key prefix: replicas of one deployment share it (tests run several deployments on one server). */
  prefix?: string;
  /** Tests shorten them; every replica of a deployment must use the same. */
  leases?: Partial<Leases>;
}

export class RedisCapacity implements Capacity {
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly keys: string[];
  private readonly channel: string;
  private readonly limits: Limits;
  private readonly leases: Leases;
  private readonly listeners: ((key: string | undefined) => void)[] = [];

  constructor(url: string, config: RunnersConfig, o: RedisCapacityOptions = {}) {
    const prefix = `${o.prefix ?? "mlreview"}:runners`;
    // Hash tags keep the four keys in one slot, as a Redis Cluster needs for one script.
    this.keys = ["slots", "waiters", "line", "leases"].map((k) => `${prefix}:{capacity}:${k}`);
    this.channel = `${prefix}:capacity:freed`;
    this.limits = limitsOf(config);
    this.leases = { ...LEASES, ...o.leases };
    this.redis = new Redis(url, { maxRetriesPerRequest: 3 });
    this.redis.on("error", () => {}); // reconnects by itself; the commands that fail say so
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null });
    this.subscriber.on("error", () => {});
    this.subscriber.on("message", (_channel: string, key: string) => {
      for (const l of this.listeners) l(key || undefined);
    });
    void this.subscriber.subscribe(this.channel).catch(() => {});
  }

  async acquire(jobs: readonly SlotRequest[]): Promise<Grant> {
    const args = [String(this.limits.max), JSON.stringify(this.limits.profiles), String(this.leases.waitMs), String(this.leases.launchMs), ...jobs.flatMap((j) => [j.key, j.profile, String(Math.trunc(j.queuedAt))])];
    const [granted, taken] = (await this.redis.eval(ACQUIRE, 4, ...this.keys, ...args)) as [string[], string[]];
    return { granted: new Set(granted), taken: new Set(taken) };
  }

  async confirm(slot: LiveSlot): Promise<void> {
    await this.redis.eval(CONFIRM, 4, ...this.keys, slot.key, slot.profile, String(this.leases.instanceMs));
  }

  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE, 4, ...this.keys, this.channel, key);
  }

  async reconcile(live: readonly LiveSlot[]): Promise<void> {
    await this.redis.eval(RECONCILE, 4, ...this.keys, this.channel, String(this.leases.instanceMs), String(this.leases.graceMs), ...live.flatMap((l) => [l.key, l.profile]));
  }

  onFreed(listener: (key: string | undefined) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}
