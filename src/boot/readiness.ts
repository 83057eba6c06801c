/** What the process still waits for before it serves everything; `/healthz` reports it. */
export type Dependency = "database" | "slack" | "twilio";

export type HealthState =
  | { phase: "starting"; waitingFor: Dependency[] }
  | { phase: "ready" }
  | { phase: "stopping" }
  | { phase: "failed"; reason: string };

/** The process's readiness: which boot checks are still pending, and whether it is stopping. */
export class Readiness {
  private readonly pending: Set<Dependency>;
  private stopping = false;
  private failure: string | null = null;

  constructor(waitingFor: Dependency[]) {
    this.pending = new Set(waitingFor);
  }

  done(dependency: Dependency): void {
    this.pending.delete(dependency);
  }

  /** True once the dependency is ready; stays true while stopping, so requests keep being served during the drain. */
  has(dependency: Dependency): boolean {
    return !this.pending.has(dependency) && this.failure === null;
  }

  /** Fails health before anything closes, so a load balancer stops routing here first. */
  markStopping(): void {
    this.stopping = true;
  }

  markFailed(reason: string): void {
    this.failure = reason;
  }

  get state(): HealthState {
    if (this.stopping) return { phase: "stopping" };
    if (this.failure !== null) return { phase: "failed", reason: this.failure };
    if (this.pending.size > 0) return { phase: "starting", waitingFor: [...this.pending] };
    return { phase: "ready" };
  }
}

/** The outcome of one boot check: the service answered yes, refused our credentials, or could not be reached. */
export type CheckOutcome =
  | { kind: "ok"; detail?: Record<string, unknown> }
  | { kind: "rejected"; message: string }
  | { kind: "unreachable"; host: string; call: string; reason: string };

/** Seconds to wait before retry number `attempt` (1-based): 1, 2, 4, … up to a minute. */
export function backoffSeconds(attempt: number): number {
  return Math.min(60, 2 ** Math.max(0, attempt - 1));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/** Thrown when a service refuses the credentials: retrying cannot help, the operator must fix a setting. */
export class CredentialsRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CredentialsRejected";
  }
}

/**
 * Runs `check` until it succeeds, logging each unreachable attempt (host, call, reason) and
 * waiting longer each time. A rejection of the credentials ends it with `CredentialsRejected`;
 * an abort (shutdown) ends it with `null`.
 */
export async function untilReachable(
  check: () => Promise<CheckOutcome>,
  options: {
    service: string;
    signal: AbortSignal;
    onUnreachable: (outcome: Extract<CheckOutcome, { kind: "unreachable" }>, retryInSeconds: number) => void;
  },
): Promise<Extract<CheckOutcome, { kind: "ok" }> | null> {
  for (let attempt = 1; !options.signal.aborted; attempt++) {
    const outcome = await check();
    if (options.signal.aborted) return null;
    if (outcome.kind === "ok") return outcome;
    if (outcome.kind === "rejected") throw new CredentialsRejected(outcome.message);
    const wait = backoffSeconds(attempt);
    options.onUnreachable(outcome, wait);
    await pause(wait * 1000, options.signal);
  }
  return null;
}
