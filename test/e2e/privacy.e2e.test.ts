import Database from 'better-sqlite3';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { EVENT_STORE, type EventStore } from '../../src/application/ports/event-store';
import { rebuildReadModels } from '../../src/infrastructure/rebuild';
import { readReadModels } from '../support/read-models';
import {
  agencyWithStaff,
  certificateUpTo,
  idNumber,
  phone,
  registeredWorker,
  type Scenario,
} from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';

/** Every file under DATA_DIR except the key store (keys.db and its journals) and secrets/. */
function storedFiles(dataDir: string): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const rel = relative(dataDir, path);
      if (rel === 'secrets' || /^keys\.db/.test(rel)) continue;
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(dataDir);
  return files;
}

/** The ways a string could sit in a file: UTF-8 (SQLite's), JSON \u-escaped, UTF-16. */
function encodings(value: string): Buffer[] {
  const escaped = [...value]
    .map((c) => (c.charCodeAt(0) > 0x7e ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c))
    .join('');
  return [Buffer.from(value, 'utf8'), Buffer.from(escaped, 'utf8'), Buffer.from(value, 'utf16le')];
}

/** Which secrets appear in clear in which files. */
function findInClear(dataDir: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const file of storedFiles(dataDir)) {
    const bytes = readFileSync(file);
    for (const [what, value] of Object.entries(secrets)) {
      if (encodings(value).some((needle) => bytes.includes(needle)))
        found.push(`${what} in ${relative(dataDir, file)}`);
    }
  }
  return found;
}

describe('personal data: encrypted at rest, disclosed by tier, every disclosure logged, erasable', () => {
  let registry: RunningRegistry;
  let own: Scenario;
  let other: Scenario;
  let regulator: string;
  let auditor: string;
  let lastPosition = 0;

  const get = async (path: string, token: string | null) => {
    const answer = await registry.request(
      'GET',
      `/api/v1${path}${path.includes('?') ? '&' : '?'}minPosition=${lastPosition}`,
      {
        token,
      },
    );
    return answer;
  };
  const post = async (path: string, token: string, body?: unknown) => {
    const answer = await registry.request('POST', `/api/v1${path}`, { token, body });
    if (answer.status < 300) lastPosition = Math.max(lastPosition, answer.body.position);
    return answer;
  };

  beforeAll(async () => {
    registry = await startRegistry();
    own = await agencyWithStaff(registry, '310104');
    other = await agencyWithStaff(registry, '310115');
    regulator = await registry.token('regulator');
    auditor = await registry.token('auditor');
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  describe('at rest', () => {
    const person = { name: '欧阳娜娜', idNumber: idNumber(), phone: phone() };
    const renamed = { name: '司马相如', phone: phone() };
    const secrets = {
      name: person.name,
      'new name': renamed.name,
      'ID number': person.idNumber,
      phone: person.phone,
      'new phone': renamed.phone,
    };

    it('no name, ID number or phone is in clear in any stored file but the key store and secrets', async () => {
      const workerId = await registeredWorker(registry, own, person);
      const updated = await registry.request('PATCH', `/api/v1/workers/${workerId}`, {
        token: own.operator,
        body: renamed,
      });
      expect(updated.status).toBe(200);
      const issued = await certificateUpTo(registry, own, workerId, 'issued');
      lastPosition = issued.position;
      // Reads that disclose (and so write the access log) and the public view.
      const view = await get(`/workers/${workerId}`, own.operator);
      expect(view.body).toMatchObject({
        name: renamed.name,
        idNumber: person.idNumber,
        phone: renamed.phone,
      });
      expect((await get(`/certificates/${issued.id}`, regulator)).body.worker.name).toBe(renamed.name);
      expect((await get(`/public/certificates/${issued.code}`, null)).body.holder).toBe('司**如');

      // While the service runs: the -wal files hold the newest pages.
      const files = storedFiles(registry.dataDir).map((file) => relative(registry.dataDir, file));
      expect(files).toEqual(
        expect.arrayContaining(['events.db', 'events.db-wal', 'read.db', 'read.db-wal', 'access-log.db']),
      );
      expect(findInClear(registry.dataDir, secrets)).toEqual([]);
      // Sanity: the scan does find what it looks for (the key store is left out, not invisible).
      expect(findInClear(registry.dataDir, { 'worker id': workerId }).length).toBeGreaterThan(0);

      // After a restart (checkpointed into the main files) and a full rebuild of the read models.
      await registry.close();
      registry = await startRegistry(registry.dataDir);
      await rebuildReadModels(registry.dataDir, { target: join(registry.dataDir, 'rebuilt.db') });
      expect(findInClear(registry.dataDir, secrets)).toEqual([]);
      // And it still all reads back for the worker's agency.
      expect((await get(`/workers/${workerId}`, own.operator)).body).toMatchObject({
        name: renamed.name,
        phone: renamed.phone,
      });
    });

    it('keeps the data keys in keys.db wrapped, never the raw key bytes', async () => {
      const workerId = await registeredWorker(registry, own);
      const [{ key }] = [...(await keysOf(workerId))];
      const db = new Database(join(registry.dataDir, 'keys.db'), { readonly: true });
      try {
        const row = db.prepare('SELECT wrapped, kek_id FROM data_keys WHERE key_id = ?').get(workerId) as {
          wrapped: Buffer;
          kek_id: string;
        };
        expect(row.kek_id).toMatch(/^kek-/);
        expect(row.wrapped.includes(key)).toBe(false);
      } finally {
        db.close();
      }
      expect(readFileSync(join(registry.dataDir, 'keys.db')).includes(key)).toBe(false);
    });

    async function keysOf(workerId: string): Promise<{ key: Buffer }[]> {
      const { KEY_STORE } = await import('../../src/application/ports/key-store');
      const store = registry.app.get(KEY_STORE);
      const found = (await store.lookup([workerId])).get(workerId);
      if (found?.state !== 'active') throw new Error('no active key');
      return [{ key: found.key }];
    }
  });

  describe('tiered disclosure', () => {
    const person = { name: '张三丰', idNumber: idNumber(), phone: phone() };
    let workerId: string;
    let certificate: { id: string; code?: string; position: number };

    beforeAll(async () => {
      workerId = await registeredWorker(registry, own, person);
      certificate = await certificateUpTo(registry, own, workerId, 'issued');
      lastPosition = certificate.position;
    });

    it('the public sees status, masked name and agency — nothing else about the person', async () => {
      const answer = await get(`/public/certificates/${certificate.code}`, null);
      expect(answer.body).toMatchObject({ status: 'valid', holder: '张*丰' });
      const text = JSON.stringify(answer.body);
      for (const secret of [person.name, person.idNumber, person.phone, workerId])
        expect(text).not.toContain(secret);
    });

    it('the own agency and regulators see everything; reviewers and police the identity; others nothing', async () => {
      const full = { name: person.name, idNumber: person.idNumber, phone: person.phone };
      const identity = {
        name: person.name,
        idNumber: person.idNumber,
        phone: `${person.phone.slice(0, 3)}****${person.phone.slice(7)}`,
      };
      const cases: [string, string, number, object?][] = [
        ['own operator', own.operator, 200, { ...full, disclosed: ['name', 'idNumber', 'phone'] }],
        ['regulator', regulator, 200, { ...full, disclosed: ['name', 'idNumber', 'phone'] }],
        ['reviewer', own.reviewer, 200, { ...identity, disclosed: ['name', 'idNumber'] }],
        ['police', own.police, 200, { ...identity, disclosed: ['name', 'idNumber'] }],
        ['other operator', other.operator, 403],
        ['auditor', auditor, 403],
        ['admin', own.admin, 403],
        ['trainer', await registry.token('training_provider', 'provider-x'), 403],
      ];
      for (const [who, token, status, body] of cases) {
        const answer = await get(`/workers/${workerId}`, token);
        expect({ who, status: answer.status }).toEqual({ who, status });
        if (body) {
          expect(answer.body).toMatchObject({ id: workerId, agencyId: own.agencyId, erased: null, ...body });
          expect(answer.body).not.toHaveProperty('sealedPersonal');
          expect(answer.headers.get('cache-control')).toBe('no-store');
        }
      }
    });

    it('GET /certificates/:id names the holder in full within scope (logged), masked for an auditor', async () => {
      const before = (await get(`/workers/${workerId}/access-log`, regulator)).body.total;
      expect((await get(`/certificates/${certificate.id}`, own.operator)).body.worker).toEqual({
        id: workerId,
        name: person.name,
        erased: false,
      });
      expect((await get(`/certificates/${certificate.id}`, auditor)).body.worker).toEqual({
        id: workerId,
        name: '张*丰',
        erased: false,
      });
      const log = (await get(`/workers/${workerId}/access-log`, regulator)).body;
      expect(log.total).toBe(before + 1);
      expect(log.items[log.items.length - 1]).toMatchObject({
        actor: { role: 'agency_operator', agencyId: own.agencyId },
        route: 'GET /api/v1/certificates/:id',
        fields: ['name'],
      });
    });

    it('records who read the unmasked data, when, by which route — shown to the agency and regulators only', async () => {
      const fresh = await registeredWorker(registry, own);
      await get(`/workers/${fresh}`, own.operator);
      await get(`/workers/${fresh}`, regulator);
      await registry.request('GET', `/api/v1/workers/${fresh}`, {
        token: own.reviewer,
        headers: { 'x-correlation-id': 'review-77' },
      });
      const started = Date.now();
      const answer = await get(`/workers/${fresh}/access-log`, own.operator);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        workerId: fresh,
        total: 3,
        items: [
          {
            at: expect.any(String),
            actor: { id: `agency_operator-${own.agencyId}`, role: 'agency_operator', agencyId: own.agencyId },
            route: 'GET /api/v1/workers/:id',
            fields: ['name', 'idNumber', 'phone'],
          },
          {
            at: expect.any(String),
            actor: { id: 'regulator-city', role: 'regulator' },
            route: 'GET /api/v1/workers/:id',
            fields: ['name', 'idNumber', 'phone'],
          },
          {
            at: expect.any(String),
            actor: { id: 'platform_reviewer-city', role: 'platform_reviewer' },
            route: 'GET /api/v1/workers/:id',
            fields: ['name', 'idNumber'],
            correlationId: 'review-77',
          },
        ],
      });
      for (const item of answer.body.items) expect(Date.parse(item.at)).toBeLessThanOrEqual(started + 1000);
      expect((await get(`/workers/${fresh}/access-log?limit=1&offset=2`, regulator)).body.items).toEqual([
        expect.objectContaining({ actor: expect.objectContaining({ role: 'platform_reviewer' }) }),
      ]);
      // Reading the log discloses nothing, so it is not itself logged.
      expect((await get(`/workers/${fresh}/access-log`, regulator)).body.total).toBe(3);
      for (const token of [other.operator, own.reviewer, own.police, auditor, own.admin]) {
        expect((await get(`/workers/${fresh}/access-log`, token)).status).toBe(403);
      }
      expect((await get('/workers/00000000-0000-5000-8000-000000000000/access-log', regulator)).status).toBe(
        404,
      );
    });
  });

  describe('erasure (PIPL art. 47)', () => {
    const person = { name: '买买提·艾力', idNumber: idNumber(), phone: phone() };
    let workerId: string;
    let certificate: { id: string; code?: string; position: number };
    let erasedAt: { revision: number; position: number };
    let historyBefore: { entries: unknown[] };

    beforeAll(async () => {
      workerId = await registeredWorker(registry, own, person);
      certificate = await certificateUpTo(registry, own, workerId, 'issued');
      lastPosition = certificate.position;
      historyBefore = (await get(`/audit/certificates/${certificate.id}/history`, auditor)).body;
    });

    it('is refused to every role but platform_admin and regulator, and nothing is written', async () => {
      const head = (await registry.request('GET', '/health')).body.eventStore.head;
      for (const token of [
        own.operator,
        own.reviewer,
        own.police,
        auditor,
        await registry.token('training_provider', 'p'),
      ]) {
        const answer = await post(`/workers/${workerId}/erasure`, token, { reason: 'not mine to erase' });
        expect(answer.status).toBe(403);
      }
      expect((await registry.request('GET', '/health')).body.eventStore.head).toBe(head);
    });

    it('refuses a reason that carries an ID number or a phone number', async () => {
      for (const reason of [
        `asked by ${person.idNumber}`,
        `call ${person.phone.slice(0, 3)} ${person.phone.slice(3)}`,
      ]) {
        const answer = await post(`/workers/${workerId}/erasure`, regulator, { reason });
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({
          field: 'reason',
          message: expect.stringMatching(/^reason must not contain/),
        });
      }
      expect((await post(`/workers/${workerId}/erasure`, regulator, {})).status).toBe(400);
      expect(
        (await post('/workers/00000000-0000-5000-8000-000000000000/erasure', regulator, { reason: 'x' }))
          .status,
      ).toBe(404);
    });

    it('records who erased and why, then shreds the key', async () => {
      const answer = await post(`/workers/${workerId}/erasure`, own.admin, {
        reason: 'worker request, ticket 2026-0042',
      });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        id: workerId,
        revision: expect.any(Number),
        position: expect.any(Number),
      });
      erasedAt = answer.body;
      const again = await post(`/workers/${workerId}/erasure`, regulator, { reason: 'twice' });
      expect(again.status).toBe(409);
      expect(again.body.message).toBe(`worker ${workerId} was already erased`);

      const db = new Database(join(registry.dataDir, 'keys.db'), { readonly: true });
      try {
        expect(
          db.prepare('SELECT wrapped, kek_id, destroyed_at FROM data_keys WHERE key_id = ?').get(workerId),
        ).toEqual({
          wrapped: null,
          kek_id: null,
          destroyed_at: expect.any(String),
        });
      } finally {
        db.close();
      }
      const decisions = await get(`/audit/actors/platform_admin-city/decisions`, auditor);
      expect(decisions.body.items).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'WorkerErased', entityId: workerId })]),
      );
    });

    it('shows the personal fields as erased everywhere, and logs nothing (nothing is disclosed)', async () => {
      const logBefore = (await get(`/workers/${workerId}/access-log`, regulator)).body.total;
      const view = await get(`/workers/${workerId}`, own.operator);
      expect(view.status).toBe(200);
      expect(view.body).toMatchObject({
        name: '[erased]',
        idNumber: '[erased]',
        phone: '[erased]',
        disclosed: [],
        erased: {
          at: expect.any(String),
          reason: 'worker request, ticket 2026-0042',
          by: { id: 'platform_admin-city', role: 'platform_admin' },
        },
      });
      expect((await get(`/certificates/${certificate.id}`, own.operator)).body.worker).toEqual({
        id: workerId,
        name: '[erased]',
        erased: true,
      });
      expect((await get(`/public/certificates/${certificate.code}`, null)).body).toMatchObject({
        holder: '[erased]',
      });
      expect((await get(`/workers/${workerId}/access-log`, regulator)).body.total).toBe(logBefore);
    });

    it('still replays the certificate history and the worker stream, with personal fields as erased', async () => {
      const history = await get(`/audit/certificates/${certificate.id}/history`, auditor);
      expect(history.status).toBe(200);
      expect(history.body).toEqual(historyBefore);
      const events = await registry.app.get<symbol, EventStore>(EVENT_STORE).readStream(`worker-${workerId}`);
      expect(events.map((event) => event.type)).toEqual([
        'WorkerRegistered',
        'ConsentRecorded',
        'ApplicationOpened',
        'WorkerErased',
      ]);
      expect(events[0]!.data.personal).toEqual({ name: '[erased]', idNumber: '[erased]', phone: '[erased]' });
      expect(events[3]!.data).toEqual({ workerId, reason: 'worker request, ticket 2026-0042' });
      expect(events[3]!.metadata.actor).toEqual({ id: 'platform_admin-city', role: 'platform_admin' });
    });

    it('lets nothing more be recorded about the worker', async () => {
      const refusals: [string, string, unknown][] = [
        ['PATCH', `/workers/${workerId}`, { phone: phone() }],
        [
          'POST',
          `/workers/${workerId}/consents`,
          { scopes: ['credit', 'criminal_record'], evidenceRef: 'again.pdf' },
        ],
        ['POST', '/certificates', { workerId }],
      ];
      const head = (await registry.request('GET', '/health')).body.eventStore.head;
      for (const [method, path, body] of refusals) {
        const answer = await registry.request(method, `/api/v1${path}`, { token: own.operator, body });
        expect({ path, status: answer.status }).toEqual({ path, status: 409 });
      }
      expect((await registry.request('GET', '/health')).body.eventStore.head).toBe(head);
    });

    it('holds after a restart and a rebuild of the read models from position 0', async () => {
      await registry.close();
      registry = await startRegistry(registry.dataDir);
      lastPosition = erasedAt.position;
      expect((await get(`/workers/${workerId}`, regulator)).body).toMatchObject({
        name: '[erased]',
        phone: '[erased]',
      });
      const target = join(registry.dataDir, 'after-erasure.db');
      await rebuildReadModels(registry.dataDir, { target });
      const live = await readReadModels(join(registry.dataDir, 'read.db'));
      const rebuilt = await readReadModels(target);
      expect(rebuilt.collections.workers).toEqual(live.collections.workers);
      expect(rebuilt.collections.public_certificates).toEqual(live.collections.public_certificates);
      const doc = live.collections.workers!.find((row) => row.id === workerId)!.doc as Record<
        string,
        unknown
      >;
      expect(doc).toMatchObject({ maskedName: '[erased]', sealedPersonal: [] });
    });
  });
});
