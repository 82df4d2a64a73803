/** Rounds a changing document is held at first: enough where an entity's events lie close together. */
const FIRST_ROUNDS = 2;
/**
 * At most this many events (sixteen rounds of 10,000, or thirty-two of a rebuild's 5,000): what held
 * documents may cost in memory is bounded, whatever the rounds' size.
 */
const MOST_EVENTS = 160_000;
/** Documents of a round looked at, at the least, for its share of documents written again to count. */
const SAMPLE = 100;
/** Above this share of documents written again, documents are held twice as long. */
const WRITTEN_AGAIN = 0.2;

/**
 * How many rounds a catch-up that holds changing documents (`holdChangingDocuments`) waits for a
 * document to go quiet before writing it. Two suffice where each entity's events lie close together
 * in the log, as in the data generator's, where every document is then written once. In a city's
 * log, people apply all year and the steps of one certificate lie weeks apart: a document that went
 * quiet for two rounds changes again later, and is read back and written once more at each step.
 * Told, after each round, how many of the documents it wrote had been written before, it holds them
 * twice as long whenever that share is high, up to a bound. It never shortens: the share falls
 * because documents are held longer, not because the log changed.
 */
export class HoldingTime {
  private current = FIRST_ROUNDS;
  private readonly most: number;

  /** `roundEvents`: the events a round applies (the runner's batch). */
  constructor(roundEvents: number) {
    this.most = Math.max(FIRST_ROUNDS, Math.floor(MOST_EVENTS / roundEvents));
  }

  get rounds(): number {
    return this.current;
  }

  /**
   * After a round: of `written` documents it wrote (or as many of them as were looked at), `again` were
   * written for at least the second time.
   */
  wrote(written: number, again: number): void {
    if (written < SAMPLE || again / written <= WRITTEN_AGAIN) return;
    this.current = Math.min(this.current * 2, this.most);
  }
}
