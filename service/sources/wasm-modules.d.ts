// An AssemblyScript source imported by the service is its compiled WebAssembly
// module, as base64 (build/assemblyscript.mjs: the bundle's plugin and the tests' hook).
declare module '*.as' {
  const base64: string;
  export default base64;
}
