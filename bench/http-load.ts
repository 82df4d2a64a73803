import autocannon from 'autocannon';
import { composeResidentId } from '../src/domain/worker/resident-id';
import { now, sleep, summarise, type LatencySummary } from './measure';

export interface LoadResult {
  readonly perSecond: number;
  readonly ok: number;
  readonly failed: number;
  readonly p50: number;
  readonly p99: number;
  readonly seconds: number;
}

/** How long an autocannon run took, from its start and finish. */
export function runSeconds(result: autocannon.Result): number {
  return (new Date(result.finish).getTime() - new Date(result.start).getTime()) / 1000;
}

/** A run's figures; `seconds` for results merged from several runs, whose own times are the first's. */
export function summariseRun(result: autocannon.Result, seconds = runSeconds(result)): LoadResult {
  const ok = result['2xx'];
  return {
    perSecond: ok / seconds,
    ok,
    failed: result.non2xx + result.errors + result.timeouts,
    p50: result.latency.p50,
    p99: result.latency.p99,
    seconds,
  };
}

/** GET the public view of many different codes, `connections` at a time, for `seconds`. */
export async function publicVerification(
  url: string,
  codes: readonly string[],
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  let next = 0;
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          request.path = `/api/v1/public/certificates/${codes[next++ % codes.length]}`;
          return request;
        },
      },
    ],
  });
  return summariseRun(result);
}

export interface Staff {
  /** Operator tokens by agency id. */
  readonly operators: ReadonlyMap<string, string>;
  readonly reviewer: string;
  readonly police: string;
}

/** Resident IDs no generated worker has (region 150102 is not among the generator's birthplaces). */
export class FreshPeople {
  private count = 0;

  next(): { name: string; idNumber: string; phone: string } {
    const n = this.count++;
    const day = new Date(Date.UTC(1965, 0, 1) + Math.floor(n / 1000) * 86_400_000);
    const birth = day.toISOString().slice(0, 10).replace(/-/g, '');
    return {
      name: '测试工',
      idNumber: composeResidentId('150102', birth, String(n % 1000).padStart(3, '0')),
      phone: `177${String(n % 100_000_000).padStart(8, '0')}`,
    };
  }
}

interface Context {
  agencyId?: string;
  operator?: string;
  workerId?: string;
  certificateId?: string;
}

/**
 * Durable commands over HTTP: each connection walks new workers through registration, consent,
 * application and the three gates (six commands, eight appends per worker), again and again.
 */
export async function commandLoad(
  url: string,
  staff: Staff,
  people: FreshPeople,
  options: { connections: number; seconds: number; overallRate?: number },
): Promise<LoadResult> {
  const agencies = [...staff.operators.entries()];
  let nextAgency = 0;
  const json = { 'content-type': 'application/json' };
  const auth = (token: string) => ({ ...json, authorization: `Bearer ${token}` });
  const idOf = (body: string) => (JSON.parse(body) as { id: string }).id;
  const requests: autocannon.Request[] = [
    {
      method: 'POST',
      path: '/api/v1/workers',
      setupRequest: (request, context: Context) => {
        if (!context.agencyId)
          [context.agencyId, context.operator] = agencies[nextAgency++ % agencies.length]!;
        return {
          ...request,
          headers: auth(context.operator!),
          body: JSON.stringify({ agencyId: context.agencyId, ...people.next() }),
        };
      },
      onResponse: (status, body, context: Context) => {
        context.workerId = status === 201 ? idOf(body) : 'failed';
      },
    },
    {
      method: 'POST',
      setupRequest: (request, context: Context) => ({
        ...request,
        path: `/api/v1/workers/${context.workerId}/consents`,
        headers: auth(context.operator!),
        body: JSON.stringify({ scopes: ['credit', 'criminal_record'], evidenceRef: 'bench.pdf' }),
      }),
    },
    {
      method: 'POST',
      path: '/api/v1/certificates',
      setupRequest: (request, context: Context) => ({
        ...request,
        headers: auth(context.operator!),
        body: JSON.stringify({ workerId: context.workerId }),
      }),
      onResponse: (status, body, context: Context) => {
        context.certificateId = status === 201 ? idOf(body) : 'failed';
      },
    },
    ...(
      [
        ['company-check', (c: Context) => c.operator!, { outcome: 'passed' }],
        ['platform-verification', () => staff.reviewer, { outcome: 'passed' }],
        ['police-check', () => staff.police, { outcome: 'clear', reference: 'BENCH-1' }],
      ] as const
    ).map(([gate, token, body]): autocannon.Request => ({
      method: 'POST',
      setupRequest: (request, context: Context) => ({
        ...request,
        path: `/api/v1/certificates/${context.certificateId}/${gate}`,
        headers: auth(token(context)),
        body: JSON.stringify(body),
      }),
    })),
  ];
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    ...(options.overallRate ? { overallRate: options.overallRate } : {}),
    requests,
  });
  return summariseRun(result);
}

export interface Probe {
  readonly certificateId: string;
  readonly code: string;
  readonly operator: string;
}

/**
 * Append → visible: hands certificates over one at a time and measures, from the moment the write
 * is acknowledged, how long until the public view shows it (a read with ?minPosition= returns as
 * soon as the projections have reached the write's position).
 */
export async function appendToVisible(
  url: string,
  probes: readonly Probe[],
  options: { seconds: number },
): Promise<LatencySummary & { failed: number }> {
  const samples: number[] = [];
  let failed = 0;
  const until = now() + options.seconds * 1000;
  for (const probe of probes) {
    if (now() > until) break;
    const write = await fetch(`${url}/api/v1/certificates/${probe.certificateId}/hand-over`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${probe.operator}` },
      body: JSON.stringify({ mode: 'individual' }),
    });
    const acknowledged = now();
    const { position } = (await write.json()) as { position: number };
    if (write.status !== 200) {
      failed++;
      continue;
    }
    const read = await fetch(`${url}/api/v1/public/certificates/${probe.code}?minPosition=${position}`);
    const view = (await read.json()) as { handedOver?: boolean };
    if (read.status !== 200 || view.handedOver !== true) {
      failed++;
      continue;
    }
    samples.push(now() - acknowledged);
    await sleep(5);
  }
  return { ...summarise(samples), failed };
}

/** Sequential GETs of one path each, e.g. the auditor's history of many certificates. */
export async function sequentialGets(
  url: string,
  paths: readonly string[],
  token: string,
): Promise<LatencySummary & { failed: number }> {
  const samples: number[] = [];
  let failed = 0;
  for (const path of paths) {
    const started = now();
    const answer = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    await answer.arrayBuffer();
    if (answer.status !== 200) failed++;
    else samples.push(now() - started);
  }
  return { ...summarise(samples), failed };
}
