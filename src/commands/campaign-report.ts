// `loadshape campaign report DIR` (and the report every campaign session ends with): reads
// campaign.json and each point's result file, prints the table, writes the CSV (always
// DIR/campaign.csv at the end of a session; --csv FILE on demand) and the HTML page (--html FILE).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCampaignHtml } from '../campaign/html.js';
import { MANIFEST_FILE, readManifest, type Manifest } from '../campaign/manifest.js';
import { campaignCsv, renderCampaignTable, type CampaignView, type LoadedPoint } from '../campaign/report.js';
import { readResult } from '../results/io.js';
import { LoadshapeError, fsReason, usageError } from '../util/errors.js';
import type { CampaignReportFlags } from './options.js';

/** The manifest with each point's result read (a result that cannot be read leaves its row without numbers, saying why on stderr). */
export async function loadCampaignView(dir: string, manifest: Manifest): Promise<CampaignView> {
  const points: LoadedPoint[] = [];
  for (const record of manifest.points) {
    if (record.resultFile === null) {
      points.push({ record, file: null, result: null });
      continue;
    }
    try {
      points.push({ record, file: record.resultFile, result: await readResult(join(dir, record.resultFile)) });
    } catch (err) {
      process.stderr.write(`loadshape: campaign ${manifest.name}: ${record.id}: ${(err as Error).message}\n`);
      points.push({ record, file: record.resultFile, result: null });
    }
  }
  return { manifest, points };
}

async function write(file: string, text: string, flag: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (err) {
    throw new LoadshapeError('io', `${flag} ${file}: cannot write (${fsReason(err)})`);
  }
}

/** The end of a session: DIR/campaign.csv and, with print, the table on stdout. */
export async function writeCampaignReport(dir: string, manifest: Manifest, o: { print: boolean }): Promise<CampaignView> {
  const view = await loadCampaignView(dir, manifest);
  await write(join(dir, 'campaign.csv'), campaignCsv(view), '--out');
  if (o.print) process.stdout.write(`${renderCampaignTable(view)}\ncsv: ${join(dir, 'campaign.csv')}\n`);
  return view;
}

export async function campaignReportCommand(dir: string, o: CampaignReportFlags): Promise<void> {
  const manifest = await readManifest(join(dir, MANIFEST_FILE));
  if (!manifest) throw usageError(`${dir}: no ${MANIFEST_FILE} here; give the folder a campaign wrote (its --out, by default results/campaign-<name>/)`);
  const view = await loadCampaignView(dir, manifest);
  process.stdout.write(`${renderCampaignTable(view)}\n`);
  if (o.csv !== undefined) await write(o.csv, campaignCsv(view), '--csv');
  if (o.html !== undefined) await write(o.html, renderCampaignHtml(view), '--html');
}
