import { organisationDirectory, type OrganisationDoc } from './organisation-directory';

export type TrainingProviderDoc = OrganisationDoc;

export const TRAINING_PROVIDERS = 'training_providers';

export const trainingProvidersProjection = organisationDirectory({
  name: 'training-providers',
  collection: TRAINING_PROVIDERS,
  registeredEvent: 'TrainingProviderRegistered',
  idField: 'providerId',
});
