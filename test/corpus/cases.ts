/**
 * The bad-input corpus (issue 7): every hostile file or payload, what it attacks and what must happen.
 * README.md in this directory is this list as a table (corpus.meta.test.ts keeps them equal); the tests
 * look their cases up here by id, so a case cannot be listed without being run.
 */
export type Category =
  | "parser bomb"
  | "huge or deep"
  | "encoding"
  | "traversal"
  | "config"
  | "vega template"
  | "csv bomb"
  | "injection"
  | "artifact zip"
  | "webhook"
  // Issue 10's red-team classes: what a single file or status check cannot show.
  | "time"
  | "memory"
  | "concurrency"
  | "other tenants"
  | "secrets"
  | "forged payload";

export interface CorpusCase {
  id: string;
  category: Category;
  attacks: string;
  expected: string;
}

const c = (id: string, category: Category, attacks: string, expected: string): CorpusCase => ({ id, category, attacks, expected });

export const CASES: readonly CorpusCase[] = [
  // Parser bombs and hostile structured files: one `metrics diff` next to good.json (cli-files.test.ts).
  c("P01", "parser bomb", "YAML billion laughs (files/parsers/yaml-billion-laughs.yaml)", "one line: more than 100 alias expansions; good.json still diffs"),
  c("P02", "parser bomb", "YAML merge-key bomb, `<<: [*m, *m]` doubling (yaml-merge-bomb.yaml)", "one line: alias expansions; good.json still diffs"),
  c("P03", "parser bomb", "YAML mapping-of-mappings bomb, 3^16 leaves (yaml-map-bomb.yaml)", "one line: alias expansions; good.json still diffs"),
  c("P04", "parser bomb", "YAML bomb inside complex mapping keys (yaml-key-bomb.yaml)", "one line: alias expansions; good.json still diffs"),
  c("P05", "parser bomb", "YAML with 20,000 aliases of one scalar (generated)", "one line: alias expansions, under a second"),
  c("P06", "parser bomb", "YAML with 100,000 distinct keys (generated; was quadratic: minutes)", "read in seconds; good.json still diffs"),
  c("P07", "parser bomb", "JSON object with 100,000 keys (generated)", "read; good.json still diffs"),
  c("P08", "parser bomb", "JSON integer with 100,000 digits (generated)", "read as an int, no hang; good.json still diffs"),
  c("P09", "parser bomb", "JSON 1e999 / -1e999 / 1e-999 (json-1e999.json)", "read as inf / -inf / 0.0, as Python does"),
  c("P10", "parser bomb", "YAML integer of 10^1000 (1001 digits, generated)", "read as an int; good.json still diffs"),
  c("P11", "parser bomb", "JSON with a 1 MB string value (generated)", "read; good.json still diffs"),
  c("P12", "parser bomb", "YAML duplicate keys (yaml-duplicate-keys.yaml)", "one line: Map keys must be unique, with line and column"),
  c("P13", "parser bomb", "YAML with two documents (yaml-two-documents.yaml)", "one line naming the file: multiple documents"),
  c("P14", "parser bomb", "YAML !!python/object/apply tag (yaml-python-tag.yaml)", "no code runs; loss still read"),
  c("P15", "parser bomb", "__proto__ / constructor keys (json-proto-keys.json)", "plain keys, no prototype pollution"),
  c("H01", "huge or deep", "metrics file over the size limit (9 MB against an 8 MB limit, generated)", "one line: file is 9 MB, over the 8 MB limit"),
  c("H02", "huge or deep", "JSON nested 100,000 arrays deep (generated)", "one line: nesting deeper than 512 levels"),
  c("H03", "huge or deep", "TOML arrays nested 5,000 deep (generated)", "one line: invalid TOML, excessively nested"),
  c("H04", "huge or deep", "TOML inline tables nested 5,000 deep (generated)", "one line: invalid TOML, excessively nested"),
  c("H05", "huge or deep", "TOML dotted key 10,000 levels deep (generated)", "one line: nesting too deep"),
  c("H06", "huge or deep", "YAML flow collections 20,000 deep (generated)", "one line: invalid YAML, nesting too deep"),
  c("E01", "encoding", "PNG bytes named .json (generated)", "one line: binary data, not a text file"),
  c("E02", "encoding", "Latin-1 text (generated)", "one line: not valid UTF-8, with the offset"),
  c("E03", "encoding", "UTF-16 with a BOM (generated)", "one line: binary data"),
  c("E04", "encoding", "UTF-8 BOM before JSON (json-utf8-bom.json)", "read normally"),
  c("E05", "encoding", "raw ESC (terminal escape) inside a JSON string (json-control-in-string.json)", "one line: control character in a string"),
  c("E06", "encoding", "NUL after the first 8,000 bytes of YAML, past the binary probe (generated)", "read as YAML reads it; a NUL never reaches the report (I11)"),

  // Paths that leave the repository, in dvc.yaml, at HEAD and in the workspace (cli-traversal.test.ts).
  c("T01", "traversal", "`../secret.json` in dvc.yaml", "one line: path leaves the repository; nothing outside read"),
  c("T02", "traversal", "absolute path in dvc.yaml", "one line: absolute paths are not allowed"),
  c("T03", "traversal", "`sub/../../secret.json`, climbing after a normal segment", "one line: path leaves the repository"),
  c("T04", "traversal", "Windows forms `..\\secret.json` and `C:\\secret.json`", "one line each: leaves the repository / absolute"),
  c("T05", "traversal", "symlink to a file outside the repository", "one line: symlink points outside the repository"),
  c("T06", "traversal", "symlink to a directory outside, file read through it", "one line: symlink points outside the repository"),
  c("T07", "traversal", "symlink loop a → b → a", "one line: symlink loop (workspace), no such file (commit)"),
  c("T08", "traversal", "path with a newline in dvc.yaml", "one line: path contains a control character"),
  c("T09", "traversal", "path with a NUL in dvc.yaml", "one line: path contains a control character"),
  c("T10", "traversal", "glob `../*.json` reaching out", "matches nothing, nothing outside read"),

  // Hostile .mlreview.yml / dvc.yaml: the revision's error in one line, the other revision still shown (cli-config.test.ts).
  c("C01", "config", ".mlreview.yml `metrics: 42` (files/config/wrong-type-metrics)", "one line naming .mlreview.yml and metrics"),
  c("C02", "config", ".mlreview.yml unknown key `metrix`", "one line: unknown key 'metrix'"),
  c("C03", "config", ".mlreview.yml `direction: {acc: sideways}`", "one line: direction.acc: expected one of higher, lower"),
  c("C04", "config", ".mlreview.yml threshold without a bound", "one line: thresholds[0]: expected at least one of …"),
  c("C05", "config", ".mlreview.yml `precision: 1e999`", "one line naming precision"),
  c("C06", "config", ".mlreview.yml that is a list", "one line naming .mlreview.yml"),
  c("C07", "config", ".mlreview.yml alias bomb", "one line: alias expansions"),
  c("C08", "config", "dvc.yaml with wrong types (stages a list)", "one line naming dvc.yaml and stages"),
  c("C09", "config", "dvc.yaml matrix of 10^9 combinations (was a hang)", "one line: stages.grid.matrix: expands to more than 10,000 stages"),
  c("C10", "config", "dvc.yaml foreach over a 20,000-item list from params.yaml (was a hang)", "one line: stages.s.foreach: expands to more than 10,000 stages"),
  c("C11", "config", "dvc.yaml `${a}` where params.yaml says `a: ${a}` (and b ↔ c)", "no loop: the literal is a missing file, one line"),
  c("C12", "config", "dvc.yaml `${s}` ×64 of a 64 KB string (amplification, was unbounded)", "one line: interpolated string is longer than 65,536 characters"),
  c("C13", "config", "dvc.yaml vars file that does not exist", "one line: vars file 'nope.yaml' not found"),
  c("C14", "config", "dvc.yaml vars file `../../../../../../etc/hostname`", "not read: one line, vars file not found"),
  c("C15", "config", "dvc.yaml `${nothing.here}`", "one line: could not find 'nothing.here' to interpolate"),
  c("C16", "config", "params key `**.a.**.a.**.a.**.a.**.x` on a 300-deep params.yaml (was exponential)", "one line: key pattern needs more than 1,000,000 steps; lr still shown"),
  c("C17", "config", ".mlreview.yml with 3,000 `**/**/**` globs, in the workspace (was one disk walk per glob)", "done in seconds; good.json still diffs"),

  // Vega-Lite templates from the repository, through runReport (report-plots.test.ts).
  c("V01", "vega template", "`data.url` to a server (templates/url-data.json)", "plot replaced by: refers to a URL; no request arrives; metrics still reported"),
  c("V02", "vega template", "`data.url` file:///etc/passwd (file-url.json)", "refers to a URL; nothing read"),
  c("V03", "vega template", "`sequence` of 10^9 rows (huge-sequence.json)", "over the 1000000 row limit"),
  c("V04", "vega template", "expressions reaching for `constructor` / process (signal-expression.json)", "a render error line, the process lives on"),
  c("V05", "vega template", "image mark with a URL and a javascript: href (image-href.json)", "external data is not allowed; no request arrives"),
  c("V06", "vega template", "`$schema` pointing at our canary server (schema-elsewhere.json)", "renders; no request arrives"),
  c("V07", "vega template", "10 MB template (generated)", "rendered or refused within the time limit, no crash"),
  c("V08", "vega template", "template that is not JSON (not-json.json)", "is not valid JSON"),
  c("V09", "vega template", "template without the data anchor (no-anchor.json)", "is not using '<DVC_METRIC_DATA>' anchor"),
  c("V10", "vega template", "template path `../../../../etc/passwd`", "Template … not found; nothing read"),
  c("V11", "vega template", "`__proto__` key in the template (proto-keys.json)", "renders; no prototype pollution"),

  // CSV plot data, through runReport (report-plots.test.ts).
  c("S01", "csv bomb", "200,000 columns (generated; was quadratic: hours for 1M)", "plotted in seconds"),
  c("S02", "csv bomb", "5,000,001 rows (generated)", "note: more than 5,000,000 rows, over the limit"),
  c("S03", "csv bomb", "unterminated quote over 8 MB (generated)", "note: invalid CSV: Quote Not Closed"),
  c("S04", "csv bomb", "200,000 rows of escaped quotes (generated)", "plotted or a clear note, no hang"),
  c("S05", "csv bomb", "ragged rows, 0 to 50 extra cells (generated)", "plotted"),
  c("S06", "csv bomb", "binary bytes in a .csv (generated)", "a clear line, no crash"),

  // Markdown/HTML injection through `mlreview report --out` (report-injection.test.ts).
  c("I01", "injection", "`<script>` in a metric key", "escaped: &lt;script&gt;"),
  c("I02", "injection", "`<img src=x onerror=…>` in a string value", "escaped"),
  c("I03", "injection", "`@acme/admins` mention in a key", "no @mention: &#64;"),
  c("I04", "injection", "`[x](javascript:alert(1))` in a key", "no link"),
  c("I05", "injection", "`a|b|c` pipes in a key", "table keeps six cells per row"),
  c("I06", "injection", "`-->` in a key (would close our marker comment)", "escaped: --&gt;"),
  c("I07", "injection", "the marker `<!-- mlreview:report -->` as a key", "appears once, at the top, as our own"),
  c("I08", "injection", "HTML in a metrics file's path", "escaped in the File column"),
  c("I09", "injection", "`<script>` in the head branch name", "escaped in the title and the table header"),
  c("I10", "injection", "plot title with `](javascript:…)` and `<img>`", "alt text without brackets, quotes or tags"),
  c("I11", "injection", "NUL, ESC and a bidi override in a key (NUL made the forge refuse the comment)", "replaced by U+FFFD"),
  c("I12", "injection", "newline + `# heading` + `</details>` in a param value", "one line, escaped"),
  c("I13", "injection", "image path with Markdown and HTML", "escaped in the Images table"),

  // CI artifact zips: readArtifact, and one through a GitLab Pipeline Hook (artifact.test.ts).
  c("Z01", "artifact zip", "60 MB of zeros deflated to ~60 KB", "refused: over the per-file limit; the report is posted with the git files"),
  c("Z02", "artifact zip", "entry `../evil.json`", "refused: path leaves the repository"),
  c("Z03", "artifact zip", "entry `/tc/passwd.json`", "refused: absolute"),
  c("Z04", "artifact zip", "symlink entry", "refused: symlinks are not accepted"),
  c("Z05", "artifact zip", "10,001 entries", "refused: over the limit of 10000"),
  c("Z06", "artifact zip", "entry whose declared size lies", "refused: size mismatch"),
  c("Z07", "artifact zip", "not a zip", "refused: not a valid zip"),
  c("Z08", "artifact zip", "zip inside a zip", "kept as one opaque file, never extracted"),
  c("Z09", "artifact zip", "truncated zip", "refused: not a valid zip"),
  c("Z10", "artifact zip", "entry `..\\evil.json` (backslash)", "refused"),

  // Webhook deliveries on a real port (server.test.ts).
  c("W01", "webhook", "GitHub: HMAC with the wrong secret", "400, nothing done"),
  c("W02", "webhook", "GitHub: only X-Hub-Signature (sha1)", "400"),
  c("W03", "webhook", "GitHub: empty signature", "400"),
  c("W04", "webhook", "GitHub: truncated signature", "400"),
  c("W05", "webhook", "GitHub: no signature header", "400"),
  c("W06", "webhook", "GitHub: valid signature of another body", "400"),
  c("W07", "webhook", "GitHub: 30 MB body, unsigned", "4xx, the server keeps serving"),
  c("W08", "webhook", "GitHub: signed body that is not JSON", "400"),
  c("W09", "webhook", "GitHub: signed, content-type text/plain", "4xx"),
  c("W10", "webhook", "GitHub: signed, no X-GitHub-Event", "400"),
  c("W11", "webhook", "GitHub: signed pull_request without pull_request fields", "answered, handled without crashing"),
  c("W12", "webhook", "GitLab: wrong token", "401"),
  c("W13", "webhook", "GitLab: missing token", "401"),
  c("W14", "webhook", "GitLab: 10 KB token", "401"),
  c("W15", "webhook", "GitLab: 6 MB body", "413"),
  c("W16", "webhook", "GitLab: 6 MB body sent chunked (no Content-Length)", "413"),
  c("W17", "webhook", "GitLab: body that is not JSON", "400"),
  c("W18", "webhook", "GitLab: JSON array / null body", "400"),
  c("W19", "webhook", "GitLab: Merge Request Hook without its fields", "answered, handled without crashing"),
  c("W20", "webhook", "after all of the above", "/healthz 200 and a good signed delivery still posts its report"),
  // Server: the HTTP edge of node dist/server.js — logs, body cap, timeouts, connection cap (server-edge.test.ts).
  c("N01", "secrets", "GitLab hooks with the right and a wrong X-Gitlab-Token, at LOG_LEVEL=trace", "X-Gitlab-Token logged as [REDACTED]; neither token nor any configured secret in stdout/stderr"),
  c("N02", "secrets", "GET /metrics with the bearer token, a wrong bearer and a cookie, at trace", "Authorization and Cookie logged as [REDACTED]; no token in the log"),
  c("N03", "secrets", "GitHub deliveries with X-Hub-Signature-256 and X-Hub-Signature, good and forged, at trace", "signatures logged as [REDACTED]; WEBHOOK_SECRET never"),
  c("N04", "secrets", "a GitHub and a GitLab report that fail: the forges echo the bot's credentials in their error bodies", "failures logged with their status; neither the app's JWT nor GITLAB_TOKEN nor any configured secret in the log"),
  c("N05", "secrets", "every configured secret (and each line of the private key) in request URLs; every answer given", "the URL logged with [REDACTED] in place of the value; no response body echoes a secret"),
  c("N06", "memory", "GitHub: Content-Length of 26 MB, no body sent", "413 at once, connection closed, nothing read"),
  c("N07", "memory", "GitHub: a chunked body growing to 200 MB", "413 once past 25 MB, connection closed; RSS grows by less than 150 MB"),
  c("N08", "memory", "after N06 and N07", "/healthz 200; a signed delivery, and a 24 MB one, still taken"),
  c("N09", "time", "headers trickled one every 300 ms, never finished (headers timeout 2 s by env)", "connection closed within 5 s (was 60 s)"),
  c("N10", "time", "a body trickled a byte every 300 ms (request timeout 3 s by env)", "connection closed within 8 s (was 300 s)"),
  c("N11", "time", "a body that stops after 10 bytes (idle timeout 1 s by env)", "connection closed before the request timeout"),
  c("N12", "concurrency", "4 slow clients hold every connection (cap 4 by env), a fifth connects", "the fifth is closed unanswered while the 4 are held; /healthz 200 once they are cut"),
];

export function corpusCase(id: string): CorpusCase {
  const found = CASES.find((x) => x.id === id);
  if (!found) throw new Error(`no corpus case ${id}`);
  return found;
}

/** The test title of a case: id and what it attacks. */
export const title = (id: string): string => `${id} ${corpusCase(id).attacks}`;
