import { apportion, Random } from './random';

/**
 * The figures of Shanghai's 2015 report on home-service certificates (DESIGN §1): 16 districts,
 * 600 agencies, 172,565 applications of which 11,801 were pending review, 1,383 rejected and
 * 159,381 issued, 106,032 of those handed over.
 */
export const SHANGHAI_2015 = {
  districts: 16,
  agencies: 600,
  applications: 172_565,
  pendingReview: 11_801,
  rejected: 1_383,
  issued: 159_381,
  handedOver: 106_032,
} as const;

/** The steps of an application, in order; `register` to `apply` prepare it, the rest decide it. */
export const GATES = ['company-check', 'platform-verification', 'police-check'] as const;
export type Gate = (typeof GATES)[number];
export type Stage = Gate | 'issue' | 'hand-over';
export type HandOverMode = 'individual' | 'collective';

/** Where one application ends up: still waiting at a gate, refused at one, or issued. */
export type Fate =
  | { readonly outcome: 'pending'; readonly waitingAt: Gate | 'issue' }
  | { readonly outcome: 'rejected'; readonly at: Gate }
  | { readonly outcome: 'issued'; readonly handOver: HandOverMode | null };

/** Every fate, numbered, so 172,565 of them fit in a byte array. */
export const FATES: readonly Fate[] = [
  { outcome: 'pending', waitingAt: 'company-check' },
  { outcome: 'pending', waitingAt: 'platform-verification' },
  { outcome: 'pending', waitingAt: 'police-check' },
  { outcome: 'pending', waitingAt: 'issue' },
  { outcome: 'rejected', at: 'company-check' },
  { outcome: 'rejected', at: 'platform-verification' },
  { outcome: 'rejected', at: 'police-check' },
  { outcome: 'issued', handOver: null },
  { outcome: 'issued', handOver: 'individual' },
  { outcome: 'issued', handOver: 'collective' },
];

/** How the pending applications spread over the gates they wait at (FATES 0–3). */
const PENDING_SHARES = [35, 30, 25, 10];
/** At which gate the rejected ones were refused (FATES 4–6). */
const REJECTED_SHARES = [25, 55, 20];
/** How handed-over certificates were collected: one by one, or by the agency for many (集体领卡). */
const HAND_OVER_SHARES = { individual: 30, collective: 70 };

export interface DataSetPlan {
  readonly scale: number;
  readonly districts: number;
  readonly agencies: number;
  readonly applications: number;
  readonly pendingReview: number;
  readonly rejected: number;
  readonly issued: number;
  readonly handedOver: number;
  /** How many applications meet each of FATES. */
  readonly fateCounts: readonly number[];
}

/** The 2015 figures times `scale` (1 = the whole city), rounded so that the parts add up. */
export function planDataSet(scale: number): DataSetPlan {
  if (!(scale > 0 && scale <= 10)) throw new Error(`scale must be above 0 and at most 10, got ${scale}`);
  const figures = SHANGHAI_2015;
  const applications = Math.max(1, Math.round(figures.applications * scale));
  const pendingReview = Math.min(applications, Math.round(figures.pendingReview * scale));
  const rejected = Math.min(applications - pendingReview, Math.round(figures.rejected * scale));
  const issued = applications - pendingReview - rejected;
  const handedOver = Math.min(issued, Math.round(figures.handedOver * scale));
  const handed = apportion(handedOver, [HAND_OVER_SHARES.individual, HAND_OVER_SHARES.collective]);
  return {
    scale,
    districts: figures.districts,
    agencies: Math.max(Math.min(figures.districts, applications), Math.round(figures.agencies * scale)),
    applications,
    pendingReview,
    rejected,
    issued,
    handedOver,
    fateCounts: [
      ...apportion(pendingReview, PENDING_SHARES),
      ...apportion(rejected, REJECTED_SHARES),
      issued - handedOver,
      handed[0]!,
      handed[1]!,
    ],
  };
}

/** One fate number per application, shuffled so that every agency gets a realistic mix. */
export function assignFates(plan: DataSetPlan, random: Random): Uint8Array {
  const fates = new Uint8Array(plan.applications);
  let next = 0;
  plan.fateCounts.forEach((count, fate) => {
    fates.fill(fate, next, next + count);
    next += count;
  });
  return random.shuffle<number, Uint8Array>(fates);
}

/** Parses `--scale`: `shanghai` (the whole city, 1) or a fraction such as 0.1. */
export function parseScale(raw: string): number {
  if (raw === 'shanghai') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || !(scale > 0) || scale > 10) {
    throw new Error(`--scale must be 'shanghai' or a number above 0 and at most 10, got '${raw}'`);
  }
  return scale;
}
