/**
 * Measurements taken deep in the pipeline (EC2 errors, plot render time, runner instances) for the
 * server's /metrics. This module has no dependency: the CLI loads it and records nothing; the server
 * loads src/server/metrics.ts, which installs the Prometheus sink. (prom-client alone costs the CLI
 * ~0.1 s to import, so the code the CLI shares with the server must not import it.)
 */
export interface RunnerInstanceSample {
  profile: string | undefined;
  state: string;
}

export interface TelemetrySink {
  /** An EC2 API call failed with this error code (before any retry of ours). */
  ec2Error(code: string): void;
  /** One plot rendered (or failed to), in seconds, waiting for a worker included. */
  renderSeconds(seconds: number): void;
  /** A full listing of the managed instances, as the reaper just saw them. */
  runnerInstances(instances: readonly RunnerInstanceSample[]): void;
}

let sink: Partial<TelemetrySink> = {};

/** Replace the sink (the server's metrics); `{}` turns recording off. */
export function setTelemetrySink(next: Partial<TelemetrySink>): void {
  sink = next;
}

/** Never throws: a broken metric must not break a launch or a render. */
export const telemetry: TelemetrySink = {
  ec2Error: (code) => safely(() => sink.ec2Error?.(code)),
  renderSeconds: (seconds) => safely(() => sink.renderSeconds?.(seconds)),
  runnerInstances: (instances) => safely(() => sink.runnerInstances?.(instances)),
};

function safely(f: () => void): void {
  try {
    f();
  } catch {
    // metrics are best effort
  }
}
