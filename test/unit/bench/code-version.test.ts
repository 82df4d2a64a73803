import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { codeVersion, codeVersionText } from '../../../bench/code-version';

/** Runs git in `dir` with an identity of its own, whatever the machine's configuration. */
function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.org', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

describe('the code a bench run measured', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hsc-code-version-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("names the checkout's commit, and whether tracked files differ from it", () => {
    git(dir, 'init', '--quiet');
    writeFileSync(join(dir, 'a.txt'), 'one\n');
    git(dir, 'add', 'a.txt');
    git(dir, 'commit', '--quiet', '-m', 'first');
    const head = git(dir, 'rev-parse', 'HEAD');

    expect(codeVersion(dir)).toEqual({ commit: head, changed: false });
    expect(codeVersionText(codeVersion(dir))).toBe(`code ${head.slice(0, 7)}`);

    // An untracked file (a result written by the run, a data set) is not a change to the code.
    writeFileSync(join(dir, 'results.json'), '{}\n');
    expect(codeVersion(dir)).toEqual({ commit: head, changed: false });

    writeFileSync(join(dir, 'a.txt'), 'two\n');
    expect(codeVersion(dir)).toEqual({ commit: head, changed: true });
    expect(codeVersionText(codeVersion(dir))).toBe(`code ${head.slice(0, 7)} with uncommitted changes`);
  });

  it('is null outside a git checkout, and for one with no commit yet', () => {
    expect(codeVersion(dir)).toBeNull();
    expect(codeVersionText(null)).toBe('code of no git checkout');
    git(dir, 'init', '--quiet');
    expect(codeVersion(dir)).toBeNull();
  });
});
