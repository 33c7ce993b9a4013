import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandTemplate, exportFileNames, exportFolderName, planExportFolder, safeName } from '../../../src/main/engine/export/naming';
import { rppString, writeRpp } from '../../../src/main/engine/export/rpp';
import { addPanned, audible, dbToGain } from '../../../src/main/engine/export/mix';
import { runExport, type ExportJobParams, type ExportStem } from '../../../src/main/engine/export/job';
import { readWav, writeWav } from '../../../src/main/engine/media/wav';
import { runTool } from '../../../src/main/engine/media/process';
import { getExportSettings, setExportSettings } from '../../../src/main/engine/project';
import { EXPORT_TARGETS, includeKey } from '../../../src/shared/export-targets';
import { makeLibrary, makeProject } from '../project/helpers';
import { field, parseRpp, type RppNode } from './rpp-parse';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-export-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('naming', () => {
  it('expands the default template with a padded index and safe names', () => {
    expect(expandTemplate('{index}_{project}_{stem}', { index: 3, project: 'My/Clip', stem: 'Lead: vox' })).toBe('03_My_Clip_Lead_ vox');
    expect(exportFolderName('My/Clip')).toBe('My_Clip export');
    expect(exportFolderName('Clip', { startSec: 1, endSec: 62.346 })).toBe('Clip 1.00-62.35s export');
    expect(safeName('..')).toBe('untitled');
    expect(safeName('CON')).toBe('untitled');
  });

  it('names every file of an export by the one template, distinct with their extensions', () => {
    const files = [
      { index: 1, stem: 'Voice', ext: '.wav' },
      { index: 2, stem: 'voice', ext: '.wav' },
      { index: 3, stem: 'residual', ext: '.wav' },
      { index: 4, stem: 'mix', ext: '.wav' },
      { index: 5, stem: 'video', ext: '.mp4' },
      { index: 6, stem: 'project', ext: '.rpp' },
    ];
    expect(exportFileNames('{index}_{project}_{stem}', 'Clip', files)).toEqual([
      '01_Clip_Voice.wav', '02_Clip_voice.wav', '03_Clip_residual.wav', '04_Clip_mix.wav', '05_Clip_video.mp4', '06_Clip_project.rpp',
    ]);
    // Without {index}, a clash (case-insensitive, extension included) gets a number before the extension.
    expect(exportFileNames('{project} {stem}', 'Clip', files)).toEqual([
      'Clip Voice.wav', 'Clip voice (2).wav', 'Clip residual.wav', 'Clip mix.wav', 'Clip video.mp4', 'Clip project.rpp',
    ]);
    expect(exportFileNames('{stem}', 'Clip', [{ index: 1, stem: 'mix', ext: '.wav' }, { index: 2, stem: 'mix', ext: '.wav' }, { index: 3, stem: 'mix', ext: '.rpp' }])).toEqual(['mix.wav', 'mix (2).wav', 'mix.rpp']);
    // The index is padded to the widest one of the export.
    expect(exportFileNames('{index}', 'P', [{ index: 9, stem: 'a', ext: '.wav' }, { index: 123, stem: 'b', ext: '.wav' }])).toEqual(['009.wav', '123.wav']);
  });

  it('reports an existing folder instead of writing into it, or picks a new one', async () => {
    const first = await planExportFolder(tmp, 'x export', 'ask');
    expect(first).toEqual({ folder: path.join(tmp, 'x export'), conflict: false });
    rmSync(first.folder, { force: true, recursive: true });
    await import('node:fs/promises').then((f) => f.mkdir(first.folder));
    expect((await planExportFolder(tmp, 'x export', 'ask')).conflict).toBe(true);
    expect(await planExportFolder(tmp, 'x export', 'new')).toEqual({ folder: path.join(tmp, 'x export 2'), conflict: false });
    expect(await planExportFolder(tmp, 'x export', 'replace')).toEqual({ folder: first.folder, conflict: false });
  });
});

describe('mix', () => {
  it('solo wins over mute', () => {
    const a = { gainDb: 0, pan: 0, mute: false, solo: false };
    const b = { gainDb: 0, pan: 0, mute: true, solo: true };
    expect(audible(a, [a, b])).toBe(false);
    expect(audible(b, [a, b])).toBe(true);
    const mutedOnly = { ...b, solo: false };
    expect(audible(mutedOnly, [a, mutedOnly])).toBe(false);
    expect(audible(a, [a, mutedOnly])).toBe(true);
    expect(dbToGain(-6)).toBeCloseTo(0.501, 3);
    expect(dbToGain(-120)).toBe(0);
  });

  it('pans like Web Audio StereoPannerNode (equal power; stereo balance)', () => {
    const L = new Float32Array(1), R = new Float32Array(1);
    addPanned(L, R, [new Float32Array([1])], 1, 0);
    expect(L[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(R[0]).toBeCloseTo(Math.SQRT1_2, 6);
    const L2 = new Float32Array(1), R2 = new Float32Array(1);
    addPanned(L2, R2, [new Float32Array([0.5]), new Float32Array([0.25])], 2, -1);
    expect(L2[0]).toBeCloseTo(1.5, 6); // (l + r) * gain, all to the left
    expect(R2[0]).toBeCloseTo(0, 6);
  });
});

describe('rpp', () => {
  it('writes one aligned track per stem with volume, pan, mute and solo', () => {
    const text = writeRpp({
      sampleRate: 48000,
      tracks: [
        { name: 'Voice "A"', file: '01_x_voice.wav', lengthSec: 8, gainDb: -6, pan: -0.5, mute: false, solo: true, colour: '#ff0000' },
        { name: 'residual', file: '02_x_residual.wav', lengthSec: 8, gainDb: 0, pan: 0, mute: true, solo: false },
      ],
    });
    expect(text.startsWith('<REAPER_PROJECT')).toBe(true);
    expect(text.match(/<TRACK/g)).toHaveLength(2);
    expect(text).toContain('NAME `Voice "A"`');
    expect(text).toMatch(/VOLPAN 0\.501\d* -0\.5 -1 -1 1/);
    expect(text).toContain('MUTESOLO 0 2 0');
    expect(text).toContain('MUTESOLO 1 0 0');
    expect(text.match(/POSITION 0\n/g)).toHaveLength(2);
    expect(text).toContain('FILE "02_x_residual.wav"');
    // Balanced chunks: every < has its >.
    expect(text.split('\n').filter((l) => l.trim().startsWith('<')).length).toBe(text.split('\n').filter((l) => l.trim() === '>').length);
    expect(rppString('a"b`c')).toBe('"a\'b`c"');
  });
});

describe('runExport', () => {
  it('writes equal-length stems from 0 s at the chosen rate, the mix and the .rpp', async () => {
    const rate = 8000;
    const n = rate; // 1 s
    const a = new Float32Array(n).fill(0.25);
    const b = new Float32Array(n).map((_, i) => 0.5 * Math.sin(i / 5));
    await writeWav(path.join(tmp, 'a.wav'), { sampleRate: rate, channels: [a, a] }, 'f32');
    await writeWav(path.join(tmp, 'b.wav'), { sampleRate: rate, channels: [b, b] }, 'f32');
    const stems: ExportStem[] = [
      { path: path.join(tmp, 'a.wav'), name: 'A', index: 1, colour: '#ff0000', gainDb: 0, pan: 0, mute: false, solo: false },
      { path: path.join(tmp, 'b.wav'), name: 'residual', index: 2, colour: '#888888', gainDb: 0, pan: 0, mute: true, solo: false },
    ];
    const folder = path.join(tmp, 'out export');
    const r = await runExport(
      { media: path.join(tmp, 'a.wav'), projectName: 'Proj', folder, replace: false, roots: null, stems, format: 'wav16', sampleRate: null, namingTemplate: '{index}_{project}_{stem}', targets: ['stems', 'mix', 'daw'] },
      { signal: new AbortController().signal, progress: () => undefined },
    );
    expect(readdirSync(folder).sort()).toEqual(['.stemsight-export.json', '01_Proj_A.wav', '02_Proj_residual.wav', '03_Proj_mix.wav', '04_Proj_project.rpp']);
    expect(r.sampleRate).toBe(rate);
    const s1 = await readWav(path.join(folder, '01_Proj_A.wav'));
    const s2 = await readWav(path.join(folder, '02_Proj_residual.wav'));
    expect(s1.sampleRate).toBe(rate);
    expect(s1.channels[0].length).toBe(n);
    expect(s2.channels[0].length).toBe(n);
    // The residual is muted: the mix is stem A alone (a centred stereo stem passes unchanged).
    const mix = await readWav(path.join(folder, '03_Proj_mix.wav'));
    expect(mix.channels[0][100]).toBeCloseTo(0.25, 3);
    expect(mix.channels[1][100]).toBeCloseTo(0.25, 3);
    expect(readFileSync(path.join(folder, '04_Proj_project.rpp'), 'utf8')).toContain('FILE "01_Proj_A.wav"');
  });
});

describe('exporting the Original', () => {
  it('writes the unprocessed audio as file 00, like the stems, which add up to it; the .rpp has it muted on top', async () => {
    const dir = mkdtempSync(path.join(tmp, 'original-'));
    const rate = 8000;
    const n = rate / 2;
    const a = new Float32Array(n).map((_, i) => 0.3 * Math.sin(i / 7));
    const b = new Float32Array(n).map((_, i) => 0.2 * Math.cos(i / 3));
    const mixed = a.map((x, i) => x + b[i]);
    await writeWav(path.join(dir, 'media.wav'), { sampleRate: rate, channels: [mixed, mixed] }, 'f32');
    await writeWav(path.join(dir, 'a.wav'), { sampleRate: rate, channels: [a, a] }, 'f32');
    await writeWav(path.join(dir, 'b.wav'), { sampleRate: rate, channels: [b, b] }, 'f32');
    const stems: ExportStem[] = [
      { path: path.join(dir, 'a.wav'), name: 'A', index: 1, colour: '#ff0000', gainDb: 0, pan: 0, mute: false, solo: false },
      { path: path.join(dir, 'b.wav'), name: 'residual', index: 2, colour: '#888888', gainDb: 0, pan: 0, mute: false, solo: false },
    ];
    const folder = path.join(dir, 'P export');
    const r = await runExport(
      { media: path.join(dir, 'media.wav'), projectName: 'P', folder, replace: false, roots: null, stems, format: 'f32', sampleRate: null, namingTemplate: '{index}_{project}_{stem}', targets: ['stems', 'original', 'daw'] },
      { signal: new AbortController().signal, progress: () => undefined },
    );
    expect(readdirSync(folder).sort()).toEqual(['.stemsight-export.json', '00_P_original.wav', '01_P_A.wav', '02_P_residual.wav', '03_P_project.rpp']);
    expect(r.contents).toEqual({ stems: ['01_P_A.wav', '02_P_residual.wav'], original: ['00_P_original.wav'], daw: ['03_P_project.rpp'] });
    const manifest = JSON.parse(readFileSync(path.join(folder, '.stemsight-export.json'), 'utf8'));
    expect(manifest).toMatchObject({ files: r.files, contents: r.contents, sampleRate: rate, frames: n });
    const original = await readWav(path.join(folder, '00_P_original.wav'));
    const [sa, sb] = await Promise.all([readWav(path.join(folder, '01_P_A.wav')), readWav(path.join(folder, '02_P_residual.wav'))]);
    expect(original.sampleRate).toBe(rate);
    expect(original.channels).toHaveLength(2);
    expect(original.channels[0]).toHaveLength(n);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(original.channels[1][i] - (sa.channels[1][i] + sb.channels[1][i])));
    expect(worst).toBeLessThan(1e-6);
    const tracks = parseRpp(readFileSync(path.join(folder, '03_P_project.rpp'), 'utf8')).children.filter((c) => c.name === 'TRACK');
    expect(tracks.map((t) => field(t, 'NAME')?.[0])).toEqual(['Original', 'A', 'residual']);
    expect(field(tracks[0], 'MUTESOLO')).toEqual(['1', '0', '0']);
    expect(field(tracks[0], 'VOLPAN')?.[0]).toBe('1');
    expect(field(tracks[0].children[0].children[0], 'FILE')).toEqual(['00_P_original.wav']);
  });

  it('is off unless the user ticks it', () => {
    const f = makeLibrary();
    try {
      const { project } = makeProject(f.lib);
      expect(getExportSettings(f.lib, project.id).includeOriginal).toBe(false);
    } finally {
      f.cleanup();
    }
  });
});

describe('region export', () => {
  const ctx = () => ({ signal: new AbortController().signal, progress: () => undefined });

  it('trims every file to the same frames of the whole export: sample-exact, still adding up to the Original', async () => {
    const dir = mkdtempSync(path.join(tmp, 'region-'));
    const rate = 8000;
    const n = rate; // 1 s
    // Distinct values at every frame, so any shift shows.
    const a = new Float32Array(n).map((_, i) => 0.4 * Math.sin(i / 3) + i / (4 * n));
    const b = new Float32Array(n).map((_, i) => 0.3 * Math.cos(i / 11) - i / (8 * n));
    const sum = a.map((x, i) => x + b[i]);
    await writeWav(path.join(dir, 'media.wav'), { sampleRate: rate, channels: [sum, sum] }, 'f32');
    await writeWav(path.join(dir, 'a.wav'), { sampleRate: rate, channels: [a, a] }, 'f32');
    await writeWav(path.join(dir, 'b.wav'), { sampleRate: rate, channels: [b, b] }, 'f32');
    const stems: ExportStem[] = [
      { path: path.join(dir, 'a.wav'), name: 'A', index: 1, colour: '#ff0000', gainDb: 0, pan: 0, mute: false, solo: false },
      { path: path.join(dir, 'b.wav'), name: 'residual', index: 2, colour: '#888888', gainDb: 0, pan: 0, mute: false, solo: false },
    ];
    const params = (folder: string, more: Partial<ExportJobParams>): ExportJobParams => ({
      media: path.join(dir, 'media.wav'), projectName: 'P', folder: path.join(dir, folder), replace: false, roots: null, stems, format: 'f32', sampleRate: null,
      namingTemplate: '{index}_{stem}', targets: ['stems', 'original', 'mix', 'daw'], ...more,
    });
    const files = ['00_original.wav', '01_A.wav', '02_residual.wav', '03_mix.wav'];
    const read = (folder: string) => Promise.all(files.map((f) => readWav(path.join(folder, f))));

    // 0.25 s .. 0.6 s: frames 2000 .. 4800 at 8 kHz.
    const r = await runExport(params('region', { range: { startSec: 0.25, endSec: 0.6 } }), ctx());
    expect(r.range).toEqual({ startSec: 0.25, endSec: 0.6, startFrame: 2000, endFrame: 4800 });
    expect(r.frames).toBe(2800);
    const manifest = JSON.parse(readFileSync(path.join(r.folder, '.stemsight-export.json'), 'utf8'));
    expect(manifest).toMatchObject({ frames: 2800, sampleRate: rate, range: { startFrame: 2000, endFrame: 4800, startSec: 0.25, endSec: 0.6 } });
    const [original, sa, sb] = await read(r.folder);
    for (const w of [original, sa, sb]) expect(w.channels[0]).toHaveLength(2800);
    expect(sa.channels[0]).toEqual(a.subarray(2000, 4800));
    expect(sb.channels[1]).toEqual(b.subarray(2000, 4800));
    expect(original.channels[0]).toEqual(sum.subarray(2000, 4800));
    let worst = 0;
    for (let k = 0; k < 2800; k++) worst = Math.max(worst, Math.abs(original.channels[1][k] - (sa.channels[1][k] + sb.channels[1][k])));
    expect(worst).toBeLessThan(1e-6);
    // No video in the media: no video item; the stems' items start at 0.
    expect(readFileSync(path.join(r.folder, '04_project.rpp'), 'utf8')).not.toContain('VIDEO');

    // Resampled (8 -> 16 kHz), a region is exactly those frames of the whole export.
    const whole = await runExport(params('whole', { sampleRate: 16000 }), ctx());
    const part = await runExport(params('part', { sampleRate: 16000, range: { startSec: 0.3, endSec: 0.70003 } }), ctx());
    expect(part.range).toMatchObject({ startFrame: 4800, endFrame: 11200 });
    const [wholeFiles, partFiles] = await Promise.all([read(whole.folder), read(part.folder)]);
    for (let f = 0; f < files.length; f++) {
      for (let c = 0; c < 2; c++) expect(partFiles[f].channels[c], `${files[f]} channel ${c}`).toEqual(wholeFiles[f].channels[c].subarray(4800, 11200));
    }
  });

  it('refuses a range with no audio in it, writing nothing', async () => {
    const dir = mkdtempSync(path.join(tmp, 'region-empty-'));
    const x = new Float32Array(800).fill(0.1);
    await writeWav(path.join(dir, 's.wav'), { sampleRate: 8000, channels: [x] }, 'f32');
    const stems: ExportStem[] = [{ path: path.join(dir, 's.wav'), name: 'residual', index: 1, colour: '#888888', gainDb: 0, pan: 0, mute: false, solo: false }];
    const p: ExportJobParams = { media: stems[0].path, projectName: 'P', folder: path.join(dir, 'out'), replace: false, roots: null, stems, format: 'f32', sampleRate: null, namingTemplate: '{index}_{stem}', targets: ['stems'], range: { startSec: 0.5, endSec: 0.6 } };
    await expect(runExport(p, ctx())).rejects.toThrow(/holds no audio of the stems/);
    expect(readdirSync(dir)).toEqual(['s.wav']);
  });

  it('cuts the picture too: the video copy starts at the region, and the .rpp offsets the media when there is no copy', async () => {
    const dir = mkdtempSync(path.join(tmp, 'region-video-'));
    const media = path.join(dir, 'clip.mp4');
    const made = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=2', '-f', 'lavfi', '-i', 'sine=d=2', '-g', '20', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', media]);
    expect(made.code).toBe(0);
    const rate = 8000;
    const x = new Float32Array(2 * rate).fill(0.1);
    await writeWav(path.join(dir, 's.wav'), { sampleRate: rate, channels: [x, x] }, 'f32');
    const stems: ExportStem[] = [{ path: path.join(dir, 's.wav'), name: 'residual', index: 1, colour: '#888888', gainDb: 0, pan: 0, mute: false, solo: false }];
    const base = { media, projectName: 'P', replace: false, roots: null, stems, format: 'f32' as const, sampleRate: null, namingTemplate: '{index}_{stem}', range: { startSec: 0.5, endSec: 1.5 } };

    const withCopy = await runExport({ ...base, folder: path.join(dir, 'a'), targets: ['stems', 'video', 'daw'] }, ctx());
    const probe = await runTool('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_frames', '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', path.join(withCopy.folder, '02_video.mp4')]);
    // 1 s at 10 fps from 0.5 s, though the only keyframes are at 0 s and 2 s.
    expect(Number(probe.stdout.toString().trim())).toBe(10);
    const rppA = parseRpp(readFileSync(path.join(withCopy.folder, '03_project.rpp'), 'utf8')).children.filter((c) => c.name === 'TRACK');
    expect(field(rppA[0].children[0], 'SOFFS')).toEqual(['0']);
    expect(Number(field(rppA[0].children[0], 'LENGTH')?.[0])).toBe(1);

    const noCopy = await runExport({ ...base, folder: path.join(dir, 'b'), targets: ['stems', 'daw'] }, ctx());
    const rppB = parseRpp(readFileSync(path.join(noCopy.folder, '02_project.rpp'), 'utf8')).children.filter((c) => c.name === 'TRACK');
    expect(field(rppB[0].children[0].children[0], 'FILE')).toEqual([media]);
    expect(field(rppB[0].children[0], 'SOFFS')).toEqual(['0.5']);
    expect(field(rppB[1].children[0], 'SOFFS')).toEqual(['0']);
  });
});

describe('export folder safety and staleness', () => {
  const rate = 8000;
  async function stemsIn(dir: string, count: number): Promise<ExportStem[]> {
    mkdirSync(dir, { recursive: true });
    const out: ExportStem[] = [];
    for (let i = 0; i < count; i++) {
      const file = path.join(dir, `s${i}.wav`);
      const x = new Float32Array(rate / 4).fill(0.1 * (i + 1));
      await writeWav(file, { sampleRate: rate, channels: [x, x] }, 'f32');
      out.push({ path: file, name: i === count - 1 ? 'residual' : `src${i}`, index: i + 1, colour: '#888888', gainDb: 0, pan: 0, mute: false, solo: false });
    }
    return out;
  }
  const params = (folder: string, stems: ExportStem[], more: Partial<ExportJobParams> = {}): ExportJobParams => ({
    media: stems[0].path, projectName: 'P', folder, replace: false, roots: null, stems, format: 'wav16', sampleRate: null,
    namingTemplate: '{index}_{stem}', targets: ['stems', 'daw'], ...more,
  });
  const ctx = () => ({ signal: new AbortController().signal, progress: () => undefined });
  const visible = (dir: string) => readdirSync(dir).filter((f) => !f.startsWith('.')).sort();

  it('never writes through a link out of the allowed folders, even one made after planning', async () => {
    const base = mkdtempSync(path.join(tmp, 'link-'));
    const root = path.join(base, 'root');
    const outside = path.join(base, 'outside');
    mkdirSync(root);
    mkdirSync(outside);
    const stems = await stemsIn(path.join(base, 'stems'), 2);
    // The export folder itself is a link out of the root.
    symlinkSync(outside, path.join(root, 'P export'));
    const plan = await planExportFolder(root, 'P export', 'replace');
    expect(plan.problem).toMatch(/link/);
    // The parent is swapped for a link after main checked it: the job re-checks before writing.
    symlinkSync(outside, path.join(root, 'sub'));
    await expect(runExport(params(path.join(root, 'sub', 'P export'), stems, { roots: [root], replace: true }), ctx())).rejects.toThrow(/outside the folders/);
    // And writing through the link of the first case fails too, whatever main decided.
    await expect(runExport(params(path.join(root, 'P export'), stems, { roots: [root], replace: true }), ctx())).rejects.toThrow(/other than a folder/);
    expect(readdirSync(outside)).toEqual([]);
    expect(readdirSync(root).sort()).toEqual(['P export', 'sub']);
  });

  it('refuses to replace a regular file with a clear message', async () => {
    const base = mkdtempSync(path.join(tmp, 'file-'));
    writeFileSync(path.join(base, 'P export'), 'mine');
    const plan = await planExportFolder(base, 'P export', 'replace');
    expect(plan.problem).toMatch(/There is a file named "P export"/);
    expect(readFileSync(path.join(base, 'P export'), 'utf8')).toBe('mine');
  });

  it('replacing an export removes the files of the old one and keeps the user\'s own', async () => {
    const base = mkdtempSync(path.join(tmp, 'replace-'));
    const folder = path.join(base, 'P export');
    await runExport(params(folder, await stemsIn(path.join(base, 'a'), 4)), ctx());
    expect(visible(folder)).toEqual(['01_src0.wav', '02_src1.wav', '03_src2.wav', '04_residual.wav', '05_project.rpp']);
    writeFileSync(path.join(folder, 'my notes.txt'), 'keep');
    await runExport(params(folder, await stemsIn(path.join(base, 'b'), 2), { replace: true }), ctx());
    expect(visible(folder)).toEqual(['01_src0.wav', '02_residual.wav', '03_project.rpp', 'my notes.txt']);
    expect(JSON.parse(readFileSync(path.join(folder, '.stemsight-export.json'), 'utf8'))).toMatchObject({ files: ['01_src0.wav', '02_residual.wav', '03_project.rpp'] });
    expect(readdirSync(base).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('a cancelled export leaves nothing that looks like an export', async () => {
    const base = mkdtempSync(path.join(tmp, 'cancel-'));
    const folder = path.join(base, 'P export');
    const stems = await stemsIn(path.join(base, 'a'), 3);
    const ac = new AbortController();
    let seen = 0;
    await expect(
      runExport(params(folder, stems, { targets: ['stems', 'mix', 'daw'] }), {
        signal: ac.signal,
        // Cancel once the audio is written, before the REAPER project.
        progress: () => {
          if (++seen === 1) ac.abort();
        },
      }),
    ).rejects.toThrow();
    expect(existsSync(folder)).toBe(false);
    expect(readdirSync(base)).toEqual(['a']);
  });
});

describe('export targets', () => {
  const job = { signal: new AbortController().signal, progress: () => undefined };
  async function twoStems(dir: string): Promise<ExportStem[]> {
    const rate = 8000;
    const a = new Float32Array(rate).fill(0.25);
    await writeWav(path.join(dir, 'a.wav'), { sampleRate: rate, channels: [a, a] }, 'f32');
    await writeWav(path.join(dir, 'b.wav'), { sampleRate: rate, channels: [a, a] }, 'f32');
    return [
      { path: path.join(dir, 'a.wav'), name: 'A', index: 1, colour: '#ff0000', gainDb: 0, pan: 0, mute: false, solo: false },
      { path: path.join(dir, 'b.wav'), name: 'residual', index: 2, colour: '#888888', gainDb: -6, pan: 0, mute: false, solo: false },
    ];
  }
  const params = (folder: string, media: string, stems: ExportStem[]) => ({ media, projectName: 'Proj', folder, replace: false, roots: null, stems, format: 'wav16' as const, sampleRate: null, namingTemplate: '{index}_{stem}' });

  it('write only the chosen files: a video copy alone leaves no stems and no mix behind', async () => {
    const dir = mkdtempSync(path.join(tmp, 'video-'));
    const media = path.join(dir, 'clip.mp4');
    const made = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', media]);
    expect(made.code).toBe(0);
    const stems = await twoStems(dir);
    const folder = path.join(dir, 'out');
    const r = await runExport({ ...params(folder, media, stems), targets: ['video'] }, job);
    // Named by the template like the stems, numbered on after them.
    expect(r.files).toEqual(['03_video.mp4']);
    // Beside the export's own list of its files (hidden).
    expect(readdirSync(folder).sort()).toEqual(['.stemsight-export.json', '03_video.mp4']);
    const mix = await runExport({ ...params(path.join(dir, 'mix'), media, stems), targets: ['mix'] }, job);
    expect(readdirSync(mix.folder).sort()).toEqual(['.stemsight-export.json', '03_mix.wav']);
  });

  it('the .rpp carries the picture as a silent video item on its own top track, from 0 s', async () => {
    const dir = mkdtempSync(path.join(tmp, 'rpp-video-'));
    const media = path.join(dir, 'clip.mp4');
    const made = await runTool('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=10:duration=1', '-f', 'lavfi', '-i', 'sine=d=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', media]);
    expect(made.code).toBe(0);
    const stems = await twoStems(dir);
    const tracksOf = (folder: string, rpp: string): RppNode[] => parseRpp(readFileSync(path.join(folder, rpp), 'utf8')).children.filter((c) => c.name === 'TRACK');
    const itemOf = (track: RppNode) => track.children.find((c) => c.name === 'ITEM')!;

    // With the video copy: the item refers to it, inside the folder.
    const withVideo = await runExport({ ...params(path.join(dir, 'a'), media, stems), targets: ['stems', 'video', 'daw'] }, job);
    expect(withVideo.files).toEqual(['01_A.wav', '02_residual.wav', '03_video.mp4', '04_project.rpp']);
    const tracks = tracksOf(withVideo.folder, '04_project.rpp');
    expect(tracks.map((t) => field(t, 'NAME')?.[0])).toEqual(['Video', 'A', 'residual']);
    const [video] = tracks;
    expect(field(video, 'VOLPAN')?.[0]).toBe('0');
    expect(field(video, 'MUTESOLO')).toEqual(['0', '0', '0']);
    const item = itemOf(video);
    expect(field(item, 'POSITION')).toEqual(['0']);
    expect(field(item, 'SOFFS')).toEqual(['0']);
    expect(Number(field(item, 'LENGTH')?.[0])).toBeCloseTo(1, 6);
    const source = item.children[0];
    expect(source.args).toEqual(['VIDEO']);
    expect(field(source, 'FILE')).toEqual(['03_video.mp4']);
    // The stems' items stay audio.
    expect(itemOf(tracks[1]).children[0].args).toEqual(['WAVE']);

    // Without it: the media itself, by its full path.
    const without = await runExport({ ...params(path.join(dir, 'b'), media, stems), targets: ['stems', 'daw'] }, job);
    const item2 = itemOf(tracksOf(without.folder, '03_project.rpp')[0]);
    expect(field(item2.children[0], 'FILE')).toEqual([media]);
    expect(item2.children[0].args).toEqual(['VIDEO']);

    // Audio-only media: no video track.
    const audioOnly = await runExport({ ...params(path.join(dir, 'c'), stems[0].path, stems), targets: ['stems', 'daw'] }, job);
    expect(tracksOf(audioOnly.folder, '03_project.rpp').map((t) => field(t, 'NAME')?.[0])).toEqual(['A', 'residual']);
  });

  it('refuse a target without the one it refers to, before writing anything', async () => {
    const dir = mkdtempSync(path.join(tmp, 'daw-'));
    const stems = await twoStems(dir);
    const folder = path.join(dir, 'out');
    await expect(runExport({ ...params(folder, stems[0].path, stems), targets: ['daw', 'mix'] }, job)).rejects.toThrow('The REAPER project needs the stems: tick "Stems" as well.');
    expect(() => readdirSync(folder)).toThrow(/ENOENT/);
  });

  it('each have a setting the project library keeps', () => {
    const f = makeLibrary();
    try {
      const { project } = makeProject(f.lib);
      for (const t of EXPORT_TARGETS) {
        for (const on of [true, false]) {
          setExportSettings(f.lib, project.id, { [includeKey(t.id)]: on });
          expect(getExportSettings(f.lib, project.id)[includeKey(t.id)], `${t.id} ${on}`).toBe(on);
        }
      }
    } finally {
      f.cleanup();
    }
  });
});

