import { agenciesProjection } from './agencies';
import { certificatesProjection } from './certificates';
import { decisionsProjection } from './decisions';
import type { Projection } from './projection';
import { publicCertificatesProjection } from './public-certificates';
import { queuesProjection } from './queues';
import { rosterProjection } from './roster';
import { statsProjection } from './stats';
import { trainingProvidersProjection } from './training-providers';
import { trainingRecordsProjection } from './training-records';
import { trainingSessionsProjection } from './training-sessions';
import { workersProjection } from './workers';

/**
 * Every read model, in the order each event is shown to them. Order matters where one reads
 * another's documents: public certificates read workers, agencies, training records and providers;
 * the roster reads workers and public certificates. The others read only their own (the certificate
 * detail too: public certificates and the roster find an issued certificate's code and holder in
 * their own collection, `certificate_codes`).
 */
export const PROJECTIONS: readonly Projection[] = [
  agenciesProjection,
  workersProjection,
  certificatesProjection,
  trainingProvidersProjection,
  trainingSessionsProjection,
  trainingRecordsProjection,
  publicCertificatesProjection,
  rosterProjection,
  decisionsProjection,
  queuesProjection,
  statsProjection,
];

/** Raise when a projection's documents change shape: the runner then rebuilds from 0 at start. */
export const PROJECTIONS_VERSION = 8;
