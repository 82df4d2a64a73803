import 'reflect-metadata';
import { ConfigError, loadConfig } from './infrastructure/config/config';
import { createApp } from './infrastructure/create-app';
import { limitHeapGrowth } from './infrastructure/heap-growth';
import { describeStorage, storageWarnings } from './infrastructure/storage';

async function main(): Promise<void> {
  const config = loadConfig();
  limitHeapGrowth();
  const app = await createApp({ config });
  await app.listen(config.port, config.host);
  console.log(
    `registry listening on http://${config.host}:${config.port} (data in ${config.dataDir}); docs at /docs`,
  );
  console.log(`storage: ${describeStorage(config)}`);
  for (const warning of storageWarnings(config)) console.warn(`warning: ${warning}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `configuration error: ${error.message}` : error);
  process.exit(1);
});
