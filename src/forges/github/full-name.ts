/** "owner/name" into its two parts; anything else is refused before it becomes an API path. */
export function splitFullName(fullName: string): [string, string] {
  const [owner, repo, more] = fullName.split("/");
  if (!owner || !repo || more !== undefined) throw new Error(`not an owner/name repository: ${fullName}`);
  return [owner, repo];
}
