// Types of build/package.mjs for the TypeScript tests.
export type PackageEntry = { name: string; data: Buffer; mode: number };
export function packageMeta(root?: string): { xml: string; version: string; release: string };
export function packageEntries(root?: string): { entries: PackageEntry[]; version: string; release: string };
export function buildPackage(o?: { root?: string; outDir?: string }): { path: string; size: number; sha256: string; entries: number };
