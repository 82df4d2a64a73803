import 'reflect-metadata';
import fc from 'fast-check';
import { RegisterAgencyDto } from '../../../src/infrastructure/http/agency/agency.controller';
import { HandOverBatchDto } from '../../../src/infrastructure/http/batch/batch.controller';
import {
  ApplyDto,
  GateCheckDto,
  HandOverDto,
  PoliceCheckDto,
  RatingDto,
  RevokeDto,
} from '../../../src/infrastructure/http/certificate/certificate.dto';
import { dtoChecker } from '../../../src/infrastructure/http/dto-checker';
import {
  AttendanceDto,
  ExamScoresDto,
  ProgressDto,
  RegisterTrainingProviderDto,
  ScheduleTrainingSessionDto,
  SupervisionDto,
} from '../../../src/infrastructure/http/training/training.dto';
import {
  createStandardValidationPipe,
  createValidationPipe,
} from '../../../src/infrastructure/http/validation';
import {
  EraseWorkerDto,
  RecordConsentDto,
  RegisterWorkerDto,
  UpdateWorkerDto,
} from '../../../src/infrastructure/http/worker/worker.controller';

type Body = Record<string, unknown>;

/** Every DTO a route takes as its body, each with one body it accepts. */
const DTOS: readonly [new () => object, Body][] = [
  [RegisterAgencyDto, { name: '上海好帮手家政', creditCode: '91310101MA1FL0000X', district: '310104' }],
  [
    RegisterWorkerDto,
    { agencyId: 'a-1', name: '张三丰', idNumber: '11010519491231002X', phone: '13812345678' },
  ],
  [RecordConsentDto, { scopes: ['credit', 'criminal_record'], evidenceRef: 'scan.pdf' }],
  [UpdateWorkerDto, { phone: '13812345678' }],
  [EraseWorkerDto, { reason: 'asked for deletion' }],
  [ApplyDto, { workerId: 'w-1' }],
  [GateCheckDto, { outcome: 'passed' }],
  [PoliceCheckDto, { outcome: 'clear', reference: 'PSB-1' }],
  [HandOverDto, { mode: 'collective', batchRef: 'JT-1' }],
  [RevokeDto, { reason: 'left the agency' }],
  [RatingDto, { score: 5, comment: ' fine ' }],
  [HandOverBatchDto, { mode: 'collective', batchRef: 'B-1', certificateIds: ['c-1', 'c-2'] }],
  [RegisterTrainingProviderDto, { name: '学校', creditCode: '52310000MJ0000000X', district: '310104' }],
  [
    ScheduleTrainingSessionDto,
    {
      mode: 'offline',
      classHours: 3,
      teacher: '王芳',
      place: '教室',
      startsAt: '2026-11-24T09:00:00+08:00',
      endsAt: '2026-11-24T12:00:00+08:00',
    },
  ],
  [AttendanceDto, { workerIds: ['w-1', 'w-2'] }],
  [ProgressDto, { workerId: 'w-1', hoursDone: 1.5 }],
  [SupervisionDto, { attendees: 24, identityChecked: 24, inspector: '李督导', method: 'on_site' }],
  [ExamScoresDto, { scores: [{ workerId: 'w-1', score: 86 }] }],
];

/** Values that are valid somewhere, and values that are valid nowhere. */
const leaf = fc.oneof(
  fc.constantFrom(
    'passed',
    'failed',
    'clear',
    'record_found',
    'individual',
    'collective',
    'credit',
    'criminal_record',
    'offline',
    'online',
    'on_site',
    'video',
    '2026-11-24T09:00:00+08:00',
    '2026-11-24T09:00:00',
    'w-1',
    'a b',
    '',
    ' ',
    'x'.repeat(65),
    'x'.repeat(501),
  ),
  fc.string({ maxLength: 8 }),
  fc.integer({ min: -5, max: 110 }),
  fc.double({ noNaN: true }),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc.array(fc.record({ workerId: leaf, score: leaf }, { requiredKeys: [] }), { maxLength: 3 }),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 4 }), leaf, { maxKeys: 2 }) },
);

/** Small changes to a valid body: a field dropped, set to another value, or one added. */
function nearly(valid: Body): fc.Arbitrary<unknown> {
  const keys = [...Object.keys(valid), 'note', 'batchRef', 'place', 'comment', 'extra', 'constructor'];
  const change = fc.oneof(
    fc.record({ drop: fc.constantFrom(...keys) }),
    fc.record({ set: fc.constantFrom(...keys), to: value }),
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.array(change, { maxLength: 3 }).map((changes) => apply(valid, changes)) },
    { weight: 1, arbitrary: value },
  );
}

function apply(valid: Body, changes: readonly ({ drop: string } | { set: string; to: unknown })[]): Body {
  const body: Body = structuredClone(valid);
  for (const change of changes) {
    if ('drop' in change) delete body[change.drop];
    else body[change.set] = structuredClone(change.to);
  }
  return body;
}

/** The instance as data: its class and own fields, nested instances alike. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (typeof value !== 'object' || value === null) return value;
  const fields = Object.fromEntries(Object.entries(value).map(([key, field]) => [key, shape(field)]));
  return { class: (value as object).constructor.name, fields };
}

const standard = createStandardValidationPipe();
const metadata = (metatype: new () => object) => ({ type: 'body' as const, metatype, data: undefined });

async function standardAnswer(
  type: new () => object,
  body: unknown,
): Promise<{ ok: unknown } | { refused: true }> {
  try {
    return { ok: await standard.transform(structuredClone(body), metadata(type)) };
  } catch {
    return { refused: true };
  }
}

describe('DTO checkers (the compiled fast path of ValidationPipe)', () => {
  it.each(DTOS.map(([type, body]) => [type.name, type, body] as const))(
    '%s: whatever the checker accepts, ValidationPipe accepts and builds alike',
    async (_name, type, valid) => {
      const checker = dtoChecker(type);
      if (checker === null) {
        // Not compiled (RatingDto trims its comment with @Transform): ValidationPipe answers alone.
        expect(type).toBe(RatingDto);
        return;
      }
      expect(shape(checker(structuredClone(valid)))).toEqual(
        shape(((await standardAnswer(type, valid)) as { ok: unknown }).ok),
      );
      let accepted = 0;
      await fc.assert(
        fc.asyncProperty(nearly(valid), async (body) => {
          const fast = checker(structuredClone(body));
          if (fast === undefined) return;
          accepted++;
          const answer = await standardAnswer(type, body);
          expect(answer).toHaveProperty('ok');
          expect(shape(fast)).toEqual(shape((answer as { ok: unknown }).ok));
        }),
        { numRuns: 400 },
      );
      expect(accepted).toBeGreaterThan(0);
    },
  );

  it('the pipe answers a valid body itself and leaves every other one to ValidationPipe, which words the refusal', async () => {
    const pipe = createValidationPipe();
    const built = await pipe.transform({ outcome: 'failed', note: '劳动合同未签订' }, metadata(GateCheckDto));
    expect(built).toBeInstanceOf(GateCheckDto);
    expect(built).toMatchObject({ outcome: 'failed', note: '劳动合同未签订' });
    await expect(pipe.transform({ outcome: 'failed' }, metadata(GateCheckDto))).rejects.toMatchObject({
      response: {
        message: expect.stringContaining('note is required when outcome is failed and must be a string'),
        field: 'note',
      },
    });
    await expect(
      pipe.transform({ outcome: 'passed', extra: 1 }, metadata(GateCheckDto)),
    ).rejects.toMatchObject({
      response: { message: 'extra: property extra should not exist', field: 'extra' },
    });
    // Not a body: as ValidationPipe has it (a route parameter is a string; a custom decorator's value
    // is left alone).
    expect(await pipe.transform('abc', { type: 'param', metatype: String, data: 'id' })).toBe('abc');
    const actor = { id: 'a', role: 'auditor' };
    expect(await pipe.transform(actor, { type: 'custom', metatype: Object, data: undefined })).toBe(actor);
    expect(await standard.transform(actor, { type: 'custom', metatype: Object, data: undefined })).toBe(
      actor,
    );
  });
});
