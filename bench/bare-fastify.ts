import Fastify from 'fastify';

/**
 * The public-verification baseline: a bare Fastify server with one route that answers the same JSON
 * as the service's public view (given in BARE_BODY), with nothing else in the way.
 */
async function main(): Promise<void> {
  const body = JSON.parse(process.env.BARE_BODY ?? '{}') as Record<string, unknown>;
  const app = Fastify({ logger: false });
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/api/v1/public/certificates/:code', async () => body);
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
