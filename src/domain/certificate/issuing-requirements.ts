import { REQUIRED_CLASS_HOURS, type TrainingReadiness } from '../training/training-record';

/** Facts about the worker that the issue gate needs, gathered by the application layer from write-side streams. */
export interface WorkerReadiness {
  readonly consentOnFile: boolean;
  readonly training: TrainingReadiness;
}

/**
 * What the worker still lacks before a certificate may be issued (DESIGN §4.3): the authorisation of
 * the credit and criminal-record check on file, and training completed (≥ 3 class hours including the
 * exam, and a passed exam).
 */
export function unmetIssuingRequirements(worker: WorkerReadiness): string[] {
  const unmet: string[] = [];
  if (!worker.consentOnFile) unmet.push('the worker has not authorised the credit and criminal-record check');
  const { training } = worker;
  if (!training.completed) {
    const missing = [
      `${training.classHours} of ${REQUIRED_CLASS_HOURS} class hours done`,
      ...(training.examPassed ? [] : ['no passed exam']),
    ];
    unmet.push(`the worker has not completed training (${missing.join(', ')})`);
  }
  return unmet;
}
