import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An 8-bit RGB image, row-major, 3 bytes per pixel. */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface LineStyle {
  /** A fontconfig name ImageMagick knows, e.g. DejaVu-Sans. */
  readonly font: string;
  readonly pointSize: number;
  /** Rendered upside down (the classifier's "180" label). */
  readonly rotated: boolean;
}

/** DejaVu fonts (Debian fonts-dejavu), the faces the evaluation draws from. */
export const FONTS = [
  'DejaVu-Sans',
  'DejaVu-Serif',
  'DejaVu-Sans-Mono',
  'DejaVu-Sans-Bold',
  'DejaVu-Serif-Italic',
];

/** Rendered lines are cached here (gitignored): rendering is the slow part of an evaluation. */
const CACHE_DIR = fileURLToPath(new URL('../.cache/lines', import.meta.url));

/** Debian's ImageMagick 6 binary (its `convert` may be shadowed by another tool on PATH). */
export function imageMagick(): string {
  for (const candidate of ['/usr/bin/convert-im6.q16', '/usr/bin/convert']) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('ImageMagick is not installed: apt-get install imagemagick fonts-dejavu');
}

/** Parses a binary PPM (P6, maxval 255). */
export function parsePpm(bytes: Uint8Array): RgbImage {
  const header = new TextDecoder('latin1').decode(bytes.subarray(0, 64));
  const match = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(header);
  if (!match) throw new Error('not a binary 8-bit PPM image');
  const width = Number(match[1]);
  const height = Number(match[2]);
  const data = bytes.subarray(match[0].length, match[0].length + width * height * 3);
  if (data.length !== width * height * 3) throw new Error(`truncated PPM: ${width}x${height}`);
  return { width, height, data };
}

/** One text line in black on white, with a small margin, as a detector's crop would be. */
export function renderLine(text: string, style: LineStyle): RgbImage {
  if (/[@%\\]/.test(text)) throw new Error(`text '${text}' has a character ImageMagick's label: interprets`);
  const key = createHash('sha256')
    .update(JSON.stringify([text, style]))
    .digest('hex')
    .slice(0, 32);
  const cached = join(CACHE_DIR, `${key}.ppm`);
  if (existsSync(cached)) return parsePpm(readFileSync(cached));
  const args = [
    '-background',
    'white',
    '-fill',
    'black',
    '-font',
    style.font,
    '-pointsize',
    String(style.pointSize),
    `label:${text}`,
    '-bordercolor',
    'white',
    '-border',
    '6x4',
    ...(style.rotated ? ['-rotate', '180'] : []),
    '-depth',
    '8',
    'ppm:-',
  ];
  const result = spawnSync(imageMagick(), args, { maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(
      `ImageMagick failed to render '${text}' (${style.font}): ${result.stderr.toString().trim()}`,
    );
  }
  mkdirSync(CACHE_DIR, { recursive: true });
  // Written aside, then renamed: two evaluations rendering the same line never read half a file.
  const partial = `${cached}.${process.pid}.partial`;
  writeFileSync(partial, result.stdout);
  renameSync(partial, cached);
  return parsePpm(result.stdout);
}
