import { districtName, type DistrictCode } from '../domain/agency/district';
import type { TrainingProviderRegistered } from '../domain/training/training-provider';
import { documentProjection, type Recorded } from './projection';

export interface TrainingProviderDoc {
  [key: string]: unknown;
  id: string;
  name: string;
  creditCode: string;
  district: string;
  districtName: string;
  registeredAt: string;
}

export const TRAINING_PROVIDERS = 'training_providers';

export const trainingProvidersProjection = documentProjection<TrainingProviderDoc>({
  name: 'training-providers',
  collection: { name: TRAINING_PROVIDERS, indexes: ['district'] },
  eventTypes: ['TrainingProviderRegistered'],
  idOf: (event) => (event as Recorded<TrainingProviderRegistered>).data.providerId,
  evolve: (_doc, event) => {
    const { data, metadata } = event as Recorded<TrainingProviderRegistered>;
    return {
      id: data.providerId,
      name: data.name,
      creditCode: data.creditCode,
      district: data.district,
      districtName: districtName(data.district as DistrictCode),
      registeredAt: metadata.occurredAt,
    };
  },
});
