import { agencyWithStaff } from '../support/fixtures';
import { removeDataDir, startRegistry, temporaryDataDir, type RunningRegistry } from '../support/registry';

/**
 * The API scaled out on one set of stores, as in the compose file: two API processes with
 * PROJECTIONS=external serve reads and writes, a third process holds the projection lease and
 * applies events. (The embedded SQLite stores stand in for KurrentDB and MongoDB here.)
 */
describe('API replicas sharing one set of stores', () => {
  let dataDir: string;
  let worker: RunningRegistry;
  let apiA: RunningRegistry;
  let apiB: RunningRegistry;

  beforeAll(async () => {
    dataDir = temporaryDataDir();
    worker = await startRegistry(dataDir);
    apiA = await startRegistry(dataDir, { projections: 'external' });
    apiB = await startRegistry(dataDir, { projections: 'external' });
  });

  afterAll(async () => {
    await apiA.close();
    await apiB.close();
    await worker.close();
    removeDataDir(dataDir);
  });

  it('reads on one replica what was written through another, once the projections reach it', async () => {
    const { agencyId } = await agencyWithStaff(apiA);
    const health = await apiA.request('GET', '/health');
    const position = health.body.eventStore.head as number;
    const regulator = await apiB.token('regulator');

    // Replica B waits for the worker's checkpoint (it applies nothing itself), then answers.
    const seen = await apiB.request('GET', `/api/v1/agencies/${agencyId}/roster?minPosition=${position}`, {
      token: regulator,
    });

    expect(seen.status).toBe(200);
    const lagging = await apiB.request('GET', `/health?minPosition=${position}`);
    expect(lagging.body.projections).toMatchObject({ mode: 'external', position, lag: 0 });
  });

  it('reports each backend as reachable on /health, and where the projections run', async () => {
    const answer = await apiB.request('GET', '/health');

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      status: 'ok',
      info: {
        eventStore: { status: 'up', backend: 'sqlite' },
        readStore: { status: 'up', backend: 'sqlite' },
      },
      projections: { mode: 'external' },
    });
    const embedded = await worker.request('GET', '/health');
    expect(embedded.body.projections.mode).toBe('embedded');
  });
});
