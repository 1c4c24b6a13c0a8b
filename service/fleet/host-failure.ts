// Why a host could not be scanned or installed. A failure belongs to its host:
// it is reported with its reason and the other hosts carry on.
export const FAILURE_KINDS = [
  'inventory',      // the host's entry is unusable (bad address, port, user)
  'unreachable',    // DNS, refused, no route
  'host-key',       // unknown (without --accept-new), changed, or revoked key
  'auth',           // no key or agent identity was accepted
  'timeout',        // connect or command took longer than allowed
  'not-installed',  // the sendtrace CLI (or a usable node) is not on the host
  'old-version',    // the host's sendtrace or node is too old for this command
  'garbled',        // the output is not the JSON document the contract promises
  'remote-error',   // the remote command ran and reported an error
  'install-failed', // plesk bin extension failed, or the version did not verify
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export type Failure = { kind: FailureKind; message: string };

export class HostFailure extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.name = 'HostFailure';
    this.kind = kind;
  }
  toJSON(): Failure {
    return { kind: this.kind, message: this.message };
  }
}

/** A HostFailure as data; anything else is a bug and is rethrown. */
export function failureOf(err: unknown): Failure {
  if (err instanceof HostFailure) return err.toJSON();
  throw err;
}
