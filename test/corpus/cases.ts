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
  c("T10", "traversal", "glob `../*.json` reaching out", "read literally, as DVC reads dvc.yaml paths: refused by name, nothing outside read"),

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
  c("C17", "config", ".mlreview.yml with 3,000 `**/**/**` globs, in the workspace (was one disk walk per glob)", "good.json still diffs, nothing else reported; the time is `npm run bench`'s (bench/diff.mjs)"),

  // Vega-Lite templates from the repository, through buildReview (report-plots.test.ts).
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

  // CSV plot data, through buildReview (report-plots.test.ts).
  c("S01", "csv bomb", "200,000 columns (generated; was quadratic: hours for 1M)", "plotted in seconds"),
  c("S02", "csv bomb", "5,000,001 rows (generated)", "note: more than 5,000,000 rows, over the limit"),
  c("S03", "csv bomb", "unterminated quote over 8 MB (generated)", "note: invalid CSV: Quote Not Closed"),
  c("S04", "csv bomb", "200,000 rows of escaped quotes (generated)", "plotted or a clear note, no hang"),
  c("S05", "csv bomb", "ragged rows, 0 to 50 extra cells (generated)", "plotted"),
  c("S06", "csv bomb", "binary bytes in a .csv (generated)", "a clear line, no crash"),

  // Markdown/HTML injection through `mlreview report --out` (report-injection.test.ts).
  c("I01", "injection", "`<script>` in a metric key", "escaped: &lt;script&gt;"),
  c("I02", "injection", "`<img src=x onerror=…>` in a string value", "escaped"),
  c("I03", "injection", "`@acme/admins` mention in a key", "no @mention: a zero-width joiner after @"),
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
  // GitHub edge (issue 10: H5, L3, M9, M10): test/corpus/github.test.ts.
  c(
    "Q01",
    "other tenants",
    "GitHub workflow_run: a fork's successful `pull_request` run on a branch named main, listed before the base's push run",
    "the base artifact is the push run's of the merge-base in this repository; the regression fails the check",
  ),
  c("Q02", "other tenants", "GitHub workflow_run: only a fork's run on main is listed, no push run of the merge-base", "its artifact is never fetched; one report line: no base artifact"),
  c("Q03", "other tenants", "GitHub: another bot's comments carrying the report marker (another app's id; a bot without the app field)", "neither is edited or deleted; a new report comment is created"),
  c("Q04", "concurrency", "61 tasks at once on the in-process queue: 60 pull requests of one installation, then 1 of another (limit 2)", "never more than 2 run at once; the other installation's task is among the first 4 to start"),
  c("Q05", "memory", "GitHub report with 8 images (3 of 100 KB, 5 of 1 KB) against 4 images and 250 KB per report", "4 published; each of the other 4 is one cell saying why it was not published; the store holds only those 4"),
  c(
    "Q06",
    "memory",
    "two reports of 200 KB of images each against a 250 KB store, and an image unused for 100 days (kept 30)",
    "the store stays under 250 KB: oldest and expired images deleted, the newest report's served; /metrics shows the store's bytes and files",
  ),
  c("Q07", "memory", "GitHub `images: branch`: a report publishing 3 distinct images (one twice) against 2 per report", "the third is refused with one line; the commit holds 2 blobs"),
  c("Q08", "concurrency", "the Redis queue: 20 waiting pull requests of one installation, then 1 of another (worker concurrency 2)", "at most 2 at once; the other installation's task is among the first 3 to start"),
  // GitLab (issue 10: H1, H2, M1, M2, M5, L6): forged payloads and hostile hosts (gitlab.test.ts, git-env.test.ts).
  c("L01", "forged payload", "GitLab Merge Request Hook whose project.git_http_url names another host's git server", "that host gets no request; the clone URL is the API's (GET /projects/:id), the token goes only there"),
  c("L02", "forged payload", "GitLab last_commit.id / Pipeline Hook sha `--upload-pack=touch …;` with a local path as git_http_url", "dropped with one log line naming the field; no command runs, no git and no API call"),
  c("L03", "forged payload", "GitLab iid `1/../../users`, -1, 1.5; project.id `1/../../users`; a build id with `../`", "dropped with one log line naming the field; not one API request"),
  c("L04", "forged payload", "GitLab API answering an http_url_to_repo on another origin than GITLAB_URL", "refused before git: that origin gets no request; the task fails with one line naming both origins"),
  c("L05", "forged payload", "GitHub pull_request whose repository.clone_url is not on the configured GitHub host", "dropped with one log line; that host gets no request"),
  c("L06", "secrets", "GitLab artifact download redirected to object storage on another origin", "the other origin gets no PRIVATE-TOKEN, Authorization or JOB-TOKEN; the artifact is still read"),
  c("L07", "time", "GitLab artifact download redirecting forever", "one report line (more than 5 redirects); the committed files still compared, the note posted"),
  c("L08", "time", "GitLab artifact download that stalls after its headers", "one report line when the deadline passes; the note posted"),
  c(
    "L09",
    "secrets",
    "git children of the bot (config, fetch, cat-file) during a GitLab report, with every secret in the environment",
    "no PRIVATE_KEY, WEBHOOK_SECRET, GITLAB_TOKEN, AWS secret in any git environment; the token only as the header scoped to the clone URL",
  ),
  c("L10", "secrets", "git children of the CLI (`mlreview report`, `metrics show --all-branches`) with every secret in the environment", "no secret value in any git environment"),
  c("L11", "secrets", "GitLab API call answered by a redirect to another origin", "not followed: that origin gets no request and no PRIVATE-TOKEN; the task fails with one line"),
  c("L12", "secrets", "the runners' GitLab client answered by a redirect to another origin", "not followed: that origin gets no request and no PRIVATE-TOKEN; a clear error"),
  // Runners (issue 10: H8, M3, M4, L4, L5, L8, M13): runners.test.ts.
  c("U01", "concurrency", "two replicas on one Redis, 8 queued GPU jobs, max_instances 4", "never more than 4 instances at once; the other 4 start, oldest first, as any replica frees a slot; one instance per job"),
  c("U02", "concurrency", "a runner powers itself off and its completed delivery is lost (max_instances 1, one job waiting)", "the reaper's next pass frees its slot from EC2's listing; the waiting job launches"),
  c("U03", "other tenants", "repository B's completed workflow_job naming repository A's runner", "no TerminateInstances: runners are matched within their repository"),
  c("U04", "other tenants", "a job of a pull_request_review run from a fork", "no JIT config, no RunInstances: a fork"),
  c("U05", "other tenants", "a job of a pull_request_review_comment run from a fork", "no JIT config, no RunInstances: a fork"),
  c("U06", "other tenants", "a job of a run whose head repository is null (deleted fork)", "no JIT config, no RunInstances: an unknown head is a fork"),
  c("U07", "other tenants", "a job of a workflow_run run whose head is a fork", "no JIT config, no RunInstances: a fork"),
  c("U08", "forged payload", "runs-on labels mlreview-constructor, mlreview-__proto__, mlreview-toString", "logged as unknown profiles; no forge or EC2 call"),
  c("U09", "memory", "20,000 runner jobs queued and completed, then a late duplicate queued", "no job kept once ended; 10,000 ended keys remembered at most; the duplicate launches nothing"),
  c("U10", "secrets", "GitHub runner bootstrap: the JIT config on argv and in IMDS user data for the job's user", "IMDS rejected for the runner user before it starts; the config in no argv (runner environment only); no block, no runner"),
  c("U11", "secrets", "GitLab runner bootstrap: the glrt- token on argv and in IMDS user data for the job's user", "IMDS rejected for gitlab-runner before it starts; the token in no argv; no block, no runner"),
  c("U12", "forged payload", "GitLab Job Hook claiming an allowed project path with another project's project_id", "GET /projects/:id says otherwise: no runner created, no EC2 call"),
  c("U13", "concurrency", "a replica dies holding 4 of 4 slots; 2 of its runners then power themselves off", "the other replica's 2 queued jobs wait while the 4 live, then launch after its next reaper pass; never more than 4"),

  // Report (issue 10): what GitHub renders from repository text, the comment's whole budget, plot caps and fair rendering (report.test.ts).
  c(
    "B01",
    "injection",
    "`@acme/admins`, `&#64;octocat`, `#123`, `GH-123`, `owner/repo#1`, `&#35;42` in keys and the branch name (`&#64;`/`\\#` were decoded by GitHub before it finds mentions)",
    "rendered by GFM's reference renderer: no @mention, no issue reference; every name still readable",
  ),
  c("B02", "injection", "`www.`, `http://`, `ftp://`, e-mail and `mailto:` autolinks in keys", "rendered: no link at all"),
  c("B03", "injection", "zero-width, word-joiner, BOM, Arabic letter mark, Mongolian vowel separator and bidi characters in keys", "replaced by U+FFFD; the only U+200D are the report's own, after a trigger; no raw HTML"),
  c(
    "B04",
    "injection",
    "metric named `![x](https://evil/p.png) <img src=x> [link](https://evil)` crossing a threshold: the check run's summary (GitHub bot, strict nock)",
    "title and summary render to no image, no link, no raw HTML; conclusion failure, the reason readable",
  ),
  c(
    "B05",
    "huge or deep",
    "2,000 images, 2,000 plots and 2,000 crossed thresholds in one report (`mlreview report --out`)",
    "comment within 65,536 characters, a line per section saying how many were left out; only what is shown is published",
  ),
  c("B06", "time", "25 plots in one report", "20 drawn; the rest listed: not drawn, over the cap of 20 plots per report"),
  c("B07", "time", "8 slow plots (about a second each) with a 1.5 s render budget", "plots past the budget listed: not drawn, the render budget was used up; the report is not held up"),
  c("B08", "other tenants", "a one-plot report arriving while another report's 8 slow plots render", "it is served next: at most two of the other's renders end before it is done (first come first served: all seven)"),
  c("B09", "other tenants", "a symlink planted at the old predictable fontconfig path in the temp directory", "nothing written through it; the file lives in a private mkdtemp directory, removed at exit"),
  // Core (issue 10: C1, H6, H7, M6): core.test.ts.
  c("R01", "time", '`.mlreview.yml` `direction: {"(a+)+b": higher}` and a metric key of 40 `a`s (`report`)', "one line naming direction and the pattern: not glob syntax; answers in about a second"),
  c("R02", "time", '`.mlreview.yml` `metrics: ["(a+)+b", "*(a+)+b"]` and a file named with 40 `a`s (`metrics diff`)', "taken literally (file names hold parentheses): one line, no such file; no hang; metrics.json still diffs"),
  c("R03", "time", '`.mlreview.yml` `thresholds: [{metric: "(a+)+b"}]` and a 40-`a` key (`report`)', "one line naming thresholds[0].metric; no hang"),
  c("R04", "time", "`.mlreview.yml` params key glob `(a+)+b` and a 40-`a` params key (`params diff`)", "one line naming the params key; no hang"),
  c("R05", "time", "dvc.yaml stage params `(a+)+b` and a 40-`a` key", "taken literally, as DVC's fnmatch does: no match, no hang, no error"),
  c("R06", "memory", "tree bomb: 9 tree objects naming the next ten times (10^8 paths) in a commit", "one line: lists more than 1,000,000 files; root metrics still diff; peak memory under 1 GB"),
  c("R07", "memory", "one 40 MB blob under 32 paths matched by `m/*.json` (was 2.8 GB, Invalid string length)", "one line: the revision's 128 MB read budget is spent; what fitted is compared; under 1.2 GB"),
  c("R08", "time", "one dvc.yaml of 10,000 stages under 40 folders (400,000 stages)", "one line: more than 20,000 stages, later dvc.yaml files not read; root metrics still diff"),
  c(
    "R09",
    "secrets",
    "workspace symlinks to `.git/config` (holding a CI token) as a metrics file and a plot, and `.git/config` named directly",
    "refused by name (symlink points into .git, paths inside .git are not read); the token nowhere in stdout, stderr or the out dir; no plot drawn",
  ),
  c("R10", "time", 'the server builds R01\'s report (a pull request with `direction: {"(a+)+b": higher}` and a 40-`a` key)', "/healthz answers throughout; the comment names the refused pattern"),
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
