import { accountabilityProjection } from './accountability';
import { agenciesProjection } from './agencies';
import { certificateHistoryProjection } from './certificate-history';
import { certificatesProjection } from './certificates';
import { decisionsProjection } from './decisions';
import type { Projection } from './projection';
import { publicCertificatesProjection } from './public-certificates';
import { queuesProjection } from './queues';
import { statsProjection } from './stats';
import { workersProjection } from './workers';

/**
 * Every read model, in the order each event is shown to them. Order matters where one reads
 * another's documents: public certificates read workers, agencies and certificates; queues read
 * certificates.
 */
export const PROJECTIONS: readonly Projection[] = [
  agenciesProjection,
  workersProjection,
  certificatesProjection,
  publicCertificatesProjection,
  certificateHistoryProjection,
  accountabilityProjection,
  decisionsProjection,
  queuesProjection,
  statsProjection,
];

/** Raise when a projection's documents change shape: the runner then rebuilds from 0 at start. */
export const PROJECTIONS_VERSION = 1;
