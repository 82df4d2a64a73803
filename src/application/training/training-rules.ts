/** Training policy that comes from configuration and enters the domain through commands. */
export interface TrainingRules {
  /** The lowest exam score (0–100) that passes; TRAINING_PASS_MARK, 60 unless configured. */
  readonly passMark: number;
}

export const TRAINING_RULES = Symbol('TrainingRules');
