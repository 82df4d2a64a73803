/** Stream names, category-id as KurrentDB expects (DESIGN §3). */
export const streams = {
  agency: (agencyId: string) => `agency-${agencyId}`,
  worker: (workerId: string) => `worker-${workerId}`,
  certificate: (certificateId: string) => `certificate-${certificateId}`,
  identity: (idNumberHash: string) => `identity-${idNumberHash}`,
  creditCode: (creditCode: string) => `creditcode-${creditCode}`,
  certificateCode: (code: string) => `certcode-${code}`,
} as const;

export function categoryOf(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}

export function idOf(streamId: string): string {
  return streamId.slice(streamId.indexOf('-') + 1);
}
