'use strict';
/*
 * Entry of a worker thread whose module is TypeScript source (the process runs from source: ts-node,
 * jest), started as `new Worker(<this file>, { argv: [<module>.ts], … })`; from dist/ the compiled
 * module is started directly instead. Neither ts-node's hook in the parent thread nor jest's
 * transformer reaches worker threads, so this thread compiles the .ts files it loads itself (with
 * ts-node, transpile only). Loading the compiler costs about half a second per thread, so the output
 * is kept in node_modules/.cache/typescript-threads, keyed by file, source and tsconfig.json: a
 * thread normally compiles nothing. Plain JavaScript, so that it runs before any compiler is loaded.
 */
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const entry = process.argv[2];
const tsNode = require.resolve('ts-node');
const root = tsNode.slice(0, tsNode.lastIndexOf(`${path.sep}node_modules${path.sep}`));
const cacheDir = path.join(root, 'node_modules', '.cache', 'typescript-threads');
const tsconfig = readOrEmpty(path.join(root, 'tsconfig.json'));

let compiler;

function readOrEmpty(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function compile(source, filename) {
  compiler ??= require('ts-node').create({ transpileOnly: true, projectSearchDir: path.dirname(entry) });
  return compiler.compile(source, filename);
}

function compiled(source, filename) {
  const key = createHash('sha256').update(`${filename}\0${tsconfig}\0${source}`).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    const output = compile(source, filename);
    try {
      // Written whole, then renamed: a thread reading at the same time sees all of it or nothing.
      const temporary = `${cached}.${process.pid}.${require('node:worker_threads').threadId}.tmp`;
      fs.mkdirSync(cacheDir, { recursive: true });
      fs.writeFileSync(temporary, output);
      fs.renameSync(temporary, cached);
    } catch {
      // No cache (read-only tree): compiled again next time.
    }
    return output;
  }
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(compiled(fs.readFileSync(filename, 'utf8'), filename), filename);
};

require(entry);
