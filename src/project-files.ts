import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** A file or folder at the project root (views/, public/), both when running from src/ (tsx) and from dist/src/ (compiled). */
export function projectPath(...segments: string[]): string {
  root ??= findRoot();
  return join(root, ...segments);
}

function findRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'views'))) return dir;
  }
  throw new Error('project root (package.json with views/) not found above ' + __dirname);
}
