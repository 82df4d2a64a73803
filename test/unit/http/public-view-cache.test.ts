import type { PublicCertificateView } from '../../../src/application/certificate/certificate-queries';
import { PublicViewCache } from '../../../src/infrastructure/http/certificate/public-view-cache';
import type { CommitListener } from '../../../src/projections/read-models-progress';
import { PUBLIC_CERTIFICATES } from '../../../src/projections/public-certificates';

function view(code: string, status: 'valid' | 'revoked' = 'valid'): PublicCertificateView {
  return {
    code,
    status,
    holder: '张*',
    issuedAt: '2026-01-01T00:00:00.000Z',
    handedOver: false,
    revokedAt: null,
    training: null,
    ratings: { count: 0, average: null },
    agency: { name: 'A', district: '310101', districtName: '黄浦区' },
  };
}

/** A runner as the cache sees it: whether it vouches for every change, and its listener. */
function runner(sees = true) {
  const fake = {
    seesEveryChange: sees,
    listener: null as CommitListener | null,
    listen(listener: CommitListener) {
      fake.listener = listener;
      return () => undefined;
    },
  };
  return fake;
}

describe('PublicViewCache', () => {
  it('reads once, then answers from memory until the view changes', async () => {
    const r = runner();
    const cache = new PublicViewCache(r, 100);
    const read = jest.fn(async () => view('C1'));
    expect(await cache.get('C1', read)).toEqual(view('C1'));
    expect(await cache.get('C1', read)).toEqual(view('C1'));
    expect(read).toHaveBeenCalledTimes(1);
    r.listener!.committed([{ collection: 'workers', id: 'C1' }]);
    await cache.get('C1', read);
    expect(read).toHaveBeenCalledTimes(1);
    r.listener!.committed([{ collection: PUBLIC_CERTIFICATES, id: 'C1' }]);
    const revoked = jest.fn(async () => view('C1', 'revoked'));
    expect((await cache.get('C1', revoked)).status).toBe('revoked');
    expect(revoked).toHaveBeenCalledTimes(1);
  });

  it('never answers from memory while the runner cannot vouch for every change, and empties itself', async () => {
    const r = runner();
    const cache = new PublicViewCache(r, 100);
    await cache.get('C1', async () => view('C1'));
    expect(cache.size).toBe(1);
    r.seesEveryChange = false;
    const read = jest.fn(async () => view('C1', 'revoked'));
    expect((await cache.get('C1', read)).status).toBe('revoked');
    expect((await cache.get('C1', read)).status).toBe('revoked');
    expect(read).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(0);
  });

  it('does not remember a read that a commit overtook', async () => {
    const r = runner();
    const cache = new PublicViewCache(r, 100);
    let finish: (v: PublicCertificateView) => void = () => undefined;
    const pending = cache.get('C1', () => new Promise((resolve) => (finish = resolve)));
    r.listener!.committed([{ collection: PUBLIC_CERTIFICATES, id: 'C1' }]);
    finish(view('C1'));
    await pending;
    expect(cache.size).toBe(0);
  });

  it('with room for none, always reads', async () => {
    const cache = new PublicViewCache(runner(), 0);
    const read = jest.fn(async () => view('A'));
    await cache.get('A', read);
    await cache.get('A', read);
    expect(read).toHaveBeenCalledTimes(2);
    expect(cache.size).toBe(0);
  });

  it('forgets everything when told to, and stays within its bound (least recently used out first)', async () => {
    const r = runner();
    const cache = new PublicViewCache(r, 2);
    await cache.get('A', async () => view('A'));
    await cache.get('B', async () => view('B'));
    await cache.get('A', async () => view('A'));
    await cache.get('C', async () => view('C'));
    const read = jest.fn(async () => view('B'));
    await cache.get('B', read);
    expect(read).toHaveBeenCalledTimes(1);
    r.listener!.forgotten();
    expect(cache.size).toBe(0);
  });
});
