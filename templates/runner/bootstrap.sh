#!/bin/bash
# mlreview runner bootstrap: EC2 user data for one ephemeral GitHub Actions runner that runs one job.
#
# What the AMI must provide:
#   - Linux with bash, systemd's shutdown, runuser (util-linux) and coreutils;
#   - the GitHub Actions runner unpacked in /opt/actions-runner with its dependencies installed
#     (bin/installdependencies.sh), plus the GPU driver, CUDA and container toolkit the jobs need.
#     Baking the runner in saves minutes per job; if it is missing, the pinned version below is
#     downloaded from GitHub releases and checked against its SHA-256 (x86_64 only, needs curl + tar);
#   - a user "runner" (created here if missing): the job never runs as root, and the AMI must not
#     give it sudo or the docker group (either makes the job root);
#   - iptables or nft, to keep the job away from the instance metadata (see imds.sh below).
#
# Every way out of this script powers the machine off, and the instance is launched with
# InstanceInitiatedShutdownBehavior=terminate, so power-off is termination: after the job, on any
# error, at max runtime, and when no job arrives in time. The bot's reaper is a second line, not the
# only one.
#
# The only secret here is the single-use JIT runner config. It is never echoed and never on a command
# line (`ps` shows command lines to every user): it reaches the runner on standard input, becomes the
# runner's ACTIONS_RUNNER_INPUT_JITCONFIG (which the runner reads as --jitconfig and then unsets), and
# is removed from cloud-init's copies; the metadata service will not give the user data to the job's
# user (block_imds). What cannot be hidden: actions/runner runs the job as its own user, so the job
# can read the runner process's memory and initial environment (/proc/<pid>/environ, same uid) and with
# them the runner's credentials. They are one ephemeral runner's, bound to this one job: GitHub deletes
# the runner after its job, and the instance ends with it.
set -euo pipefail

MAX_RUNTIME_MINUTES={{MAX_RUNTIME_MINUTES}}
IDLE_MINUTES={{IDLE_MINUTES}}
RUNNER_VERSION={{RUNNER_VERSION}}
RUNNER_SHA256={{RUNNER_SHA256}}
RUNNER_DIR=/opt/actions-runner
RUNNER_USER=runner

# Idle: an ephemeral runner takes exactly one job, and the runner starts one Runner.Worker per job,
# which writes _diag/Worker_*.log. No worker log and no worker process after IDLE_MINUTES means no
# job came (taken by another runner, cancelled, or never matched): power off. The log file stays
# after the worker ends, so a short job cannot be mistaken for no job.
job_started() {
  compgen -G "${RUNNER_DIR}/_diag/Worker_*.log" >/dev/null || pgrep -f Runner.Worker >/dev/null 2>&1
}
{{> lifecycle.sh}}
{{> imds.sh}}

# Read inside a quoted heredoc: the shell expands nothing in it. The renderer already refused any
# value that is not strict base64; checked again here because this file is what runs.
IFS= read -r JIT <<'MLREVIEW_JIT_CONFIG_END' || true
{{JIT_CONFIG}}
MLREVIEW_JIT_CONFIG_END
if [[ ! "${JIT}" =~ ^[A-Za-z0-9+/]+={0,2}$ ]]; then
  log "the runner config is not base64; refusing to start"
  exit 1
fi

# cloud-init keeps copies of the user data (root-only); the job has no business finding them.
# Unlinking the running script is safe: bash keeps reading it through its open descriptor.
rm -f /var/lib/cloud/instance/user-data.txt /var/lib/cloud/instance/user-data.txt.i
case "$0" in /var/lib/cloud/*) rm -f -- "$0" ;; esac

if [[ ! -x "${RUNNER_DIR}/run.sh" ]]; then
  if [[ "$(uname -m)" != "x86_64" ]]; then
    log "no runner in ${RUNNER_DIR} and no pinned download for $(uname -m)"
    exit 1
  fi
  log "no runner in ${RUNNER_DIR}: downloading ${RUNNER_VERSION}"
  tarball="$(mktemp)"
  curl -fsSL --retry 3 --max-time 600 -o "${tarball}" \
    "https://github.com/actions/runner/releases/download/v${RUNNER_VERSION}/actions-runner-linux-x64-${RUNNER_VERSION}.tar.gz"
  echo "${RUNNER_SHA256}  ${tarball}" | sha256sum -c - >/dev/null
  mkdir -p "${RUNNER_DIR}"
  tar -xzf "${tarball}" -C "${RUNNER_DIR}"
  rm -f "${tarball}"
  "${RUNNER_DIR}/bin/installdependencies.sh" >/dev/null 2>&1 || log "installdependencies.sh failed; trying anyway"
fi

if ! id -u "${RUNNER_USER}" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "${RUNNER_USER}"
fi
chown -R "${RUNNER_USER}:" "${RUNNER_DIR}"
RUNNER_HOME="$(getent passwd "${RUNNER_USER}" | cut -d: -f6)"
block_imds "${RUNNER_USER}" || { log "refusing to start the runner"; exit 1; }

cd "${RUNNER_DIR}"
log "starting the runner"
status=0
# A clean environment: nothing of cloud-init's (or this script's) reaches the job. The config goes
# through a here-string (standard input), so it is in no argument list; the inner shell exports it as
# ACTIONS_RUNNER_INPUT_JITCONFIG, which the runner takes as its --jitconfig and removes from its
# environment before any job starts.
runuser -u "${RUNNER_USER}" -- env -i HOME="${RUNNER_HOME}" USER="${RUNNER_USER}" LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c 'IFS= read -r ACTIONS_RUNNER_INPUT_JITCONFIG && export ACTIONS_RUNNER_INPUT_JITCONFIG && exec ./run.sh </dev/null' \
  mlreview-runner <<<"${JIT}" || status=$?
unset JIT
log "runner exited with status ${status}"
exit "${status}"
