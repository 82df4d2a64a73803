import Fastify, { type FastifyInstance } from 'fastify';
import { getLoadInTurns, turnOrder, type Side } from '../../../bench/in-turns';

/** A real HTTP server that logs when each request reached it, answering after `delayMs`. */
async function loggingServer(
  delayMs: number,
): Promise<{ app: FastifyInstance; url: string; hits: number[] }> {
  const hits: number[] = [];
  const app = Fastify({ logger: false });
  app.get('/api/v1/public/certificates/:code', async (request) => {
    hits.push(performance.now());
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { code: (request.params as { code: string }).code };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, hits };
}

describe('the public verification bench, measured in turns with its baseline', () => {
  it('alternates the sides in pairs that change order (ABBA), the same number of turns each', () => {
    expect(turnOrder(1)).toEqual(['baseline', 'ours']);
    expect(turnOrder(4)).toEqual([
      ...['baseline', 'ours', 'ours', 'baseline'],
      ...['baseline', 'ours', 'ours', 'baseline'],
    ]);
  });

  it('loads each server in its turns only, and keeps each side’s counts and latencies apart', async () => {
    const ours = await loggingServer(0);
    const baseline = await loggingServer(20);
    try {
      const paths = ['/api/v1/public/certificates/A1', '/api/v1/public/certificates/B2'];
      const run = await getLoadInTurns({ ours: ours.url, baseline: baseline.url }, paths, {
        connections: 4,
        seconds: 1.5,
        turns: 3,
        pid: process.pid,
      });

      // The servers' own logs, in time order, fall into the turns' order (two turns of one side in a
      // row make one run of its hits).
      const hits = [
        ...ours.hits.map((at) => ({ at, side: 'ours' as Side })),
        ...baseline.hits.map((at) => ({ at, side: 'baseline' as Side })),
      ].sort((a, b) => a.at - b.at);
      const runs = hits.filter((hit, index) => index === 0 || hits[index - 1]!.side !== hit.side);
      expect(runs.map((hit) => hit.side)).toEqual(['baseline', 'ours', 'baseline', 'ours']);
      expect(run.turns.map((turn) => turn.side)).toEqual(turnOrder(3));

      // Each side's answers counted over all its turns: every one was served by that side's server,
      // and at most the requests in flight when a turn ended (one per connection) went unanswered.
      for (const [side, server] of [
        ['ours', ours],
        ['baseline', baseline],
      ] as const) {
        const load = run[side];
        expect(load.failed).toBe(0);
        expect(load.ok).toBeGreaterThan(0);
        expect(load.ok).toBeLessThanOrEqual(server.hits.length);
        expect(load.ok).toBeGreaterThanOrEqual(server.hits.length - 4 * 3);
        expect(load.seconds).toBeGreaterThan(1.2);
        expect(load.perSecond).toBeCloseTo(load.ok / load.seconds, 6);
      }
      // The baseline answers after 20 ms, ours at once: merged percentiles stay with their side.
      expect(run.baseline.p50).toBeGreaterThanOrEqual(20);
      expect(run.ours.p50).toBeLessThan(20);
      expect(run.ours.perSecond).toBeGreaterThan(run.baseline.perSecond);
      // This process is both "service" and load generator here: CPU was measured in our turns.
      expect(run.cpu.serviceCpuMs).not.toBeNull();
      expect(run.cpu.loadCpuMs).toBeGreaterThan(0);
    } finally {
      await Promise.all([ours.app.close(), baseline.app.close()]);
    }
  });
});
