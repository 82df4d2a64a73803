import { join } from 'node:path';
import { runNode } from '../support/node-process';
import { removeDataDir, temporaryDataDir } from '../support/registry';

/**
 * The README promises Node 20, and a Node 20 before 20.19 cannot `require` an ES module. Such a
 * module among the service's dependencies (content-disposition 3, under @fastify/static) once kept
 * the API docs, and with them the whole service, from starting there: Nest reported
 * "@fastify/static is missing" and the process exited. Node's own switch for that older behaviour
 * (`--no-experimental-require-module`, from 20.17) stands in for those versions here.
 */
describe('the service on a Node 20 that cannot require ES modules', () => {
  const dataDir = temporaryDataDir();
  afterAll(() => removeDataDir(dataDir));

  it('starts, and answers its health check and API docs', async () => {
    const app = join(__dirname, '..', '..', 'src', 'infrastructure', 'create-app.ts');
    const config = join(__dirname, '..', '..', 'src', 'infrastructure', 'config', 'config.ts');
    // Starts the real application on a free loopback port, asks it two things, and stops it.
    const script = `
      require('reflect-metadata');
      const { createApp } = require(${JSON.stringify(app)});
      const { loadConfig } = require(${JSON.stringify(config)});
      (async () => {
        const app = await createApp({ config: { ...loadConfig(), port: 0, host: '127.0.0.1' } });
        await app.listen(0, '127.0.0.1');
        const base = 'http://127.0.0.1:' + app.getHttpServer().address().port;
        const health = await fetch(base + '/health');
        const docs = await fetch(base + '/docs');
        console.log('answers: ' + JSON.stringify({ health: health.status, docs: docs.status, html: await docs.text() }));
        await app.close();
      })().catch((error) => { console.error(error); process.exit(1); });`;
    const withoutRequireOfModules = process.allowedNodeEnvironmentFlags.has('--experimental-require-module')
      ? ['--no-experimental-require-module']
      : [];
    const run = await runNode(
      [...withoutRequireOfModules, '-r', 'ts-node/register/transpile-only', '-e', script],
      // Nest's own logging left on: its error, if it cannot load a package, is what a failure shows.
      { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: '' },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const line = run.stdout.split('\n').find((text) => text.startsWith('answers: '));
    expect(line).toBeDefined();
    const answers = JSON.parse(line!.slice('answers: '.length)) as {
      health: number;
      docs: number;
      html: string;
    };
    expect(answers.health).toBe(200);
    expect(answers.docs).toBe(200);
    expect(answers.html).toContain('swagger-ui');
  }, 120_000);
});
