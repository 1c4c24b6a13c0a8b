// Types of build/service-bundle.mjs for the TypeScript bench.
import type { BuildOptions } from 'esbuild';

export function serviceBundleOptions(root?: string): BuildOptions;
