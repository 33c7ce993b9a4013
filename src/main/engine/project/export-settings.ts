import { WAV_FORMATS } from '../../../shared/mixer';
import type { Library } from './db';
import { exportFromRow, includeColumn, NotFoundError, type ExportRow } from './rows';
import { EXPORT_TARGETS, includeKey } from '../../../shared/export-targets';
import { check } from './validate';
import type { ExportSettings } from './types';

export const DEFAULT_NAMING_TEMPLATE = '{index}_{project}_{stem}';

export function getExportSettings(lib: Library, projectId: number): ExportSettings {
  const row = lib.db.prepare('SELECT * FROM export_settings WHERE project_id = ?').get(projectId) as ExportRow | undefined;
  if (!row) throw new NotFoundError('project', projectId);
  return exportFromRow(row);
}

/** Saved as the user changes them (not undoable: they are preferences of the export dialog). */
export function setExportSettings(lib: Library, projectId: number, patch: Partial<ExportSettings>): ExportSettings {
  if (patch.format !== undefined) check(WAV_FORMATS.includes(patch.format), `Format must be one of ${WAV_FORMATS.join(', ')}`);
  if (patch.sampleRate !== undefined && patch.sampleRate !== null)
    check(Number.isInteger(patch.sampleRate) && patch.sampleRate >= 8000 && patch.sampleRate <= 384000, 'Sample rate must be 8000 to 384000 Hz');
  if (patch.namingTemplate !== undefined) {
    const t = patch.namingTemplate;
    check(t.length >= 1 && t.length <= 200, 'Naming template must be 1 to 200 characters');
    check(!/[\\/]/.test(t), 'Naming template cannot contain / or \\');
    check(/\{(stem|index)\}/.test(t), 'Naming template needs {stem} or {index} so stems get different names');
  }
  const columns: [keyof ExportSettings, string][] = [
    ['format', 'format'],
    ['sampleRate', 'sample_rate'],
    ['namingTemplate', 'naming_template'],
    ['folder', 'folder'],
    ...EXPORT_TARGETS.map((t) => [includeKey(t.id), includeColumn(t.id)] as [keyof ExportSettings, string]),
  ];
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const [key, column] of columns) {
    const v = patch[key];
    if (v === undefined) continue;
    sets.push(`${column} = ?`);
    values.push(typeof v === 'boolean' ? (v ? 1 : 0) : v);
  }
  if (sets.length > 0) {
    const { changes } = lib.db.prepare(`UPDATE export_settings SET ${sets.join(', ')} WHERE project_id = ?`).run(...values, projectId);
    if (changes !== 1) throw new NotFoundError('project', projectId);
  }
  return getExportSettings(lib, projectId);
}
