// Prints the one summary line CI parses, `vitest: N passed, M failed`, from vitest's JSON report.
// A test file that fails outside any test (it does not load, or a hook throws) has no failed test
// of its own in the report, so it counts as one failed test here: the line never reads "0 failed"
// for a run that failed. Exits 1 when anything failed.
//
// Usage: node .ci/vitest-summary.mjs REPORT.json [VITEST_EXIT_STATUS]
import { existsSync, readFileSync } from 'node:fs';

const [reportPath, statusArg = '0'] = process.argv.slice(2);
const vitestStatus = Number(statusArg);

if (reportPath === undefined || !existsSync(reportPath) || readFileSync(reportPath, 'utf8').trim() === '') {
  console.log(`vitest wrote no JSON report (exit status ${vitestStatus})`);
  console.log('vitest: 0 passed, 1 failed');
  process.exit(1);
}

const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const files = report.testResults ?? [];
const brokenFiles = files.filter(
  (f) => f.status === 'failed' && !(f.assertionResults ?? []).some((t) => t.status === 'failed'),
);
for (const f of brokenFiles) {
  const why = (f.message ?? '').split('\n')[0] || 'failed outside any test';
  console.log(`failed file: ${f.name}: ${why}`);
}

const passed = report.numPassedTests ?? 0;
let failed = (report.numFailedTests ?? 0) + brokenFiles.length;
if (failed === 0 && (vitestStatus !== 0 || report.success === false)) {
  // An unhandled error, or a failure the report does not attribute to a file or test.
  console.log(`vitest exited with status ${vitestStatus} (success: ${report.success}) but no test or file failed`);
  failed = 1;
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
if (skipped > 0) console.log(`skipped: ${skipped}`);
console.log(`vitest: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
