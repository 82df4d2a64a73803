import { agencyWithStaff, certificateUpTo, registeredWorker, type Scenario } from '../support/fixtures';
import { removeDataDir, startRegistry, type RunningRegistry } from '../support/registry';

describe('batches over HTTP: police outcomes from CSV, collective hand-over (集体领卡)', () => {
  let registry: RunningRegistry;
  let agencyA: Scenario;
  let agencyB: Scenario;

  beforeAll(async () => {
    registry = await startRegistry();
    agencyA = await agencyWithStaff(registry, '310104');
    agencyB = await agencyWithStaff(registry, '310115');
  });

  afterAll(async () => {
    await registry.close();
    removeDataDir(registry.dataDir);
  });

  async function certificateAt(
    stop: 'company-check' | 'police-check' | 'issued',
    scenario: Scenario = agencyA,
  ): Promise<string> {
    const workerId = await registeredWorker(registry, scenario);
    return (await certificateUpTo(registry, scenario, workerId, stop)).id;
  }

  const head = async () => (await registry.request('GET', '/health')).body.eventStore.head as number;

  const status = async (certificateId: string) => {
    const answer = await registry.request(
      'GET',
      `/api/v1/certificates/${certificateId}?minPosition=${await head()}`,
      {
        token: agencyA.reviewer,
      },
    );
    return answer.body.status as string;
  };

  const upload = (csv: string, headers: Record<string, string> = {}, token = agencyA.police) =>
    registry.request('POST', '/api/v1/police-checks/batch', {
      token,
      body: csv,
      headers: { 'content-type': 'text/csv', ...headers },
    });

  describe('POST /police-checks/batch (text/csv: certificateId,outcome,reference)', () => {
    let clear: string;
    let found: string;
    let badOutcome: string;
    let outOfOrder: string;
    let file: string;

    beforeAll(async () => {
      clear = await certificateAt('police-check');
      found = await certificateAt('police-check');
      badOutcome = await certificateAt('police-check');
      outOfOrder = await certificateAt('company-check');
      file =
        '\uFEFFcertificateId,outcome,reference\r\n' +
        `${clear},clear,PSB-2026-0001\r\n` +
        `${found},record_found,"PSB-2026-0002, 徐汇分局"\r\n` +
        `${badOutcome},maybe,PSB-2026-0003\r\n` +
        `${outOfOrder},clear,PSB-2026-0004\r\n` +
        'no-such-certificate,clear,PSB-2026-0005\r\n' +
        ',clear,PSB-2026-0006\r\n' +
        `${badOutcome},clear,PSB-2026-0007,unexpected\r\n` +
        '\r\n';
    });

    it('applies the valid rows and refuses the others, each with its reason, row by row', async () => {
      const answer = await upload(file);
      expect(answer.status).toBe(200);
      expect(answer.body.summary).toEqual({
        rows: 7,
        applied: 2,
        unchanged: 0,
        refused: 5,
        position: expect.any(Number),
      });
      expect(answer.body.rows).toEqual([
        {
          row: 1,
          line: 2,
          certificateId: clear,
          status: 'applied',
          revision: 3,
          position: expect.any(Number),
        },
        {
          row: 2,
          line: 3,
          certificateId: found,
          status: 'applied',
          revision: 3,
          position: expect.any(Number),
        },
        expect.objectContaining({
          row: 3,
          line: 4,
          certificateId: badOutcome,
          status: 'refused',
          statusCode: 400,
          error: 'Bad Request',
          field: 'outcome',
          message: 'outcome must be clear or record_found',
        }),
        expect.objectContaining({
          row: 4,
          certificateId: outOfOrder,
          status: 'refused',
          statusCode: 409,
          message: expect.stringContaining('is awaiting company check'),
        }),
        expect.objectContaining({ row: 5, status: 'refused', statusCode: 404 }),
        expect.objectContaining({ row: 6, status: 'refused', statusCode: 400, field: 'certificateId' }),
        expect.objectContaining({ row: 7, line: 8, status: 'refused', statusCode: 400, field: 'row' }),
      ]);
      expect(await status(clear)).toBe('awaiting_issue');
      expect(await status(found)).toBe('rejected');
      // Refused rows wrote nothing.
      expect(await status(badOutcome)).toBe('awaiting_police_check');
      expect(await status(outOfOrder)).toBe('awaiting_company_check');
    });

    it('changes nothing when the same file is uploaded again: its rows are recognised', async () => {
      const before = await head();
      const again = await upload(file);
      expect(again.status).toBe(200);
      expect(again.body.summary).toMatchObject({ rows: 7, applied: 0, unchanged: 2, refused: 5 });
      expect(again.body.rows.slice(0, 2)).toEqual([
        expect.objectContaining({ certificateId: clear, status: 'unchanged', revision: 3 }),
        expect.objectContaining({ certificateId: found, status: 'unchanged', revision: 3 }),
      ]);
      expect(await head()).toBe(before);
    });

    it('applies only the new rows of a file that grew, without a header row, and lowercases the outcome', async () => {
      const late = await certificateAt('police-check');
      const answer = await upload(`${clear},clear,PSB-2026-0001\n${late},CLEAR,PSB-2026-0009\n`);
      expect(answer.body.rows.map((row: { status: string }) => row.status)).toEqual(['unchanged', 'applied']);
      expect(await status(late)).toBe('awaiting_issue');
    });

    it('streams one NDJSON line per row and then a summary when asked (Accept: application/x-ndjson)', async () => {
      const one = await certificateAt('police-check');
      const two = await certificateAt('police-check');
      const answer = await upload(
        `certificateId,reference,outcome\n${one},PSB-1,clear\n${two},PSB-2,bogus\n`,
        {
          accept: 'application/x-ndjson',
        },
      );
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
      const lines = (answer.body as string)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toEqual([
        expect.objectContaining({ type: 'row', row: 1, certificateId: one, status: 'applied' }),
        expect.objectContaining({
          type: 'row',
          row: 2,
          certificateId: two,
          status: 'refused',
          field: 'outcome',
        }),
        { type: 'summary', rows: 2, applied: 1, unchanged: 0, refused: 1, position: expect.any(Number) },
      ]);
    });

    it('refuses a file that is not CSV as a whole (400 naming the line) and writes nothing', async () => {
      const pending = await certificateAt('police-check');
      const before = await head();
      const answer = await upload(`${pending},clear,PSB-1\r\n${pending},clear,"PSB-2\r\n`);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ field: 'body', line: 2 });
      expect(answer.body.message).toContain('a quoted field is never closed');
      expect(await head()).toBe(before);
      expect((await upload('')).status).toBe(400);
      expect((await upload('certificateId,outcome,reference\r\n')).status).toBe(400);
    });

    it('refuses a header that misses a column (400) and a body that is not text/csv (415)', async () => {
      const header = await upload('certificateId,outcome\r\nx,clear\r\n');
      expect(header.status).toBe(400);
      expect(header.body.message).toContain('missing reference');
      const json = await registry.request('POST', '/api/v1/police-checks/batch', {
        token: agencyA.police,
        body: { certificateId: 'x', outcome: 'clear', reference: 'r' },
      });
      expect(json.status).toBe(415);
    });

    it('is for the police liaison only (403)', async () => {
      expect((await upload('x,clear,r\r\n', {}, agencyA.operator)).status).toBe(403);
      expect((await upload('x,clear,r\r\n', {}, agencyA.reviewer)).status).toBe(403);
    });
  });

  describe('POST /certificates/hand-over-batch {mode:"collective", batchRef, certificateIds}', () => {
    const handOver = (body: unknown, token = agencyA.operator, headers: Record<string, string> = {}) =>
      registry.request('POST', '/api/v1/certificates/hand-over-batch', { token, body, headers });

    it('hands the agency’s issued certificates over collectively, refusing the others row by row', async () => {
      const first = await certificateAt('issued');
      const second = await certificateAt('issued');
      const otherAgency = await certificateAt('issued', agencyB);
      const notIssued = await certificateAt('police-check');
      const body = {
        mode: 'collective',
        batchRef: 'BATCH-2026-11-24-01',
        certificateIds: [first, second, otherAgency, notIssued, 'no-such-certificate', first],
      };
      const answer = await handOver(body);
      expect(answer.status).toBe(200);
      expect(answer.body.summary).toMatchObject({ rows: 6, applied: 2, unchanged: 1, refused: 3 });
      expect(answer.body.rows).toEqual([
        { row: 1, certificateId: first, status: 'applied', revision: 5, position: expect.any(Number) },
        { row: 2, certificateId: second, status: 'applied', revision: 5, position: expect.any(Number) },
        expect.objectContaining({ row: 3, certificateId: otherAgency, status: 'refused', statusCode: 403 }),
        expect.objectContaining({
          row: 4,
          certificateId: notIssued,
          status: 'refused',
          statusCode: 409,
          message: expect.stringContaining('only an issued certificate can be handed over'),
        }),
        expect.objectContaining({ row: 5, status: 'refused', statusCode: 404 }),
        { row: 6, certificateId: first, status: 'unchanged', revision: 5, position: expect.any(Number) },
      ]);

      const detail = await registry.request(
        'GET',
        `/api/v1/certificates/${first}?minPosition=${answer.body.summary.position}`,
        { token: agencyA.operator },
      );
      expect(detail.body.handedOver).toMatchObject({ mode: 'collective', batchRef: 'BATCH-2026-11-24-01' });
      expect(await status(otherAgency)).toBe('issued');

      // Sending the same batch again changes nothing.
      const before = await head();
      const again = await handOver(body);
      expect(again.body.summary).toMatchObject({ applied: 0, unchanged: 3, refused: 3 });
      expect(await head()).toBe(before);

      // A certificate already handed over in another batch is refused.
      const other = await handOver({ ...body, batchRef: 'BATCH-2026-11-24-02', certificateIds: [first] });
      expect(other.body.rows[0]).toMatchObject({ status: 'refused', statusCode: 409 });
    });

    it('streams NDJSON when asked', async () => {
      const one = await certificateAt('issued');
      const answer = await handOver(
        { mode: 'collective', batchRef: 'BATCH-NDJSON', certificateIds: [one] },
        agencyA.operator,
        { accept: 'application/x-ndjson' },
      );
      const lines = (answer.body as string)
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toEqual([
        expect.objectContaining({ type: 'row', certificateId: one, status: 'applied' }),
        expect.objectContaining({ type: 'summary', rows: 1, applied: 1 }),
      ]);
    });

    it.each<[Record<string, unknown>, string]>([
      [{ mode: 'individual', batchRef: 'B', certificateIds: ['x'] }, 'mode'],
      [{ mode: 'collective', certificateIds: ['x'] }, 'batchRef'],
      [{ mode: 'collective', batchRef: '   ', certificateIds: ['x'] }, 'batchRef'],
      [{ mode: 'collective', batchRef: 'B', certificateIds: [] }, 'certificateIds'],
      [{ mode: 'collective', batchRef: 'B', certificateIds: [42] }, 'certificateIds'],
    ])('refuses %p with 400 naming %s, writing nothing', async (body, field) => {
      const before = await head();
      const answer = await handOver(body);
      expect(answer.status).toBe(400);
      expect(answer.body.field).toBe(field);
      expect(await head()).toBe(before);
    });

    it('is for agency operators only (403)', async () => {
      const answer = await handOver(
        { mode: 'collective', batchRef: 'B', certificateIds: ['x'] },
        agencyA.reviewer,
      );
      expect(answer.status).toBe(403);
    });
  });
});
