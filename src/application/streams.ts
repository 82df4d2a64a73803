/** Stream names, category-id as KurrentDB expects (DESIGN §3). */
export const streams = {
  agency: (agencyId: string) => `agency-${agencyId}`,
  worker: (workerId: string) => `worker-${workerId}`,
  certificate: (certificateId: string) => `certificate-${certificateId}`,
  identity: (idNumberHash: string) => `identity-${idNumberHash}`,
  creditCode: (creditCode: string) => `creditcode-${creditCode}`,
  certificateCode: (code: string) => `certcode-${code}`,
  /** Citizens' ratings of a certificate's holder, apart from the certificate's lifecycle. */
  certificateRatings: (certificateId: string) => `certificateratings-${certificateId}`,
  /** A caller's Idempotency-Key (hashed), bound to the one request it was first used for. */
  idempotencyKey: (callerKeyHash: string) => `idempotency-${callerKeyHash}`,
  /**
   * An anonymous citizen's Idempotency-Key (hashed): one namespace shared by every citizen, kept
   * apart from staff keys whatever a token's subject is.
   */
  publicIdempotencyKey: (keyHash: string) => `publicidempotency-${keyHash}`,
  trainingProvider: (providerId: string) => `trainingprovider-${providerId}`,
  /** A training provider's credit code, reserved apart from agencies' (one company may be both). */
  providerCreditCode: (creditCode: string) => `providercreditcode-${creditCode}`,
  trainingSession: (sessionId: string) => `training-${sessionId}`,
  trainingRecord: (workerId: string) => `trainingrecord-${workerId}`,
} as const;

export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

export function idOf(streamId: string): string {
  return streamId.slice(streamId.indexOf('-') + 1);
}
