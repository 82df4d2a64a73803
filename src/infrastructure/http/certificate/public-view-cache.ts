import type { PublicCertificateView } from '../../../application/certificate/certificate-queries';
import { PUBLIC_CERTIFICATES } from '../../../projections/public-certificates';
import type {
  ChangedDocument,
  CommitListener,
  ReadModelsProgress,
} from '../../../projections/read-models-progress';

/**
 * Public views by code (as the route sends them: serialized), kept in memory so that a verification
 * at the door costs no read-store round trip. Exact, not time-based: an entry is dropped the moment
 * the projections commit a change to that certificate's public view. So it is used only while they
 * vouch for being the read models' only writer (`seesEveryChange`); otherwise (standing by for the
 * lease, projections run by another process, after an error) every answer comes from the read store,
 * and the cache is emptied.
 */
export class PublicViewCache<V = PublicCertificateView> implements CommitListener {
  private readonly views = new Map<string, V>();
  /** Bumped by every change, so a read that raced a commit is not remembered. */
  private generation = 0;

  constructor(
    private readonly runner: Pick<ReadModelsProgress, 'seesEveryChange' | 'listen'>,
    /** 0: never remembers, every answer comes from the read store. */
    private readonly maxEntries: number,
  ) {
    runner.listen(this);
  }

  /**
   * Answers a view read through the cache: `read` runs only when the cache cannot answer. A view it
   * holds is answered at once (not through a promise).
   */
  get(code: string, read: () => Promise<V>): V | Promise<V> {
    if (this.maxEntries === 0) return read();
    if (!this.runner.seesEveryChange) {
      if (this.views.size > 0) this.forgotten();
      return read();
    }
    const known = this.views.get(code);
    if (known !== undefined) {
      // Most recently used last: the oldest entries are the first in the map's order.
      this.views.delete(code);
      this.views.set(code, known);
      return known;
    }
    const generation = this.generation;
    return read().then((view) => {
      if (generation === this.generation && this.runner.seesEveryChange) this.remember(code, view);
      return view;
    });
  }

  committed(changes: readonly ChangedDocument[]): void {
    for (const change of changes) {
      if (change.collection !== PUBLIC_CERTIFICATES) continue;
      this.generation++;
      this.views.delete(change.id);
    }
  }

  forgotten(): void {
    this.generation++;
    this.views.clear();
  }

  get size(): number {
    return this.views.size;
  }

  private remember(code: string, view: V): void {
    if (this.views.size >= this.maxEntries) {
      const oldest = this.views.keys().next().value;
      if (oldest !== undefined) this.views.delete(oldest);
    }
    this.views.set(code, view);
  }
}
