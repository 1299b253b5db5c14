// Bundles the compiled broker (dist/cli.js and what it imports, protobufjs included) into one file,
// dist/vela.mjs: loading one module instead of ~110 takes a third off start-to-ready. Native
// packages stay external; the proto goes in already parsed. npm start, the vela bin and the Dockerfile run the bundle.
import { build } from 'esbuild';
import protobuf from 'protobufjs';

// The proto parsed here once; src/protocol/proto.ts reads this instead of parsing the text at start-up.
const descriptor = new protobuf.Root().loadSync('proto/PulsarApi.proto', { keepCase: true }).toJSON();

await build({
  entryPoints: ['dist/cli.js'],
  outfile: 'dist/vela.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['classic-level', '@node-rs/crc32'],
  // protobufjs is CommonJS and calls require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __velaCreateRequire } from 'node:module'; const require = __velaCreateRequire(import.meta.url);" },
  define: { __PULSAR_API_DESCRIPTOR__: JSON.stringify(descriptor) },
  logLevel: 'warning',
});
