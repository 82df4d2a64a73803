import { randomInt } from 'node:crypto';
import { composeCreditCode } from '../../domain/agency/credit-code';
import { composeResidentId } from '../../domain/worker/resident-id';
import type { Role } from '../../domain/actor';
import { loadTokenKeys } from '../auth/token-keys';
import { signToken } from '../auth/tokens';
import { loadConfig } from '../config/config';

/**
 * `npm run demo`: walks one worker through the whole lifecycle against a running service
 * (BASE_URL, default http://localhost:$PORT) and prints the public view and the audit history.
 * Tokens are signed with the key in DATA_DIR, so run it with the service's DATA_DIR.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const base = (process.env.BASE_URL ?? `http://localhost:${config.port}`).replace(/\/$/, '');
  const keys = await loadTokenKeys(config.dataDir);
  const token = (role: Role, agencyId?: string) =>
    signToken(keys, config.tokenIssuer, { sub: `demo-${role}`, role, ...(agencyId ? { agencyId } : {}) });

  async function call(method: string, path: string, bearer: string | null, body?: unknown) {
    const response = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: {
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, unknown>;
    if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${JSON.stringify(json)}`);
    return json;
  }
  const step = (label: string, result: Record<string, unknown>) => {
    console.log(`✓ ${label.padEnd(34)} ${JSON.stringify(result)}`);
    return result;
  };

  const admin = await token('platform_admin');
  const agency = step(
    'agency registered',
    await call('POST', '/agencies', admin, {
      name: '上海示范家政服务有限公司',
      creditCode: composeCreditCode(`91310104MA1FL${String(randomInt(0, 9999)).padStart(4, '0')}`),
      district: '310104',
    }),
  );
  const agencyId = agency.id as string;
  const operator = await token('agency_operator', agencyId);
  const seq = String(randomInt(0, 999)).padStart(3, '0');
  const birth = `19${randomInt(60, 99)}0${randomInt(1, 9)}1${randomInt(0, 9)}`;
  const worker = step(
    'worker registered',
    await call('POST', '/workers', operator, {
      agencyId,
      name: '张三丰',
      idNumber: composeResidentId('310104', birth, seq),
      phone: `139${String(randomInt(0, 99999999)).padStart(8, '0')}`,
    }),
  );
  const workerId = worker.id as string;
  step(
    'consent recorded',
    await call('POST', `/workers/${workerId}/consents`, operator, {
      scopes: ['credit', 'criminal_record'],
      evidenceRef: 'signed-authorisation-0001.pdf',
    }),
  );
  // Training (≥ 3 class hours including the exam, exam passed) is required before issuing.
  const provider = step(
    'training provider registered',
    await call('POST', '/training-providers', admin, {
      name: '上海示范家政培训中心',
      creditCode: composeCreditCode(`52310104MJ0FL${String(randomInt(0, 9999)).padStart(4, '0')}`),
      district: '310104',
    }),
  );
  const trainer = await token('training_provider', provider.id as string);
  const startsAt = new Date(Date.now() - 4 * 3_600_000).toISOString();
  const session = step(
    'training session recorded',
    await call('POST', '/training-sessions', trainer, {
      mode: 'offline',
      classHours: 3,
      teacher: '王芳',
      place: '徐汇区漕溪北路 88 号',
      startsAt,
      endsAt: new Date(Date.now() - 3_600_000).toISOString(),
    }),
  );
  const sessionPath = `/training-sessions/${session.id as string}`;
  step(
    'attendance recorded',
    await call('POST', `${sessionPath}/attendance`, trainer, { workerIds: [workerId] }),
  );
  step(
    'supervision sheet recorded',
    await call('POST', `${sessionPath}/supervision`, trainer, {
      attendees: 1,
      identityChecked: 1,
      inspector: '李督导',
      method: 'on_site',
    }),
  );
  step(
    'exam passed (training complete)',
    await call('POST', `${sessionPath}/exam-scores`, trainer, { scores: [{ workerId, score: 86 }] }),
  );
  const application = step(
    'applied for a certificate',
    await call('POST', '/certificates', operator, { workerId }),
  );
  const id = application.id as string;
  step(
    'company check passed',
    await call('POST', `/certificates/${id}/company-check`, operator, { outcome: 'passed' }),
  );
  const reviewer = await token('platform_reviewer');
  step(
    'platform verification passed',
    await call('POST', `/certificates/${id}/platform-verification`, reviewer, { outcome: 'passed' }),
  );
  step(
    'police comparison clear',
    await call('POST', `/certificates/${id}/police-check`, await token('police_liaison'), {
      outcome: 'clear',
      reference: 'PSB-2026-000123',
    }),
  );
  const issued = step('certificate issued', await call('POST', `/certificates/${id}/issue`, reviewer));
  step('handed over', await call('POST', `/certificates/${id}/hand-over`, operator, { mode: 'individual' }));
  const rated = step(
    'a citizen rated the service',
    await call('POST', `/public/certificates/${issued.code as string}/ratings`, null, {
      score: 5,
      comment: '准时，认真',
    }),
  );

  console.log('\nPublic view (what a citizen at the door sees):');
  const publicView = await call(
    'GET',
    `/public/certificates/${issued.code as string}?minPosition=${rated.position as number}`,
    null,
  );
  console.log(JSON.stringify(publicView, null, 2));

  console.log('\nAudit history:');
  const history = await call('GET', `/audit/certificates/${id}/history`, await token('auditor'));
  for (const entry of history.entries as {
    occurredAt: string;
    type: string;
    actor: { id: string; role: string };
  }[]) {
    console.log(`  ${entry.occurredAt}  ${entry.type.padEnd(28)} by ${entry.actor.id} (${entry.actor.role})`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
