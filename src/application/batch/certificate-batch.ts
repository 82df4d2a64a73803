import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { certificateDecider, type CertificateCommand } from '../../domain/certificate/certificate';
import { withMetadata } from '../../domain/decider';
import { DomainError, notFound, type DomainErrorKind } from '../../domain/errors';
import type { CertificateChange } from '../certificate/change-certificate';
import { derivedId, type CommandContext } from '../command-context';
import { CommandProcessor } from '../command-processor';
import { streams } from '../streams';

/** The most rows one batch may hold. */
export const MAX_BATCH_ROWS = 10_000;

/** One row of a batch: the change to make, or why the row was refused before reaching the registry. */
export interface CertificateBatchRow {
  /** The CSV line the row came from, when it came from a file. */
  readonly line?: number;
  readonly certificateId: string;
  readonly change: CertificateChange | DomainError;
  /**
   * What makes this row this row: its command id derives from it, so the same row sent again (the same
   * file uploaded twice, the same batch retried) finds its own events and writes nothing.
   */
  readonly identity: readonly string[];
}

export type BatchRowStatus = 'applied' | 'unchanged' | 'refused';

export interface BatchRowResult {
  /** 1-based position of the row in the batch. */
  readonly row: number;
  readonly line?: number;
  readonly certificateId: string;
  /** applied: written now; unchanged: already recorded by an earlier run of this row; refused: nothing written. */
  readonly status: BatchRowStatus;
  readonly revision?: number;
  readonly position?: number;
  readonly refusal?: {
    readonly kind: DomainErrorKind;
    readonly message: string;
    readonly field?: string;
    readonly details?: Readonly<Record<string, unknown>>;
  };
}

export class RunCertificateBatchCommand {
  constructor(
    readonly rows: readonly CertificateBatchRow[],
    readonly context: CommandContext,
  ) {}
}

/**
 * Applies a batch row by row (police outcomes from a CSV file, a collective hand-over): each row is its
 * own command on its own certificate, so a refused row writes nothing and valid rows are applied. The
 * results come as an async iterable, one per row as it is decided, so long batches can stream progress.
 */
@CommandHandler(RunCertificateBatchCommand)
export class RunCertificateBatchHandler implements ICommandHandler<
  RunCertificateBatchCommand,
  AsyncIterable<BatchRowResult>
> {
  constructor(private readonly processor: CommandProcessor) {}

  async execute(command: RunCertificateBatchCommand): Promise<AsyncIterable<BatchRowResult>> {
    return this.run(command);
  }

  private async *run({ rows, context }: RunCertificateBatchCommand): AsyncGenerator<BatchRowResult> {
    let index = 0;
    for (const row of rows) {
      index++;
      yield await this.apply(row, index, context);
    }
  }

  private async apply(
    row: CertificateBatchRow,
    index: number,
    batch: CommandContext,
  ): Promise<BatchRowResult> {
    const { certificateId, change } = row;
    const base = { row: index, ...(row.line !== undefined ? { line: row.line } : {}), certificateId };
    if (change instanceof DomainError) return { ...base, status: 'refused', refusal: refusalOf(change) };
    const context: CommandContext = {
      actor: batch.actor,
      commandId: derivedId('batch-row', ...row.identity),
      correlationId: batch.correlationId,
    };
    try {
      const outcome = await this.processor.execute(
        certificateDecider,
        streams.certificate(certificateId),
        (state, metadata) => {
          if (state.status === 'none') throw notFound(`certificate ${certificateId} does not exist`);
          return withMetadata<CertificateCommand>(change, metadata);
        },
        context,
      );
      const applied = !outcome.replayed && outcome.events.length > 0;
      return {
        ...base,
        status: applied ? 'applied' : 'unchanged',
        revision: outcome.revision,
        position: outcome.position,
      };
    } catch (error) {
      if (error instanceof DomainError) return { ...base, status: 'refused', refusal: refusalOf(error) };
      throw error;
    }
  }
}

function refusalOf(error: DomainError): NonNullable<BatchRowResult['refusal']> {
  return {
    kind: error.kind,
    message: error.message,
    ...(error.field ? { field: error.field } : {}),
    ...(error.details ? { details: error.details } : {}),
  };
}
