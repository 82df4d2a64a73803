import { randomUUID } from 'node:crypto';
import type { AccessLog, AccessLogEntry } from '../../src/application/ports/access-log';

export interface AccessLogFactory {
  open(): Promise<AccessLog>;
}

export function describeAccessLogContract(name: string, factory: AccessLogFactory): void {
  describe(`AccessLog contract: ${name}`, () => {
    let log: AccessLog;

    beforeAll(async () => {
      log = await factory.open();
    });

    afterAll(async () => {
      await log.close();
    });

    const entry = (workerId: string, n: number, extra: Partial<AccessLogEntry> = {}): AccessLogEntry => ({
      at: `2026-11-24T08:00:0${n}.000Z`,
      workerId,
      actor: { id: `op-${n}`, role: 'agency_operator', agencyId: 'agency-1' },
      route: 'GET /api/v1/workers/:id',
      fields: ['name', 'idNumber', 'phone'],
      ...extra,
    });

    it("keeps each worker's entries in the order they were recorded, paged", async () => {
      const [a, b] = [randomUUID(), randomUUID()];
      await log.record([entry(a, 1), entry(b, 1)]);
      await log.record([
        entry(a, 2, { actor: { id: 'reg', role: 'regulator' }, fields: ['name'], correlationId: 'c-1' }),
      ]);
      await log.record([entry(a, 3, { grantedBy: 'provider p trained this worker' })]);
      const all = await log.forWorker(a, { limit: 10, offset: 0 });
      expect(all.total).toBe(3);
      expect(all.items.map(({ seq: _seq, ...item }) => item)).toEqual([
        entry(a, 1),
        entry(a, 2, { actor: { id: 'reg', role: 'regulator' }, fields: ['name'], correlationId: 'c-1' }),
        entry(a, 3, { grantedBy: 'provider p trained this worker' }),
      ]);
      const page = await log.forWorker(a, { limit: 1, offset: 1 });
      expect(page.total).toBe(3);
      expect(page.items.map((item) => item.actor.id)).toEqual(['reg']);
      expect((await log.forWorker(b, { limit: 10, offset: 0 })).total).toBe(1);
      expect(await log.forWorker(randomUUID(), { limit: 10, offset: 0 })).toEqual({ total: 0, items: [] });
    });

    it('records nothing for an empty batch', async () => {
      await expect(log.record([])).resolves.toBeUndefined();
    });
  });
}
