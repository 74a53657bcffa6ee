#!/bin/bash
# mlreview runner bootstrap (GitLab): EC2 user data for one GitLab runner that runs one job.
#
# What the AMI must provide (nothing is downloaded here):
#   - Linux with bash, systemd's shutdown, runuser (util-linux) and coreutils;
#   - GitLab Runner 17 or later as `gitlab-runner` on PATH (GitLab's gitlab-runner package), with the
#     GPU driver, CUDA and whatever the jobs need for the shell executor. Its packaged service may be
#     enabled or not: it has no runner in its config.toml, so it never takes a job;
#   - a user "gitlab-runner" (the package creates it; created here if missing): the job never runs as
#     root, and the AMI must not give it sudo or the docker group (either makes the job root);
#   - iptables or nft, to keep the job away from the instance metadata (see imds.sh below).
#
# The bot created this runner for one project with POST /api/v4/user/runners: the token below is
# that runner's authentication token (glrt-…), never a registration token, and the runner is deleted
# from GitLab when the instance ends. `gitlab-runner register` is not needed (it would only verify
# the token and copy it into a config file): `run-single` takes the URL, token and executor from its
# environment, runs at most one job (--max-builds 1) and gives up when none came within the idle time
# (--wait-timeout).
#
# Every way out of this script powers the machine off, and the instance is launched with
# InstanceInitiatedShutdownBehavior=terminate, so power-off is termination: after the job, on any
# error, at max runtime, and when no job arrives in time. The bot's reaper is a second line.
#
# The token is never echoed, never on a command line (`ps` shows command lines to every user): it
# reaches gitlab-runner on its standard input and lives on only in that process's environment, and the
# metadata service will not give the user data to the job's user (block_imds). What cannot be hidden:
# run-single's shell executor runs the job as gitlab-runner's own user, so the job can read that
# process's environment (/proc/<pid>/environ, same uid) and with it the token, for as long as the
# instance lives. The runner it authenticates is this project's only, takes only this job's tags, and
# the bot deletes it when the instance ends.
set -euo pipefail

MAX_RUNTIME_MINUTES={{MAX_RUNTIME_MINUTES}}
IDLE_MINUTES={{IDLE_MINUTES}}
GITLAB_URL='{{GITLAB_URL}}'
RUNNER_USER=gitlab-runner
WORK_DIR=/var/lib/mlreview-runner
BUILDS_DIR="${WORK_DIR}/builds"

# Idle: run-single's --wait-timeout already ends the runner when no job comes; this is the second
# line, for a runner that hangs before it asks. The shell executor clones each job under BUILDS_DIR,
# and the directory stays after the job, so a short job cannot be mistaken for no job.
job_started() {
  [[ -n "$(ls -A "${BUILDS_DIR}" 2>/dev/null)" ]]
}
{{> lifecycle.sh}}
{{> imds.sh}}

# Read inside a quoted heredoc: the shell expands nothing in it. The renderer already refused any
# value that is not a glrt- token; checked again here because this file is what runs.
IFS= read -r RUNNER_TOKEN <<'MLREVIEW_RUNNER_TOKEN_END' || true
{{RUNNER_TOKEN}}
MLREVIEW_RUNNER_TOKEN_END
if [[ ! "${RUNNER_TOKEN}" =~ ^glrt-[A-Za-z0-9_.-]{20,255}$ ]]; then
  log "the runner token is not a glrt- runner authentication token; refusing to start"
  exit 1
fi

# cloud-init keeps copies of the user data (root-only); the job has no business finding them.
# Unlinking the running script is safe: bash keeps reading it through its open descriptor.
rm -f /var/lib/cloud/instance/user-data.txt /var/lib/cloud/instance/user-data.txt.i
case "$0" in /var/lib/cloud/*) rm -f -- "$0" ;; esac

if ! command -v gitlab-runner >/dev/null 2>&1; then
  log "gitlab-runner is not installed in this image"
  exit 1
fi
if ! id -u "${RUNNER_USER}" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "${RUNNER_USER}"
fi
mkdir -p "${BUILDS_DIR}"
chown -R "${RUNNER_USER}:" "${WORK_DIR}"
RUNNER_HOME="$(getent passwd "${RUNNER_USER}" | cut -d: -f6)"
block_imds "${RUNNER_USER}" || { log "refusing to start the runner"; exit 1; }

cd "${WORK_DIR}"
log "starting the runner"
status=0
# A clean environment: nothing of cloud-init's (or this script's) reaches the job. The token goes
# through a here-string (standard input), so it is in no argument list; the inner shell exports it
# as CI_SERVER_TOKEN, the variable gitlab-runner takes its runner token from.
runuser -u "${RUNNER_USER}" -- env -i HOME="${RUNNER_HOME}" USER="${RUNNER_USER}" LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  CI_SERVER_URL="${GITLAB_URL}" RUNNER_EXECUTOR=shell RUNNER_BUILDS_DIR="${BUILDS_DIR}" \
  bash -c 'IFS= read -r CI_SERVER_TOKEN && export CI_SERVER_TOKEN && exec gitlab-runner run-single "$@" </dev/null' \
  mlreview-runner --max-builds 1 --wait-timeout "$(( IDLE_MINUTES * 60 ))" <<<"${RUNNER_TOKEN}" || status=$?
unset RUNNER_TOKEN
log "runner exited with status ${status}"
exit "${status}"
