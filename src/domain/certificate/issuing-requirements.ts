/** Facts about the worker that the issue gate needs, gathered by the application layer. */
export interface WorkerReadiness {
  readonly consentOnFile: boolean;
}

/**
 * What the worker still lacks before a certificate may be issued (DESIGN §4.3).
 * Placeholder rule until training is built: consent on file is all that is checked here;
 * the training work replaces this with "consent on file and training completed".
 */
export function unmetIssuingRequirements(worker: WorkerReadiness): string[] {
  const unmet: string[] = [];
  if (!worker.consentOnFile) unmet.push('the worker has not authorised the credit and criminal-record check');
  return unmet;
}
