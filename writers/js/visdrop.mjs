// visdrop.mjs — a writer for visdrop's drop folder, for Node 18+ with the standard library only.
//
// Mirrors mmengine's LocalVisBackend: openRun(), then addScalar, addScalars, addImage and
// addConfig (all synchronous). Every file is written under a dotfile name and renamed into
// place, so the agent never sees half a file; scalar and temporary names carry the process id,
// the worker thread id, a counter and a random number, so processes and workers never collide.
//
//   import { openRun, float } from 'visdrop';
//   const run = openRun('drop', 'run1');
//   run.addScalar('loss', 0.25, 100);
//   run.addScalars({ acc: 0.9, epoch: 3, scale: float(1) }, 100);   // 3 an integer, 1.0 a float
//   run.addImage('sample', new Uint8Array(64 * 64 * 3), [64, 64, 3], 100);
//
// Integers and floats: a JavaScript number cannot tell 1 from 1.0, so an integer-valued number
// is written as an integer, any other number (and NaN, ±Infinity, -0) as a float; wrap a value
// in float() to write it as a float anyway (float(1) is 1.0). BigInts are integers of any size.
// Objects keep their key order (JavaScript puts integer-like keys such as "2" first; pass a Map
// to keep any order).

import { closeSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';

/** A number to be written as a float even when it is integer-valued: float(1) is 1.0. */
export class VisdropFloat {
  /** @param {number} value */
  constructor(value) {
    this.value = Number(value);
  }
}

/** Marks a number as a float: float(1) is written 1.0. */
export function float(value) {
  return new VisdropFloat(value);
}

/** What failed and where; `cause` is the underlying Node error for file-system failures. */
export class VisdropError extends Error {
  constructor(message, cause) {
    super(`visdrop: ${message}${cause ? `: ${cause.message}` : ''}`, cause ? { cause } : undefined);
    this.name = 'VisdropError';
    if (cause && cause.code) this.code = cause.code;
  }
}

const PROCESS_RANDOM = randomBytes(4).toString('hex');
let counter = 0;

/** "<pid>-<thread>-<counter>-<random>": unique per process, worker thread and call. */
function uniqueName() {
  return `${process.pid}-${threadId}-${counter++}-${PROCESS_RANDOM}`;
}

/** A name the agent files: not empty, no '/', not a dotfile, not work in progress. */
function isPlainName(name) {
  return typeof name === 'string' && name !== '' && !name.startsWith('.') && !/[/\0]/.test(name) &&
    !name.endsWith('~') && !name.endsWith('.tmp') && !name.endsWith('.part');
}

/** A float as JSON text: the shortest that reads back to the same number, with '.' or an exponent. */
function floatText(value) {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Object.is(value, -0)) return '-0.0';
  const text = String(value);
  return /[.e]/.test(text) ? text : `${text}.0`;
}

function stringText(text) {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${text[i]}`;
    else if (c < 0x20 || c >= 0x7f) out += `\\u${c.toString(16).padStart(4, '0')}`; // UTF-16 units, as Python
    else out += text[i];
  }
  return `${out}"`;
}

function entriesOf(object) {
  return object instanceof Map ? [...object.entries()] : Object.entries(object);
}

function objectText(entries, depth) {
  return `{${entries.map(([key, value]) => {
    if (typeof key !== 'string') throw new VisdropError(`object keys must be strings, not ${String(key)}`);
    return `${stringText(key)}: ${valueText(value, depth + 1)}`;
  }).join(', ')}}`;
}

function valueText(value, depth = 0) {
  if (depth > 500) throw new VisdropError('values nest more than 500 deep');
  if (value === null || value === undefined) return 'null';
  if (value instanceof VisdropFloat) return floatText(value.value);
  switch (typeof value) {
    case 'boolean': return value ? 'true' : 'false';
    case 'bigint': return value.toString();
    case 'string': return stringText(value);
    case 'number':
      if (Number.isInteger(value) && !Object.is(value, -0)) {
        return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
      }
      return floatText(value);
    default:
      break;
  }
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    return `[${Array.from(value, (element) => valueText(element, depth + 1)).join(', ')}]`;
  }
  if (value instanceof Map || Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    return objectText(entriesOf(value), depth);
  }
  throw new VisdropError(`cannot write a ${value.constructor?.name ?? typeof value} as JSON`);
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const DTYPES = {
  uint8: { descr: '|u1', size: 1 },
  bool: { descr: '|b1', size: 1 },
  uint16: { descr: LITTLE_ENDIAN ? '<u2' : '>u2', size: 2 },
  float32: { descr: LITTLE_ENDIAN ? '<f4' : '>f4', size: 4 },
};

function dtypeOf(data) {
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return 'uint8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Float32Array) return 'float32';
  return null;
}

/** An open run: the folder DROP/<run path>, which the agent files into OUT/<run path>. */
export class Run {
  /** @param {string} directory the run's folder (use openRun) */
  constructor(directory) {
    /** The run's folder in the drop tree. */
    this.directory = directory;
  }

  /**
   * mmengine's add_scalars: appends the record (an object or a Map), with "step": step added
   * last unless it has a "step", to scalars.json and, when filePath is given, to that file (a
   * name ending in .json, not scalars.json) in the run's output folder.
   */
  addScalars(record, step, filePath = null) {
    let name = `scalars-${uniqueName()}`;
    if (filePath !== null && filePath !== undefined) {
      if (!isPlainName(filePath) || !filePath.endsWith('.json') || filePath.length < 6 || filePath === 'scalars.json' ||
          filePath === 'config.json' || filePath.includes('@')) {
        throw new VisdropError(`file_path ${filePath} must be a plain file name ending in .json (not scalars.json or config.json, no '/' or '@')`);
      }
      name += `@${filePath}`;
    } else {
      name += '.json';
    }
    const entries = entriesOf(record);
    if (!entries.some(([key]) => key === 'step')) entries.push(['step', stepValue(step)]);
    this.#drop(name, [Buffer.from(`${objectText(entries, 0)}\n`)]);
  }

  /** mmengine's add_scalar: {name: value, "step": step}. */
  addScalar(name, value, step) {
    this.addScalars(new Map([[name, value]]), step);
  }

  /**
   * mmengine's add_image: files data (C order) as vis_image/<name>_<step>.png. data is a
   * Uint8Array (uint8, or bool with { dtype: 'bool' }), Uint16Array (a 16-bit PNG) or Float32Array
   * (clamped to [0, 1], x255, rounded half up). shape: [H, W] gray, [H, W, C] or channel-first
   * [C, H, W] with C = 1, 3 or 4 (gray, RGB, RGBA); a 3-D shape whose last size is 1, 3 or 4 is
   * read as [H, W, C].
   */
  addImage(name, data, shape, step, { dtype } = {}) {
    if (!isPlainName(name) || name.length > 200) {
      throw new VisdropError(`image name '${name}' must be a plain file name (no '/', not starting with '.')`);
    }
    const stepNumber = Number(step);
    if (!Number.isSafeInteger(stepNumber) || stepNumber < 0) throw new VisdropError(`image ${name}: step ${step} is not an integer ≥ 0`);
    const kind = dtype ?? dtypeOf(data);
    if (!kind || !DTYPES[kind] || (dtypeOf(data) !== (kind === 'bool' ? 'uint8' : kind))) {
      throw new VisdropError(`image ${name}: data must be a Uint8Array, Uint16Array or Float32Array (Uint8Array with dtype 'bool'), not ${data?.constructor?.name} with dtype ${kind}`);
    }
    const shapeText = `(${shape.join(', ')})`;
    if (shape.length !== 2 && shape.length !== 3) throw new VisdropError(`image ${name}: shape ${shapeText} has ${shape.length} dimensions (2 or 3 wanted)`);
    if (!shape.every((size) => Number.isSafeInteger(size) && size > 0)) throw new VisdropError(`image ${name}: shape ${shapeText} has a size below 1`);
    const isChannels = (n) => n === 1 || n === 3 || n === 4;
    if (shape.length === 3 && !isChannels(shape[2]) && !isChannels(shape[0])) {
      throw new VisdropError(`image ${name}: shape ${shapeText} has no channel size 1, 3 or 4 first or last`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (count !== data.length) throw new VisdropError(`image ${name}: ${data.length} elements given, shape ${shapeText} needs ${count}`);
    let samples = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (kind === 'bool') samples = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)).buffer);
    // NPY 1.0: magic, version, header length (little-endian), dict padded to 64 with spaces + \n.
    const dict = `{'descr': '${DTYPES[kind].descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
    const padded = Math.ceil((10 + dict.length + 1) / 64) * 64;
    const header = Buffer.alloc(padded, 0x20);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(header, 0);
    header.writeUInt16LE(padded - 10, 8);
    header.write(dict, 10, 'latin1');
    header[padded - 1] = 0x0a;
    this.#drop(`${name}_${stepNumber}.npy`, [header, samples]);
  }

  /** mmengine's add_config from an object or Map: dropped as config.json. */
  addConfig(config) {
    this.#drop('config.json', [Buffer.from(`${objectText(entriesOf(config), 0)}\n`)]);
  }

  /** add_config from JSON text (one object), dropped as config.json as it is. */
  addConfigJson(jsonText) {
    this.#drop('config.json', [Buffer.from(jsonText)]);
  }

  /** add_config from YAML text, dropped as config.yaml as it is. */
  addConfigYaml(yamlText) {
    this.#drop('config.yaml', [Buffer.from(yamlText)]);
  }

  /** Writes the parts under a unique dotfile name in the run folder, then renames it to name. */
  #drop(name, parts) {
    const temporary = join(this.directory, `.visdrop-${uniqueName()}.tmp`);
    const finalPath = join(this.directory, name);
    let fd;
    try {
      fd = openSync(temporary, 'wx', 0o644);
    } catch (error) {
      throw new VisdropError(`cannot create ${temporary}`, error);
    }
    let step = 'write';
    try {
      for (const part of parts) {
        let offset = 0;
        while (offset < part.length) offset += writeSync(fd, part, offset, part.length - offset);
      }
      step = 'close';
      closeSync(fd);
      fd = undefined;
      step = `rename to ${finalPath}`;
      renameSync(temporary, finalPath);
    } catch (error) {
      if (fd !== undefined) closeSync(fd);
      try { unlinkSync(temporary); } catch { /* already gone */ }
      throw new VisdropError(`cannot ${step} ${temporary}`, error);
    }
  }
}

function stepValue(step) {
  if (typeof step === 'bigint') return step;
  if (!Number.isSafeInteger(step)) throw new VisdropError(`step ${step} is not an integer (pass a BigInt for steps beyond 2^53)`);
  return step;
}

/**
 * Opens the run runPath ('' for the drop folder itself, 'a/b' nested) inside the existing
 * folder dropDir, creating the run's folders (never dropDir itself). Throws VisdropError.
 */
export function openRun(dropDir, runPath = '') {
  let status;
  try {
    status = statSync(dropDir);
  } catch (error) {
    throw new VisdropError(`drop folder ${dropDir}`, error);
  }
  if (!status.isDirectory()) throw new VisdropError(`drop folder ${dropDir} is not a folder`);
  if (runPath.startsWith('/')) throw new VisdropError(`run path ${runPath} must be relative to the drop folder`);
  let directory = dropDir;
  if (runPath !== '') {
    for (const component of runPath.split('/')) {
      if (!isPlainName(component)) {
        throw new VisdropError(`run path ${runPath}: each part must be a plain name (not empty, not starting with '.', not ending in .tmp, .part or ~)`);
      }
      directory = join(directory, component);
      try {
        mkdirSync(directory, 0o755);
      } catch (error) {
        if (error.code !== 'EEXIST') throw new VisdropError(`cannot create run folder ${directory}`, error);
      }
    }
  }
  try {
    if (!statSync(directory).isDirectory()) throw new VisdropError(`run folder ${directory} is not a folder`);
    accessSync(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    if (error instanceof VisdropError) throw error;
    throw new VisdropError(`run folder ${directory} is not writable`, error);
  }
  return new Run(directory);
}
