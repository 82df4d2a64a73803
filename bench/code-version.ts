import { execFileSync } from 'node:child_process';

/** The code a bench run measured, so that its figures can be told apart from another version's. */
export interface CodeVersion {
  /** The checkout's commit (HEAD). */
  readonly commit: string;
  /** Whether tracked files differed from that commit when the run started. */
  readonly changed: boolean;
}

/** The commit of the checkout at `root`, or null when it is not a git checkout (or git is missing). */
export function codeVersion(root: string): CodeVersion | null {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const commit = git('rev-parse', '--verify', 'HEAD');
    return { commit, changed: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return null;
  }
}

/** How the printed summary names it: the short commit, and whether the tree had changes. */
export function codeVersionText(version: CodeVersion | null): string {
  if (version === null) return 'code of no git checkout';
  return `code ${version.commit.slice(0, 7)}${version.changed ? ' with uncommitted changes' : ''}`;
}
