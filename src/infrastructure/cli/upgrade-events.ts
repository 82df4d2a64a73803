import { loadConfig } from '../config/config';
import { upgradeEventFile } from '../sqlite/event-file-upgrade';
import { eventStoreFile } from '../storage';

/**
 * `npm run upgrade-events`: copies DATA_DIR's event file into the current layout (streams numbered,
 * see event-file-layout.ts) and keeps the original beside it. Stop the service first.
 */
const config = loadConfig();
if (config.eventStore !== 'sqlite') {
  console.error('only the embedded SQLite event store has files to upgrade');
  process.exit(1);
}
try {
  const file = eventStoreFile(config.dataDir);
  const result = upgradeEventFile(file);
  console.log(
    result.upgraded
      ? `upgraded ${file}: ${result.events} events in ${result.streams} streams, in ${result.seconds.toFixed(1)} s; ` +
          `the file as it was is kept as ${result.kept}: delete it once the service runs on the new one`
      : `${file} has the current layout already: nothing to do`,
  );
} catch (error) {
  console.error(error);
  process.exit(1);
}
