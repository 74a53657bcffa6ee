# Shared by every runner bootstrap, inlined where a bootstrap includes lifecycle.sh: the machine
# powers off (and, with shutdown behaviour terminate, ends) when the script exits for any reason, at
# the max runtime, and when no job has started within the idle minutes. The including script defines
# MAX_RUNTIME_MINUTES, IDLE_MINUTES and job_started() first.

log() { echo "mlreview-bootstrap: $*" >&2; }

power_off() {
  trap - EXIT
  log "powering off: $1"
  sync || true
  shutdown -h now "mlreview: $1" || poweroff -f || true
}
trap 'power_off "bootstrap ended (status $?)"' EXIT
trap 'exit 143' TERM INT HUP

# Max runtime first, before anything that could hang. Two independent timers: systemd's scheduled
# shutdown, and a plain sleep in case shutdown cannot schedule (or the schedule is cancelled).
shutdown -h "+${MAX_RUNTIME_MINUTES}" "mlreview: max runtime reached" </dev/null >/dev/null 2>&1 &
( sleep "$(( (MAX_RUNTIME_MINUTES + 1) * 60 ))"; shutdown -h now || poweroff -f ) </dev/null >/dev/null 2>&1 &

# Idle watchdog: job_started is the including script's, since each runner leaves its own trace.
(
  sleep "$(( IDLE_MINUTES * 60 ))"
  if ! job_started; then
    echo "mlreview-bootstrap: no job within ${IDLE_MINUTES} minutes, powering off" >&2
    shutdown -h now "mlreview: idle" || poweroff -f
  fi
) </dev/null >/dev/null 2>&1 &
