/** Messages between spawn-host.ts (in the bot or the CLI) and spawn-host-worker.ts (the small process that forks). */

export type HostRequest =
  | { t: "spawn"; id: number; file: string; args: string[]; cwd: string; env: Record<string, string>; detached: boolean }
  | { t: "in"; id: number; data: Uint8Array }
  | { t: "end"; id: number }
  | { t: "kill"; id: number; signal: NodeJS.Signals };

export type HostReply =
  | { t: "ready" }
  | { t: "spawned"; id: number; pid: number }
  | { t: "out"; id: number; fd: 1 | 2; data: Uint8Array }
  | { t: "error"; id: number; message: string; code?: string }
  | { t: "close"; id: number; code: number | null; signal: NodeJS.Signals | null };
