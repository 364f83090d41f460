// The package ships no types; parse.ts narrows the result itself.
declare module 'parse-prometheus-text-format' {
  const parse: (text: string) => unknown[];
  export default parse;
}
