import type { ICommand } from '@nestjs/cqrs';
import { ApplyForCertificateCommand } from '../../application/certificate/apply-for-certificate';
import { ChangeCertificateCommand } from '../../application/certificate/change-certificate';
import { IssueCertificateCommand } from '../../application/certificate/issue-certificate';
import type { CommandContext } from '../../application/command-context';
import { ChangeWorkerCommand } from '../../application/worker/change-worker';
import { RegisterWorkerCommand } from '../../application/worker/register-worker';
import type { WriteResult } from '../../application/write-result';
import type { Actor } from '../../domain/actor';
import { RegisterTrainingProviderCommand } from '../../application/training/register-training-provider';
import { ScheduleTrainingSessionCommand } from '../../application/training/schedule-training-session';
import {
  ChangeTrainingSessionCommand,
  type TrainingSessionChange,
} from '../../application/training/change-training-session';
import { composeCreditCode } from '../../domain/agency/credit-code';
import { districtName, SHANGHAI_DISTRICTS } from '../../domain/agency/district';
import { REQUIRED_CLASS_HOURS } from '../../domain/training/training-record';
import { parseClassHours, parseExamScore } from '../../domain/training/training-values';
import { parsePersonName } from '../../domain/worker/person-name';
import type { AgencySpec } from './agencies';
import type { Person } from './people';
import type { Fate, Stage } from './plan';

/** One worker's way through the registry, and the ids the commands gave back. */
export interface Member {
  /** Number of the application in the whole data set. */
  readonly index: number;
  readonly person: Person;
  readonly fate: Fate;
  workerId?: string;
  certificateId?: string;
}

/** Workers of one agency who go through the steps together, as a class or a batch would. */
export interface Cohort {
  readonly index: number;
  readonly agency: AgencySpec & { readonly id: string };
  readonly members: readonly Member[];
}

/** What a step may use: the command bus (through `send`) and the people who act. */
export interface World {
  send(command: ICommand): Promise<WriteResult>;
  /** Makes something shared by many cohorts (a training provider, say) once, on first use. */
  once<T>(key: string, make: () => Promise<T>): Promise<T>;
  /** A command context whose command id is derived from the seed and `key`, so a rerun is idempotent. */
  context(actor: Actor, ...key: string[]): CommandContext;
  operator(cohort: Cohort): Actor;
  reviewer(member: Member): Actor;
  police(member: Member): Actor;
}

/** One step of the journey, run for a whole cohort. */
export interface Step {
  readonly name: string;
  /** How many commands the step sends for the cohort (for the progress bar). */
  commands(cohort: Cohort): number;
  run(cohort: Cohort, world: World): Promise<void>;
}

type Outcome = 'pass' | 'fail' | 'skip';

const DECIDING: readonly Stage[] = [
  'company-check',
  'platform-verification',
  'police-check',
  'issue',
  'hand-over',
];

/** What the member's fate makes of a deciding stage; preparation (`null`) always passes. */
export function outcomeAt(fate: Fate, stage: Stage | null): Outcome {
  if (stage === null) return 'pass';
  const at = DECIDING.indexOf(stage);
  switch (fate.outcome) {
    case 'pending':
      return at < DECIDING.indexOf(fate.waitingAt) ? 'pass' : 'skip';
    case 'rejected': {
      const refused = DECIDING.indexOf(fate.at);
      return at < refused ? 'pass' : at === refused ? 'fail' : 'skip';
    }
    case 'issued':
      return stage === 'hand-over' && fate.handOver === null ? 'skip' : 'pass';
  }
}

/** A step that sends one command per member whose fate reaches `stage`, all of them at once. */
function perMember(
  name: string,
  stage: Stage | null,
  send: (member: Member, outcome: 'pass' | 'fail', cohort: Cohort, world: World) => Promise<void>,
): Step {
  const reaching = (cohort: Cohort) =>
    cohort.members.flatMap((member) => {
      const outcome = outcomeAt(member.fate, stage);
      return outcome === 'skip' ? [] : [[member, outcome] as const];
    });
  return {
    name,
    commands: (cohort) => reaching(cohort).length,
    run: async (cohort, world) => {
      await Promise.all(reaching(cohort).map(([member, outcome]) => send(member, outcome, cohort, world)));
    },
  };
}

/** Training providers (培训主体) in the city; each cohort trains with one of them. */
const TRAINING_PROVIDERS = 24;
// prettier-ignore
const TEACHERS = ['王丽华', '陈美玲', '张秀英', '李建国', '刘芳', '周慧敏', '徐静', '孙红梅'];
// prettier-ignore
const INSPECTORS = ['赵志强', '吴敏', '郑国平', '黄丽'];

/**
 * Training (DESIGN §4.3: ≥ 3 class hours including an exam, passed): the cohort attends one offline
 * class of a training provider, with its supervision sheet (督导单), and everyone sits the exam.
 */
const trainTogether: Step = {
  name: 'training',
  // The first cohort to train with a provider also registers it.
  commands: (cohort) => 4 + (cohort.index < TRAINING_PROVIDERS ? 1 : 0),
  run: async (cohort, world) => {
    const p = cohort.index % TRAINING_PROVIDERS;
    const admin: Actor = { id: 'admin-01', role: 'platform_admin' };
    const providerId = await world.once(`training-provider-${p}`, async () => {
      const district = SHANGHAI_DISTRICTS[p % SHANGHAI_DISTRICTS.length]!.code;
      const data = {
        name: `上海${TRAINING_SCHOOLS[p % TRAINING_SCHOOLS.length]}职业技能培训学校${p >= TRAINING_SCHOOLS.length ? `第${Math.floor(p / TRAINING_SCHOOLS.length) + 1}分校` : ''}`,
        creditCode: composeCreditCode(`52${district}MJ${String(p).padStart(7, '0')}`),
        district,
      };
      return (
        await world.send(
          new RegisterTrainingProviderCommand(data, world.context(admin, 'provider', String(p))),
        )
      ).id;
    });
    const trainer: Actor = { id: `trainer-${p}`, role: 'training_provider', agencyId: providerId };
    // Classes took place in 2015, a week apart, from 09:00 to 12:00 Shanghai time.
    const day = new Date(Date.UTC(2015, 0, 5) + (cohort.index % 350) * 86_400_000).toISOString().slice(0, 10);
    const schedule = new ScheduleTrainingSessionCommand(
      {
        mode: 'offline',
        classHours: parseClassHours(REQUIRED_CLASS_HOURS),
        teacher: parsePersonName(TEACHERS[cohort.index % TEACHERS.length]),
        place: `${districtName(cohort.agency.district)}社区学校 ${1 + (cohort.index % 9)}0${1 + (cohort.index % 4)} 教室`,
        startsAt: new Date(`${day}T09:00:00+08:00`).toISOString(),
        endsAt: new Date(`${day}T12:00:00+08:00`).toISOString(),
      },
      world.context(trainer, 'session', String(cohort.index)),
    );
    const sessionId = (await world.send(schedule)).id;
    const workerIds = cohort.members.map((member) => member.workerId!);
    const record = (change: TrainingSessionChange, step: string) =>
      world.send(
        new ChangeTrainingSessionCommand(change, world.context(trainer, step, String(cohort.index))),
      );
    await record({ type: 'RecordAttendance', data: { sessionId, workerIds } }, 'attendance');
    const attendees = workerIds.length;
    const supervision = {
      sessionId,
      attendees,
      identityChecked: attendees,
      inspector: parsePersonName(INSPECTORS[cohort.index % INSPECTORS.length]),
      method: 'on_site' as const,
    };
    await record({ type: 'RecordSupervision', data: supervision }, 'supervision');
    // Scores from 62 to 100: everyone passes (a failed exam would be retaken in a new session).
    const scores = cohort.members.map((member) => ({
      workerId: member.workerId!,
      score: parseExamScore(62 + ((member.index * 7919) % 39)),
    }));
    await record({ type: 'RecordExamScores', data: { sessionId, scores } }, 'exam-scores');
  },
};

// prettier-ignore
const TRAINING_SCHOOLS = ['申江', '浦东新区家政', '徐汇区巾帼', '长宁区阳光', '静安区', '闵行区社区', '宝山区', '嘉定区'];

// prettier-ignore
const REFUSALS: Readonly<Record<'company-check' | 'platform-verification', readonly string[]>> = {
  'company-check': ['劳动合同未签订', '本人已离职', '身份信息与本人不符', '健康证明已过期'],
  'platform-verification': ['身份证件照片不清晰', '授权书签名不一致', '培训记录缺失', '联系电话无法接通'],
};

const key = (member: Member, step: string) => [step, String(member.index)];

/**
 * The journey every generated application takes, in order. Each step is one real command per worker
 * (or per cohort) through the command bus. A new requirement for issuing is one more step here,
 * before `apply`, as training is.
 */
export const JOURNEY: readonly Step[] = [
  perMember('register worker', null, async (member, _outcome, cohort, world) => {
    const { name, idNumber, phone } = member.person;
    const command = new RegisterWorkerCommand(
      { agencyId: cohort.agency.id, name, idNumber, phone },
      world.context(world.operator(cohort), ...key(member, 'register')),
    );
    member.workerId = (await world.send(command)).id;
  }),
  perMember('record consent', null, async (member, _outcome, cohort, world) => {
    const change = {
      type: 'RecordConsent' as const,
      data: {
        workerId: member.workerId!,
        scopes: ['credit', 'criminal_record'] as const,
        evidenceRef: `consent/${cohort.agency.index}/${member.index}.pdf`,
      },
    };
    await world.send(
      new ChangeWorkerCommand(change, world.context(world.operator(cohort), ...key(member, 'consent'))),
    );
  }),
  trainTogether,
  perMember('apply', null, async (member, _outcome, cohort, world) => {
    const context = world.context(world.operator(cohort), ...key(member, 'apply'));
    member.certificateId = (await world.send(new ApplyForCertificateCommand(member.workerId!, context))).id;
  }),
  perMember('company check', 'company-check', async (member, outcome, cohort, world) => {
    const data =
      outcome === 'pass'
        ? { certificateId: member.certificateId!, outcome: 'passed' as const }
        : {
            certificateId: member.certificateId!,
            outcome: 'failed' as const,
            note: refusal('company-check', member),
          };
    const context = world.context(world.operator(cohort), ...key(member, 'company-check'));
    await world.send(new ChangeCertificateCommand({ type: 'RecordCompanyCheck', data }, context));
  }),
  perMember('platform verification', 'platform-verification', async (member, outcome, _cohort, world) => {
    const data =
      outcome === 'pass'
        ? { certificateId: member.certificateId!, outcome: 'passed' as const }
        : {
            certificateId: member.certificateId!,
            outcome: 'failed' as const,
            note: refusal('platform-verification', member),
          };
    const context = world.context(world.reviewer(member), ...key(member, 'platform-verification'));
    await world.send(new ChangeCertificateCommand({ type: 'RecordPlatformVerification', data }, context));
  }),
  perMember('police comparison', 'police-check', async (member, outcome, _cohort, world) => {
    const data = {
      certificateId: member.certificateId!,
      outcome: outcome === 'pass' ? ('clear' as const) : ('record_found' as const),
      reference: `PSB-2015-${String(member.index).padStart(7, '0')}`,
    };
    const context = world.context(world.police(member), ...key(member, 'police-check'));
    await world.send(new ChangeCertificateCommand({ type: 'RecordPoliceComparison', data }, context));
  }),
  perMember('issue', 'issue', async (member, _outcome, _cohort, world) => {
    const context = world.context(world.reviewer(member), ...key(member, 'issue'));
    await world.send(new IssueCertificateCommand(member.certificateId!, context));
  }),
  perMember('hand over', 'hand-over', async (member, _outcome, cohort, world) => {
    const mode = member.fate.outcome === 'issued' ? member.fate.handOver : null;
    const data =
      mode === 'collective'
        ? {
            certificateId: member.certificateId!,
            mode,
            batchRef: `JT-${cohort.agency.index}-${cohort.index}`,
          }
        : { certificateId: member.certificateId!, mode: 'individual' as const };
    const context = world.context(world.operator(cohort), ...key(member, 'hand-over'));
    await world.send(new ChangeCertificateCommand({ type: 'HandOverCertificate', data }, context));
  }),
];

function refusal(gate: 'company-check' | 'platform-verification', member: Member): string {
  const reasons = REFUSALS[gate];
  return reasons[member.index % reasons.length]!;
}
