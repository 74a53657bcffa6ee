/**
 * Kill a child and, when it leads its own process group (started detached, as git.ts starts every git),
 * the whole group: git runs its transport and a shell alias's commands as children that hold its pipes,
 * and killing git alone would leave them, and its "close" would never come.
 */
export function killGroup(p: { pid?: number | undefined; kill(signal?: NodeJS.Signals): boolean }, group: boolean, signal: NodeJS.Signals): void {
  try {
    if (group && p.pid !== undefined) return void process.kill(-p.pid, signal);
  } catch {
    /* not a group leader after all, or already gone */
  }
  p.kill(signal);
}
