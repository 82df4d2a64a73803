import type { Provider } from '@nestjs/common';
import { RunCertificateBatchHandler } from '../application/batch/certificate-batch';
import { ChangeTrainingSessionHandler } from '../application/training/change-training-session';
import { RegisterTrainingProviderHandler } from '../application/training/register-training-provider';
import { ScheduleTrainingSessionHandler } from '../application/training/schedule-training-session';
import { GetRosterHandler, GetTrainingSessionHandler } from '../application/training/training-queries';
import { TRAINING_RULES, type TrainingRules } from '../application/training/training-rules';
import type { AppConfig } from './config/config';

/** Training, rosters and batches: their handlers, and the training rules from configuration. */
export function trainingProviders(config: AppConfig): Provider[] {
  const rules: TrainingRules = { passMark: config.trainingPassMark };
  return [
    { provide: TRAINING_RULES, useValue: rules },
    RegisterTrainingProviderHandler,
    ScheduleTrainingSessionHandler,
    ChangeTrainingSessionHandler,
    RunCertificateBatchHandler,
    GetTrainingSessionHandler,
    GetRosterHandler,
  ];
}
