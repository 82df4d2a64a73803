import { loadConfig } from '../config/config';
import { ReadModelsInUseError } from '../live-read-models-lease';
import { PROJECTION_NAMES, rebuildReadModels } from '../rebuild';

/** `npm run rebuild`: rebuilds every read model from position 0. Stop the service first. */
const config = loadConfig();
if (config.readStore === 'mongodb') {
  // MongoDB read models are rebuilt online, beside the live ones: no need to stop the service.
  // Loaded only here: it starts the whole application (~1,800 more modules, ~0.9 s to load), which
  // the embedded rebuild below does without.
  import('./rebuild-online')
    .then(({ runOnlineRebuild }) => runOnlineRebuild(config))
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
} else if (config.eventStore !== 'sqlite') {
  console.error(
    'the embedded rebuild reads the SQLite event store: with EVENT_STORE=kurrentdb use READ_STORE=mongodb',
  );
  process.exit(1);
} else {
  rebuildSqlite();
}

function rebuildSqlite(): void {
  rebuildReadModels(config.dataDir, { swap: true, keyEncryptionKeyDir: config.keyEncryptionKeyDir })
    .then(({ position, seconds, file, phases, personalData }) => {
      const rate = seconds > 0 ? Math.round(position / seconds) : position;
      console.log(
        `rebuilt ${PROJECTION_NAMES.length} projections (${PROJECTION_NAMES.join(', ')}) up to position ${position} ` +
          `in ${seconds.toFixed(2)} s (${rate} events/s) into ${file}: projected on two threads in ` +
          `${phases.firstThread.toFixed(1)} and ${phases.secondThread.toFixed(1)} s, part copied in ` +
          `${phases.copy.toFixed(1)} s, file finished in ${phases.finish.toFixed(1)} s; personal data ` +
          `opened on the second thread for the first: ${personalData.relayed} envelopes (the first opened ` +
          `${personalData.openedHere} itself, and waited ${personalData.waitedSeconds.toFixed(2)} s for them)`,
      );
    })
    .catch((error: unknown) => {
      // In use: a clear refusal, not a crash.
      console.error(error instanceof ReadModelsInUseError ? `rebuild refused: ${error.message}` : error);
      process.exit(1);
    });
}
