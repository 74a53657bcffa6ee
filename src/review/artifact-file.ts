import { createReadStream } from "node:fs";
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { ARTIFACT_LIMITS, ArtifactError, readArtifactStream, type ArtifactLimits } from "../revisions/artifact.js";
import { unsafePathReason } from "../revisions/paths.js";

/**
 * A CI artifact on disk (the CLI's `--artifact`): a zip read exactly as the bot reads a downloaded one
 * (readArtifactStream, the same limits and ArtifactError lines), or a directory read under the same
 * limits. The artifact is hostile (a job that ran the change's code wrote it): a symlink may point inside
 * it only, never out of it.
 */
export async function readArtifactPath(path: string, limits: ArtifactLimits = ARTIFACT_LIMITS): Promise<Map<string, Buffer>> {
  const st = await stat(path);
  if (!st.isDirectory()) return readArtifactStream(createReadStream(path), limits);
  return readArtifactDir(path, limits);
}

async function readArtifactDir(dir: string, limits: ArtifactLimits): Promise<Map<string, Buffer>> {
  const root = await realpath(dir);
  const files = new Map<string, Buffer>();
  let entries = 0;
  let total = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (++entries > limits.maxEntries) throw new ArtifactError(`artifact has more than ${limits.maxEntries} entries, over the limit`);
      const why = unsafePathReason(name);
      if (why) throw new ArtifactError(`artifact entry '${name}': ${why}`);
      let abs = join(root, name);
      if (e.isSymbolicLink()) {
        const target = await realpath(abs).catch(() => undefined);
        const inside = target !== undefined && !relative(root, target).startsWith(`..${sep}`) && relative(root, target) !== ".." && !relative(root, target).startsWith(sep);
        if (!inside) throw new ArtifactError(`artifact entry '${name}': symlinks out of the artifact are not accepted`);
        abs = target;
      }
      const s = await lstat(abs);
      // A directory reached through a link is not walked: a link cycle must not loop.
      if (s.isDirectory()) {
        if (!e.isSymbolicLink()) await walk(name);
        continue;
      }
      if (!s.isFile()) continue;
      if (s.size > limits.maxFileBytes) throw new ArtifactError(`artifact entry '${name}' is ${s.size} bytes, over the per-file limit`);
      total += s.size;
      if (total > limits.maxTotalBytes) throw new ArtifactError(`artifact inflates to more than ${limits.maxTotalBytes} bytes`);
      const data = await readFile(abs);
      // Read what is there, not what stat said: a file growing under us is held to the same limits.
      if (data.length > limits.maxFileBytes) throw new ArtifactError(`artifact entry '${name}' is ${data.length} bytes, over the per-file limit`);
      files.set(name, data);
    }
  };
  await walk("");
  return files;
}
