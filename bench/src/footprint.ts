/**
 * The footprint probe, run by `npm run bench` in fresh processes: with
 * `sluice`, it times `await import('@sluice/core')`; with `bare`, it imports
 * nothing. Either way it then reports its RSS and heap, so the difference
 * between the two is what importing Sluice costs an idle process.
 *
 *   node bench/dist/footprint.js sluice|bare
 */
const mode = process.argv[2] === 'sluice' ? 'sluice' : 'bare';
const start = performance.now();
const cpuBefore = process.cpuUsage();
if (mode === 'sluice') await import('@sluice/core');
const importMs = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
// CPU time moves less than wall time with the machine's load.
const importCpuMs = (cpu.user + cpu.system) / 1000;
const memory = process.memoryUsage();
const report = {
  mode,
  importMs,
  importCpuMs,
  rssMiB: memory.rss / 1024 / 1024,
  heapUsedMiB: memory.heapUsed / 1024 / 1024,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
};
if (process.send !== undefined) process.send(report);
else console.log(JSON.stringify(report));
export {};
