import { join } from 'node:path';
import { runNode } from '../support/node-process';
import { removeDataDir, temporaryDataDir } from '../support/registry';

const SRC = join(__dirname, '..', '..', 'src', 'infrastructure');

/**
 * Runs `script` (from the TypeScript source) in a process of its own; answers what it printed on its
 * `seen: ` line, once it has exited cleanly.
 */
async function seenIn(script: string, env: NodeJS.ProcessEnv): Promise<unknown> {
  const run = await runNode(['-r', 'ts-node/register/transpile-only', '-e', script], env);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const line = run.stdout.split('\n').find((text) => text.startsWith('seen: '));
  expect(line).toBeDefined();
  return JSON.parse(line!.slice('seen: '.length));
}

/**
 * exceljs (~650 modules) is loaded by the roster's first Excel export, not when the application
 * starts: loaded with it, it took ~0.2 s of every start (the service, each data-generator lane),
 * docs/performance.md, item 119. The service runs in a process of its own, whose module cache tells
 * what it has loaded.
 */
describe('the service as it starts', () => {
  const dataDir = temporaryDataDir();
  afterAll(() => removeDataDir(dataDir));

  it('has not loaded exceljs, which its first Excel export then loads and uses', async () => {
    const script = `
      require('reflect-metadata');
      const { createApp } = require(${JSON.stringify(join(SRC, 'create-app.ts'))});
      const { loadConfig } = require(${JSON.stringify(join(SRC, 'config', 'config.ts'))});
      const { toXlsx } = require(${JSON.stringify(join(SRC, 'formats', 'xlsx.ts'))});
      const exceljsLoaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/exceljs/'));
      (async () => {
        const app = await createApp({ config: { ...loadConfig(), port: 0, host: '127.0.0.1' } });
        await app.listen(0, '127.0.0.1');
        const health = await fetch('http://127.0.0.1:' + app.getHttpServer().address().port + '/health');
        const atStart = exceljsLoaded();
        const file = await toXlsx('roster', [{ header: 'code', width: 12 }], [['MCJPH6EQM4T']]);
        console.log('seen: ' + JSON.stringify({ health: health.status, atStart, afterExport: exceljsLoaded(), zip: file.subarray(0, 2).toString('latin1') }));
        await app.close();
      })().catch((error) => { console.error(error); process.exit(1); });`;
    expect(await seenIn(script, { ...process.env, DATA_DIR: dataDir })).toEqual({
      health: 200,
      atStart: false,
      afterExport: true,
      // An .xlsx file is a zip archive.
      zip: 'PK',
    });
  }, 120_000);
});

/**
 * The data generator's lanes, `npm run projections` and the online rebuild start the application
 * without HTTP (AppModule alone): its controllers, guards, Fastify, Swagger and Terminus stay
 * unloaded, ~0.1 s of each lane's start (docs/performance.md, item 120). The application still
 * takes commands.
 */
describe("the generator lanes' application", () => {
  const dataDir = temporaryDataDir();
  afterAll(() => removeDataDir(dataDir));

  it('loads none of the HTTP modules, and registers an agency through its command bus', async () => {
    const script = `
      require('reflect-metadata');
      const { CommandBus } = require('@nestjs/cqrs');
      const { loadContext, makeWorld } = require(${JSON.stringify(join(SRC, 'generator', 'lanes.ts'))});
      const { RegisterAgencyCommand } = require(${JSON.stringify(join(SRC, '..', 'application', 'agency', 'register-agency.ts'))});
      const http = /\\/src\\/infrastructure\\/http\\/|\\/node_modules\\/(@nestjs\\/(platform-fastify|swagger|terminus)|fastify)\\//;
      const httpModules = () => Object.keys(require.cache).filter((file) => http.test(file)).length;
      (async () => {
        const app = await loadContext(${JSON.stringify(dataDir)}, 1);
        const world = makeWorld(app.get(CommandBus), 'start-up test', () => {});
        const admin = { id: 'admin-01', role: 'platform_admin' };
        const data = { name: '上海测试家政服务有限公司', creditCode: '91310101MA1010000G', district: '310101' };
        const result = await world.send(new RegisterAgencyCommand(data, world.context(admin, 'agency', '1')));
        console.log('seen: ' + JSON.stringify({ created: result.created, position: result.position, httpModules: httpModules() }));
        await app.close();
      })().catch((error) => { console.error(error); process.exit(1); });`;
    // The agency and its credit code's reservation: two events, the first of the log.
    expect(await seenIn(script, process.env)).toEqual({ created: true, position: 2, httpModules: 0 });
  }, 120_000);
});
