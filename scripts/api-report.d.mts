// Types of scripts/api-report.mjs, for the packages' test/api.test.ts.

/** Absolute path of the repository root. */
export const root: string;

/** Directories (relative to the root) of the packages that are published. */
export function publishedPackages(): string[];

export interface ApiReport {
  /** The package's name, e.g. '@agents/core'. */
  name: string;
  /** Absolute path of its checked-in report. */
  path: string;
  /** The report's path relative to the root, e.g. 'api/core.api.md'. */
  reportName: string;
  text: string;
}

/** The report of one package (a directory relative to the root, or absolute), from its build. */
export function buildReport(packageDir: string): ApiReport;

export interface ApiReportCheck {
  ok: boolean;
  /** The report the build gives now. */
  actual: string;
  /** The checked-in report ('' when there is none). */
  committed: string;
  /** Says which file to regenerate and commit. */
  message: string;
}

/** Compares the build of one package with its checked-in report. */
export function checkReport(packageDir: string): ApiReportCheck;
