// The harness's scripted sequence for the JavaScript writer (writers/tests/run_writer_tests.py).
// Modes: sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES
import { existsSync, rmdirSync } from 'node:fs';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { float, openRun } from '../../js/visdrop.mjs';

function sequence(drop, runName) {
  const run = openRun(drop, runName);
  run.addConfig({
    model: { type: 'ResNet', depth: 50, norm_cfg: { type: 'BN', eps: 1e-05, requires_grad: true } },
    optimizer: { lr: 0.02, momentum: 0.9, weight_decay: 0.0001 },
    max_epochs: 12,
    scale: float(1),
    flags: [true, false, null],
    name: 'run α',
  });
  run.addScalar('loss', 0.5, 1);
  run.addScalar('count', 1, 2);
  run.addScalar('ratio', float(1), 3);
  run.addScalar('nan', NaN, 4);
  run.addScalar('inf', Infinity, 5);
  run.addScalar('ninf', -Infinity, 6);
  run.addScalar('small', 1e-5, 7);
  run.addScalar('negzero', -0, 8);
  run.addScalar('big', float(1e16), 9);
  run.addScalar('tiny', 5e-324, 10);
  run.addScalar('third', 0.1 + 0.2, 11);
  run.addScalar('bigstep', 3, 1099511627776);
  run.addScalars({ 'train/loss': 0.25, 'train/acc': 1, lr: 0.001 }, 12);
  run.addScalars({ a: 1.5, step: 99 }, 13);
  run.addScalars({ bigint: 18446744073709551617n, negbig: -9223372036854775808n, maxu64: 18446744073709551615n, huge: 10n ** 30n }, 14);
  run.addScalars({
    nested: { inner: { x: 1, y: 2.5 }, list: [1, float(2), null, true, false, 's'] },
    text: 'naïve "q" \\ \n\t\u0001 ключ 😀',
    flag: true,
    none: null,
  }, 15);
  run.addScalars({ 'val/acc': 0.91, 'val/f1': float(1) }, 16, 'val.json');
  run.addScalars({ 'val/acc': NaN, epoch: 2, max: float(1.7976931348623157e308) }, 17, 'val.json');
  run.addScalar('last', -2.5e-300, 18);
  run.addScalars({}, 19);
  run.addScalars({ e21: float(1e21), em7: 1e-7, f32: Math.fround(0.1) }, 20);

  const layouts = [['hw', [5, 6]], ['hw1', [5, 6, 1]], ['hw3', [5, 6, 3]], ['hw4', [5, 6, 4]],
    ['c1hw', [1, 5, 6]], ['c3hw', [3, 5, 6]], ['c4hw', [4, 5, 6]]];
  let step = 0;
  for (const dtype of ['uint8', 'uint16', 'float32', 'bool']) {
    for (const [layout, shape] of layouts) {
      const count = shape.reduce((a, b) => a * b, 1);
      const name = `${dtype}_${layout}`;
      if (dtype === 'uint8') run.addImage(name, Uint8Array.from({ length: count }, (_, i) => (i * 37 + 11) % 256), shape, step);
      else if (dtype === 'uint16') run.addImage(name, Uint16Array.from({ length: count }, (_, i) => (i * 4099 + 7) % 65536), shape, step);
      else if (dtype === 'float32') {
        run.addImage(name, Float32Array.from({ length: count }, (_, i) => (i % 13 === 5 ? NaN : ((i * 37) % 101) / 80 - 0.1)), shape, step);
      } else {
        run.addImage(name, Uint8Array.from({ length: count }, (_, i) => (i % 3 === 0 || i % 7 === 1 ? 1 : 0)), shape, step, { dtype: 'bool' });
      }
      step += 1;
    }
  }
  openRun(drop, `${runName}-yaml`).addConfigYaml('model:\n  type: ResNet\n  depth: 50\nlr: 0.02\nsteps: [8, 11]\nname: yaml run\n');
  openRun(drop, `${runName}-jsontext`).addConfigJson('{"work_dir": "./work", "seed": 42, "ratio": 0.5, "list": [1, 2.5, "x"]}');
}

function fails(check, call) {
  try {
    call();
  } catch (error) {
    console.error(`${check}: ${error.message}`);
    return true;
  }
  console.log(`FAIL ${check}: no error reported`);
  return false;
}

function errors(scratch) {
  let failed = 0;
  const report = (check, ok) => (ok ? console.log(`ok ${check}`) : (failed = 1));
  let ok = fails('missing_drop', () => openRun(`${scratch}/missing`, 'r'));
  if (existsSync(`${scratch}/missing`)) {
    console.log('FAIL missing_drop: created');
    ok = false;
  }
  report('missing_drop', ok);
  report('drop_is_file', fails('drop_is_file', () => openRun(`${scratch}/plain-file`, 'r')));
  report('readonly_drop', fails('readonly_drop', () => openRun(`${scratch}/readonly`, 'r').addScalar('x', 1.5, 0)));
  const run = openRun(`${scratch}/good`, 'r');
  const record = { x: 1.5 };
  report('bad_file_path', fails('bad_file_path', () => run.addScalars(record, 0, 'val.txt')) &
    fails('bad_file_path', () => run.addScalars(record, 0, 'scalars.json')) &
    fails('bad_file_path', () => run.addScalars(record, 0, 'a/b.json')));
  report('bad_image', fails('bad_image', () => run.addImage('x', new Uint8Array(60), [5, 6, 2], 0)) &
    fails('bad_image', () => run.addImage('x', new Uint8Array(59), [5, 6], 0)) &
    fails('bad_image', () => run.addImage('../x', new Uint8Array(30), [5, 6], 0)));
  const vanishing = openRun(`${scratch}/good`, 'r2');
  rmdirSync(`${scratch}/good/r2`);
  report('vanished_run', fails('vanished_run', () => vanishing.addScalar('x', 1.5, 0)));
  return failed;
}

function writeRecords({ drop, runName, writer, thread, count }) {
  const run = openRun(drop, runName);
  for (let i = 0; i < count; i++) run.addScalars({ writer, thread, i }, i, i % 5 === 0 ? 'every5.json' : null);
}

async function concurrent(drop, runName, writer, count) {
  const workers = [0, 1].map((thread) => new Worker(new URL(import.meta.url), { workerData: { drop, runName, writer, thread, count } }));
  await Promise.all(workers.map((worker) => new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited ${code}`))));
  })));
}

function bench(drop, runName, records, images) {
  const run = openRun(drop, runName);
  let start = process.hrtime.bigint();
  for (let i = 0; i < records; i++) run.addScalars({ loss: 0.25, acc: 0.5 }, i);
  const recordSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const pixels = Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7) & 0xff);
  start = process.hrtime.bigint();
  for (let i = 0; i < images; i++) run.addImage('bench', pixels, [64, 64, 3], i);
  const imageSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`bench records_per_s=${(records / recordSeconds).toFixed(1)} images_per_s=${(images / imageSeconds).toFixed(1)}`);
}

if (!isMainThread) {
  writeRecords(workerData);
} else {
  const [mode, ...a] = process.argv.slice(2);
  if (mode === 'sequence' && a.length >= 2) sequence(a[0], a[1]);
  else if (mode === 'errors' && a.length >= 1) process.exitCode = errors(a[0]);
  else if (mode === 'concurrent' && a.length >= 4) await concurrent(a[0], a[1], Number(a[2]), Number(a[3]));
  else if (mode === 'bench' && a.length >= 4) bench(a[0], a[1], Number(a[2]), Number(a[3]));
  else {
    console.error('usage: writer_test.mjs sequence DROP RUN | errors SCRATCH | concurrent DROP RUN WRITER N | bench DROP RUN RECORDS IMAGES');
    process.exitCode = 64;
  }
}
