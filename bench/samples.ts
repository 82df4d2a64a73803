import Database from 'better-sqlite3';
import { loadTokenKeys } from '../src/infrastructure/auth/token-keys';
import { signToken } from '../src/infrastructure/auth/tokens';
import { loadConfig } from '../src/infrastructure/config/config';
import { readStoreFile } from '../src/infrastructure/storage';
import type { Probe, Staff } from './http-load';

/** What the benchmark picks from a generated data set to aim its requests at. */
export interface Samples {
  readonly codes: string[];
  readonly certificates: { id: string; status: string; code: string | null }[];
  readonly probes: Probe[];
  readonly staff: Staff;
  readonly auditor: string;
}

interface PublicRow {
  id: string;
  certificateId: string;
  agencyId: string;
}

export async function pickSamples(
  dataDir: string,
  counts: { codes: number; certificates: number; probes: number },
): Promise<Samples> {
  const db = new Database(readStoreFile(dataDir), { readonly: true });
  try {
    const codes = (
      db.prepare('SELECT id FROM public_certificates ORDER BY random() LIMIT ?').all(counts.codes) as {
        id: string;
      }[]
    ).map((row) => row.id);
    const certificates = (
      db.prepare('SELECT doc FROM certificates ORDER BY random() LIMIT ?').all(counts.certificates) as {
        doc: string;
      }[]
    ).map((row) => {
      const doc = JSON.parse(row.doc) as { id: string; status: string; code: string | null };
      return { id: doc.id, status: doc.status, code: doc.code };
    });
    const waiting = db
      .prepare(
        `SELECT id, json_extract(doc, '$.certificateId') AS certificateId, json_extract(doc, '$.agency.id') AS agencyId
         FROM public_certificates
         WHERE json_extract(doc, '$.handedOver') = 0 AND json_extract(doc, '$.status') = 'valid'
         ORDER BY random() LIMIT ?`,
      )
      .all(counts.probes) as PublicRow[];
    const agencyIds = (
      db.prepare('SELECT id FROM agencies ORDER BY id LIMIT 50').all() as { id: string }[]
    ).map((row) => row.id);
    const { tokenIssuer } = loadConfig({});
    const keys = await loadTokenKeys(dataDir);
    const token = (role: Parameters<typeof signToken>[2]['role'], agencyId?: string) =>
      signToken(keys, tokenIssuer, {
        sub: `bench-${role}${agencyId ? `-${agencyId.slice(0, 8)}` : ''}`,
        role,
        ...(agencyId ? { agencyId } : {}),
      });
    const operators = new Map<string, string>();
    for (const agencyId of new Set([...agencyIds, ...waiting.map((row) => row.agencyId)])) {
      operators.set(agencyId, await token('agency_operator', agencyId));
    }
    return {
      codes,
      certificates,
      probes: waiting.map((row) => ({
        certificateId: row.certificateId,
        code: row.id,
        operator: operators.get(row.agencyId)!,
      })),
      staff: {
        operators: new Map(agencyIds.map((id) => [id, operators.get(id)!])),
        reviewer: await token('platform_reviewer'),
        police: await token('police_liaison'),
      },
      auditor: await token('auditor'),
    };
  } finally {
    db.close();
  }
}
