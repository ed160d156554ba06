// The part of jstat's API that src/analysis/stats.ts uses (the package ships no types).
declare module "jstat" {
  interface JStat {
    normal: { cdf(x: number, mean: number, std: number): number; inv(p: number, mean: number, std: number): number };
    poisson: { pdf(k: number, lambda: number): number };
    hypgeom: { pdf(k: number, population: number, successes: number, draws: number): number };
    beta: { sample(alpha: number, beta: number): number };
    setRandom(fn: () => number): void;
    _random_fn: () => number;
  }
  const jstat: { jStat: JStat };
  export = jstat;
}
