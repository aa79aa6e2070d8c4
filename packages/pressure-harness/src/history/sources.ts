/**
 * Where runs to record come from: a perf results folder (scenarios/*.json, as a run or `pressure
 * merge` left it), or Playwright blob reports (a report-*.zip, a folder of them, or the one
 * `merge-reports --reporter blob` makes), which carry each scenario's result as the attachment
 * `<scenario>.json` the perf fixture adds: inline in the report's events (`onAttach`, base64, as
 * Playwright 1.5x writes an attachment given a body) or as a file under resources/ (one given a
 * path). The shards of one nightly arrive as several zips of one RUN_ID: grouped back into one
 * run here. Unzipped with fflate, in memory.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { readScenarioFiles, type ScenarioFile } from '../report/results.js';

/** `recorded`: what the folder's results.json says of the run (its time, its commit), for scenario files older than those fields. */
export type RunSource = { runId: string; files: ScenarioFile[]; source: string; recorded?: { at?: string; commit?: string } };

const isScenarioFile = (v: unknown): v is ScenarioFile => {
  const f = v as Partial<ScenarioFile> | null;
  return Boolean(f && f.version === 2 && typeof f.scenario === 'string' && typeof f.runId === 'string' && f.endpoints && f.raw);
};

type BlobAttachment = { name?: string; contentType?: string; base64?: string; path?: string };

const parsed = (text: string): ScenarioFile | undefined => {
  try {
    const v: unknown = JSON.parse(text);
    return isScenarioFile(v) ? v : undefined;
  } catch {
    return undefined; // another JSON attachment of the report: not a scenario result
  }
};

/** The scenario results inside one blob report zip. */
function fromBlob(zip: string): ScenarioFile[] {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(readFileSync(zip), { filter: (f) => f.name.endsWith('.json') || f.name.endsWith('.jsonl') });
  } catch (e) {
    throw new Error(`${zip} is not a zip file (a Playwright blob report): ${(e as Error).message}`);
  }
  const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8');
  const out: ScenarioFile[] = [];
  for (const [name, bytes] of Object.entries(entries)) {
    if (!name.endsWith('.jsonl')) {
      const f = parsed(text(bytes));
      if (f) out.push(f);
      continue;
    }
    // The report's events, one a line: attachments arrive with onAttach (and, in older versions, with onTestEnd's result).
    for (const line of text(bytes).split('\n')) {
      if (!line.includes('application/json')) continue;
      let event: { method?: string; params?: { attachments?: BlobAttachment[]; result?: { attachments?: BlobAttachment[] } } };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        continue;
      }
      for (const a of [...(event.params?.attachments ?? []), ...(event.params?.result?.attachments ?? [])]) {
        if (a.contentType !== 'application/json' || !a.base64) continue;
        const f = parsed(Buffer.from(a.base64, 'base64').toString('utf8'));
        if (f) out.push(f);
      }
    }
  }
  return out;
}

/** Every run found at `input` (a results folder, a blob zip, or a folder of blob zips), one entry per RUN_ID. */
export function runsAt(input: string): RunSource[] {
  const at = path.resolve(input);
  if (!existsSync(at)) throw new Error(`${input} does not exist`);
  let files: ScenarioFile[];
  let kind: string;
  if (statSync(at).isFile()) {
    files = fromBlob(at);
    kind = 'blob report';
  } else if (existsSync(path.join(at, 'scenarios'))) {
    files = readScenarioFiles(at);
    kind = 'results folder';
  } else {
    const zips = readdirSync(at).filter((f) => f.endsWith('.zip'));
    if (!zips.length) throw new Error(`${input} holds neither scenarios/ (a perf results folder) nor *.zip (Playwright blob reports)`);
    files = zips.flatMap((z) => fromBlob(path.join(at, z)));
    kind = `blob reports (${zips.length})`;
  }
  if (!files.length) throw new Error(`${input} (${kind}) holds no perf scenario results: was it a run of the perf project?`);
  const byRun = new Map<string, Map<string, ScenarioFile>>();
  for (const f of files) {
    const run = byRun.get(f.runId) ?? new Map<string, ScenarioFile>();
    // A scenario twice in one run (a retried test): its last result stands, as in the run's folder.
    const seen = run.get(f.scenario);
    if (!seen || (f.at ?? '') > (seen.at ?? '')) run.set(f.scenario, f);
    byRun.set(f.runId, run);
  }
  const summary = statSync(at).isDirectory() ? resultsJson(path.join(at, 'results.json')) : undefined;
  return [...byRun].map(([runId, m]) => ({
    runId,
    files: [...m.values()],
    source: `${kind} ${input}`,
    ...(summary?.runId === runId && { recorded: { ...(summary.generatedAt && { at: summary.generatedAt }), ...(summary.commit && { commit: summary.commit }) } }),
  }));
}

function resultsJson(file: string): { runId?: string; generatedAt?: string; commit?: string } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { runId?: string; generatedAt?: string; commit?: string };
  } catch {
    return undefined;
  }
}
