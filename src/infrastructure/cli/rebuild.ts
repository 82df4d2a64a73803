import { loadConfig } from '../config/config';
import { PROJECTION_NAMES, rebuildReadModels } from '../rebuild';

/** `npm run rebuild`: rebuilds every read model from position 0. Stop the service first. */
rebuildReadModels(loadConfig().dataDir, { swap: true })
  .then(({ position, seconds, file }) => {
    const rate = seconds > 0 ? Math.round(position / seconds) : position;
    console.log(
      `rebuilt ${PROJECTION_NAMES.length} projections (${PROJECTION_NAMES.join(', ')}) up to position ${position} ` +
        `in ${seconds.toFixed(2)} s (${rate} events/s) into ${file}`,
    );
  })
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
