import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { IdentityHasher } from '../../application/ports/identity-hasher';
import { readOrCreateSecret } from './secret-file';

export class HmacIdentityHasher implements IdentityHasher {
  constructor(private readonly key: Buffer) {}

  static fromDataDir(dataDir: string): HmacIdentityHasher {
    return new HmacIdentityHasher(
      Buffer.from(readOrCreateSecret(join(dataDir, 'secrets', 'identity-hmac.key')), 'base64'),
    );
  }

  hash(idNumber: string): string {
    return createHmac('sha256', this.key).update(idNumber).digest('base64url');
  }
}
