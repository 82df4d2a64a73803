/**
 * PersonalDataReader — THE way to obtain a worker's unmasked personal data (name, ID number, phone).
 *
 * Read models never hold personal data in clear: the `workers` collection keeps it sealed under the
 * worker's own data key (`WorkerDoc.sealedPersonal`) and only a masked name (`WorkerDoc.maskedName`).
 * Any query that must show a name, ID number or phone in clear — the worker view, rosters (名册),
 * CSV/XLSX exports — asks this reader, which in one call:
 *   1. checks the actor may see those fields of that worker (the disclosure policy below),
 *   2. opens the sealed data with the worker's key (erased workers read as `[erased]`),
 *   3. records the disclosure in the access log (who, role, when, which route, which fields) BEFORE
 *      returning it; if the log cannot be written, nothing is returned.
 *
 * Usage, e.g. in a roster query handler (inject it like any provider):
 *
 *   const people = await this.personalData.readMany(rosterWorkerIds, {
 *     actor, route: 'GET /api/v1/agencies/:id/roster', correlationId,
 *     // only for roles the default policy does not cover, after checking scope yourself:
 *     grantedBy: `training provider ${providerId} trained these workers`,
 *   });
 *   // people[i] = { workerId, agencyId, name, idNumber, phone, disclosed, erased }, in input order
 *
 * Default policy (DESIGN §6, tiered disclosure): an agency operator sees its own agency's workers in
 * full; a regulator sees everyone in full; a platform reviewer and a police liaison see name and ID
 * number (what identity verification and the police comparison need), the phone masked. Every other
 * role gets 403, unless the caller names the scope check it made in `grantedBy` (a training provider
 * reading its own trainees' roster), or asks for `onNoScope: 'mask'` to get masked values only.
 * Fields not disclosed come back masked (张*丰, 139****5678, **************002X), never omitted.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Actor } from '../../domain/actor';
import { forbidden, notFound } from '../../domain/errors';
import { maskName } from '../../domain/worker/person-name';
import { maskPhone, type Phone } from '../../domain/worker/phone';
import { WORKERS, type WorkerDoc } from '../../projections/workers';
import { ACCESS_LOG, PERSONAL_FIELDS, type AccessLog, type PersonalField } from '../ports/access-log';
import { CLOCK, type Clock } from '../ports/clock';
import {
  ERASED,
  PERSONAL_DATA_CIPHER,
  personalDataContext,
  type PersonalDataCipher,
} from '../ports/personal-data-cipher';
import { READ_STORE, type ReadStore } from '../ports/read-store';

export interface DisclosureRequest {
  readonly actor: Actor;
  /** Method and route pattern, recorded in the access log: `GET /api/v1/workers/:id`. */
  readonly route: string;
  /** The fields the caller needs in clear (default: all three); the policy may grant fewer. */
  readonly fields?: readonly PersonalField[];
  readonly correlationId?: string;
  /** For a role outside the default policy: the scope check the caller made (logged). Grants all fields. */
  readonly grantedBy?: string;
  /** 'refuse' (default) throws 403 for an actor without scope; 'mask' returns masked values instead. */
  readonly onNoScope?: 'refuse' | 'mask';
}

export interface DisclosedPersonalData {
  readonly workerId: string;
  readonly agencyId: string;
  readonly name: string;
  readonly idNumber: string;
  readonly phone: string;
  /** The fields shown in clear (and logged); the others are masked. Empty when erased. */
  readonly disclosed: readonly PersonalField[];
  readonly erased: boolean;
}

const FULL: readonly PersonalField[] = PERSONAL_FIELDS;
const IDENTITY: readonly PersonalField[] = ['name', 'idNumber'];

/** The fields a role may see in clear for a worker of `agencyId`; null when none. */
export function disclosurePolicy(actor: Actor, agencyId: string): readonly PersonalField[] | null {
  switch (actor.role) {
    case 'agency_operator':
      return actor.agencyId === agencyId ? FULL : null;
    case 'regulator':
      return FULL;
    case 'platform_reviewer':
    case 'police_liaison':
      return IDENTITY;
    default:
      return null;
  }
}

/** '31010419491231002X' → '**************002X'. */
export function maskIdNumber(idNumber: string): string {
  return idNumber.length <= 4
    ? '*'.repeat(idNumber.length)
    : '*'.repeat(idNumber.length - 4) + idNumber.slice(-4);
}

function maskField(field: PersonalField, value: string): string {
  if (value === ERASED) return ERASED;
  switch (field) {
    case 'name':
      return maskName(value);
    case 'idNumber':
      return maskIdNumber(value);
    case 'phone':
      return maskPhone(value as Phone);
  }
}

@Injectable()
export class PersonalDataReader {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(PERSONAL_DATA_CIPHER) private readonly cipher: PersonalDataCipher,
    @Inject(ACCESS_LOG) private readonly accessLog: AccessLog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** One worker (404 when unknown, 403 out of scope). */
  async read(worker: string | WorkerDoc, request: DisclosureRequest): Promise<DisclosedPersonalData> {
    return (await this.readMany([worker], request))[0]!;
  }

  /**
   * Many workers, in input order, with one key-store lookup and one access-log transaction. Pass
   * WorkerDocs you already hold to save reading them again. All or nothing: any worker unknown or
   * out of scope refuses the whole call.
   */
  async readMany(
    workers: readonly (string | WorkerDoc)[],
    request: DisclosureRequest,
  ): Promise<DisclosedPersonalData[]> {
    const docs = await Promise.all(workers.map((worker) => this.doc(worker)));
    const wanted = request.fields ?? FULL;
    const grants = docs.map((doc) => {
      const allowed = request.grantedBy ? FULL : disclosurePolicy(request.actor, doc.agencyId);
      if (allowed === null && request.onNoScope !== 'mask') {
        throw forbidden(`the personal data of worker ${doc.id} is outside your scope`);
      }
      return wanted.filter((field) => allowed?.includes(field));
    });
    const opened = await this.cipher.open(
      docs.flatMap((doc) =>
        doc.sealedPersonal.map((entry) => ({
          sealed: entry.sealed,
          context: personalDataContext(entry.streamId, entry.eventId),
        })),
      ),
    );
    let next = 0;
    const results = docs.map((doc, i): DisclosedPersonalData => {
      const merged: Record<string, string> = {};
      for (let n = 0; n < doc.sealedPersonal.length; n++) Object.assign(merged, opened[next++] ?? {});
      const erased = doc.erased !== null || PERSONAL_FIELDS.some((field) => merged[field] === undefined);
      const disclosed = erased ? [] : grants[i]!;
      const value = (field: PersonalField): string => {
        if (erased) return ERASED;
        return disclosed.includes(field) ? merged[field]! : maskField(field, merged[field]!);
      };
      return {
        workerId: doc.id,
        agencyId: doc.agencyId,
        name: value('name'),
        idNumber: value('idNumber'),
        phone: value('phone'),
        disclosed,
        erased,
      };
    });
    const at = this.clock.now().toISOString();
    await this.accessLog.record(
      results
        .filter((result) => result.disclosed.length > 0)
        .map((result) => ({
          at,
          workerId: result.workerId,
          actor: request.actor,
          route: request.route,
          fields: result.disclosed,
          ...(request.correlationId ? { correlationId: request.correlationId } : {}),
          ...(request.grantedBy ? { grantedBy: request.grantedBy } : {}),
        })),
    );
    return results;
  }

  private async doc(worker: string | WorkerDoc): Promise<WorkerDoc> {
    if (typeof worker !== 'string') return worker;
    const doc = await this.readStore.get<WorkerDoc>(WORKERS, worker);
    if (!doc) throw notFound(`worker ${worker} does not exist`);
    return doc;
  }
}
