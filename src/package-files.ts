import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Files shipped beside the code (package.json, proto/), found from the package root: the nearest
 * directory above this module holding both. The same lookup then works from src/ (tests),
 * dist/<module>.js and the single-file bundle dist/vela.mjs.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!(existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto')))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('vela: cannot find the package root (package.json beside proto/)');
    dir = parent;
  }
  return dir;
}

const packageRoot = findPackageRoot();

export function packageFile(relativePath: string): string {
  return join(packageRoot, relativePath);
}
