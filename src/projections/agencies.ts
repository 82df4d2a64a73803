import { organisationDirectory, type OrganisationDoc } from './organisation-directory';

export type AgencyDoc = OrganisationDoc;

export const AGENCIES = 'agencies';

export const agenciesProjection = organisationDirectory({
  name: 'agencies',
  collection: AGENCIES,
  registeredEvent: 'AgencyRegistered',
  idField: 'agencyId',
});
