import { createHash } from 'node:crypto';
import { commandIdFor, derivedId } from '../../src/application/command-context';

describe('derivedId', () => {
  it('gives the ids it always gave: retries of commands stored by earlier versions stay no-ops', () => {
    expect(
      derivedId(
        'event',
        '3ff0cd31-d6f9-53c7-9087-4b0be7ad9d4c',
        'trainingrecord-c487496c-ae3c-5ced-acfc-30228206e3ec',
        '0',
      ),
    ).toBe('7a8d2e0b-3b22-5c64-b56f-f9183b813dbb');
  });

  it('gives the same ids where Node has no one-shot hash (before 20.12)', async () => {
    jest.resetModules();
    jest.doMock('node:crypto', () => ({ ...jest.requireActual<object>('node:crypto'), hash: undefined }));
    try {
      const withoutHash = await import('../../src/application/command-context');
      expect(withoutHash.derivedId).not.toBe(derivedId);
      expect(withoutHash.derivedId('a', 'b')).toBe(derivedId('a', 'b'));
    } finally {
      jest.dontMock('node:crypto');
      jest.resetModules();
    }
  });

  it('is SHA-256 of the parts joined by NUL, shaped as a version-5 UUID, for any text', () => {
    for (const parts of [
      ['a'],
      ['command', 'operator-1', 'POST /workers', '键-1'],
      ['', ''],
      ['x'.repeat(500)],
    ]) {
      const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
      const id = derivedId(...parts);
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(id.replace(/-/g, '').slice(0, 12)).toBe(hex.slice(0, 12));
      expect(id.slice(-12)).toBe(hex.slice(20, 32));
    }
  });

  it('scopes an idempotency key to its caller and operation', () => {
    const operator = { id: 'operator-1', role: 'agency_operator' as const, agencyId: 'agency-1' };
    const other = { ...operator, id: 'operator-2' };
    const once = commandIdFor(operator, 'key-1', 'POST /api/v1/workers');
    expect(commandIdFor(operator, 'key-1', 'POST /api/v1/workers')).toBe(once);
    expect(commandIdFor(other, 'key-1', 'POST /api/v1/workers')).not.toBe(once);
    expect(commandIdFor(operator, 'key-1', 'POST /api/v1/agencies')).not.toBe(once);
  });
});
