import { certificateDecider, type CertificateEvent } from '../src/domain/certificate/certificate';
import { fold } from '../src/domain/decider';
import { streams } from '../src/application/streams';
import { eventStoreFile, openEventStore } from '../src/infrastructure/storage';
import { rawStreamReader } from './baselines';
import { now, summarise, type LatencySummary } from './measure';

export interface ReplayResult {
  readonly ours: LatencySummary;
  readonly raw: LatencySummary;
  readonly events: number;
}

/**
 * One certificate's full history replayed from the event store with the write model's own evolve,
 * and verified against what the read model says (status and code); the raw baseline only selects
 * and parses the same rows.
 */
export async function replayHistories(
  dataDir: string,
  certificates: readonly { id: string; status: string; code: string | null }[],
): Promise<ReplayResult> {
  const store = openEventStore(dataDir);
  const raw = rawStreamReader(eventStoreFile(dataDir));
  const ours: number[] = [];
  const baseline: number[] = [];
  let events = 0;
  try {
    for (const certificate of certificates) {
      const streamId = streams.certificate(certificate.id);
      // Both measured on warm pages: the first read of a stream pays for the disk, not for the code.
      raw.read(streamId);
      let started = now();
      raw.read(streamId);
      baseline.push(now() - started);

      started = now();
      const history = await store.readStream(streamId);
      const state = fold(certificateDecider, history as unknown as CertificateEvent[]);
      const code = state.status === 'issued' ? state.code : null;
      if (state.status !== certificate.status || (code !== null && code !== certificate.code)) {
        throw new Error(
          `certificate ${certificate.id}: replay gives ${state.status}, the read model ${certificate.status}`,
        );
      }
      ours.push(now() - started);
      events += history.length;
    }
  } finally {
    raw.close();
    await store.close();
  }
  return { ours: summarise(ours), raw: summarise(baseline), events };
}
