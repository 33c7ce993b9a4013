import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAudio } from '../../engine/media/audio';
import { readWav } from '../../engine/media/wav';
import { resample } from '../../engine/dsp/resample';
import type { Manifest, SeparationJobParams } from '../../engine/separation/job';
import { runJob } from '../commands/separate';
import { idealBinaryMask, mean, mono11k, sdr } from './app';
import { d2, f2 } from './format';
// The real-footage tests' clips: real photographs, voice and instruments (fetch-material.sh).
import { BAR55_2_CLICKS, makeDialogueClip, makeRealMixClip, makeTwoPlayersClip, realInstrumentsAvailable, type RealInstrument } from '../../../../test/fixtures/real/make-clips';

/**
 * Separation quality on real recordings, through the app's separation job as `stemsight separate`
 * runs it (the scene rule takes the clip for real footage, faces are detected, a click on a face
 * asks for a speaker and its stem goes through the speech enhancer, a click with a class asks by
 * the class). Each clip is a real photograph with two real sources at equal loudness: a real voice
 * over a real instrument (the speaker clicked on his face, the player on her body and named, then
 * once more on her face and named), or two real instruments (both players clicked on their bodies
 * and named). Then two of one class, told apart only by who moves when: two people talking in
 * turns (both clicked on their faces) and two guitarists taking turns (both clicked on their
 * bodies and named guitar). SDR as everywhere else:
 * bss_eval on mono 11025 Hz, next to copy-paste (the mixture itself as the stem).
 */

type SourceClass = 'speaker' | RealInstrument;

export const REAL_SCENES: [SourceClass, RealInstrument][] = [
  ['speaker', 'guitar'],
  ['speaker', 'violin'],
  ['speaker', 'drums'],
  ['guitar', 'violin'],
  ['guitar', 'drums'],
  ['violin', 'drums'],
];

export interface RealSourceRow {
  className: SourceClass;
  /** Where the source was clicked: a speaker on his face; a player on the body, or on the face (to show what that does). */
  clickedOn: 'face' | 'body';
  /** The class the separation used (the manifest's), and whether the speech enhancer cleaned the stem. */
  usedClass: string | null;
  enhanced: boolean;
  app: number;
  copyPaste: number;
  /** The ideal binary mask's SDR (what a perfect binary mask would reach). */
  ibm: number;
}

export interface RealQualityFigures {
  scenes: { classes: SourceClass[]; durationSec: number; rows: RealSourceRow[]; warnings: string[] }[];
  /** Means of app - copy-paste, dB. */
  summary: { speakerOverInstrument: number; playerOverVoice: number; playerOnFaceOverVoice: number; playerOverInstrument: number; speakerOverSpeaker: number; playerOverSameClass: number };
}

export const MISSING_MATERIAL = 'the real-recordings bench needs the real test material: run test/fixtures/real/fetch-material.sh';
export { realInstrumentsAvailable };

/**
 * The separation job as `stemsight separate` runs it, each source clicked where given (a speaker
 * on a face, by the click alone; a player named by class), and each stem's SDR against `refs`.
 */
async function separateAndScore(file: string, sources: { click: [number, number]; className: SourceClass }[], refs: Float32Array[], outDir: string, cacheRoot: string): Promise<{ manifest: Manifest; app: number[] }> {
  const params: SeparationJobParams = {
    media: file,
    sources: sources.map((s) => ({ x: s.click[0], y: s.click[1], timeSec: 0, className: s.className === 'speaker' ? null : s.className })),
    outDir,
    format: 'f32',
    device: 'cpu',
    cacheRoot,
  };
  const manifest = await runJob<Manifest>('separation', params, { stdout: process.stdout, stderr: process.stderr });
  const ests = await Promise.all(
    manifest.stems.sources.map(async (s) => {
      const w = await readWav(path.join(outDir, s.file));
      return mono11k(w.channels, w.sampleRate);
    }),
  );
  return { manifest, app: sdr(refs, ests) };
}

export async function runRealQualityBench(opts: { log: (s: string) => void }): Promise<RealQualityFigures> {
  if (!realInstrumentsAvailable()) throw new Error(MISSING_MATERIAL);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'stemsight-bench-real-quality-'));
  try {
    const scenes: RealQualityFigures['scenes'] = [];
    const cacheRoot = path.join(tmp, 'cache');
    for (const classes of REAL_SCENES) {
      const name = classes.join('+');
      opts.log(`bench real-quality: ${name}`);
      const clip = makeRealMixClip(path.join(tmp, `${name}.mp4`), classes);
      const refs = clip.sources.map((s) => resample(s.audio, clip.rate, 11025));
      const decoded = await readAudio(clip.file);
      const mix = mono11k(decoded.channels, decoded.sampleRate);
      const cp = sdr(refs, refs.map(() => mix));
      // The mask's STFTs must have the same frames: everything cut to the common length first.
      const n = Math.min(mix.length, ...refs.map((r) => r.length));
      const ibm = sdr(refs, idealBinaryMask(mix.subarray(0, n), refs.map((r) => r.subarray(0, n))));
      const speaks = classes[0] === 'speaker';
      const rows: RealSourceRow[] = [];
      const warnings: string[] = [];
      // With a speaker the player is also clicked on her face, named: the second run scores only her.
      for (const playerOn of speaks ? (['body', 'face'] as const) : (['body'] as const)) {
        const clicks = clip.sources.map((s, k) => (k === 1 && playerOn === 'face' ? BAR55_2_CLICKS.womanFace : s.click));
        const outDir = path.join(tmp, `${name}-${playerOn}`);
        // A speaker is a click on his face (the face says what it is); a player is named.
        const { manifest, app } = await separateAndScore(clip.file, clip.sources.map((s, k) => ({ click: clicks[k], className: s.className })), refs, outDir, cacheRoot);
        clip.sources.forEach((s, k) => {
          if (playerOn === 'face' && k === 0) return;
          rows.push({
            className: s.className,
            clickedOn: s.className === 'speaker' ? 'face' : playerOn,
            usedClass: manifest.parameters.sources[k].class,
            enhanced: manifest.parameters.dialogue.some((d) => d.index === k + 1),
            app: app[k],
            copyPaste: cp[k],
            ibm: ibm[k],
          });
        });
        warnings.push(...manifest.warnings);
      }
      scenes.push({ classes, durationSec: clip.durationSec, rows, warnings });
    }
    // Two of one class: the dialogue (faces) and two guitarists (bodies, named).
    const alike = [
      { name: 'speaker+speaker', make: (f: string) => { const c = makeDialogueClip(f); return { ...c, sources: c.speakers.map((s) => ({ audio: s.audio, click: s.click, className: 'speaker' as SourceClass })) }; } },
      { name: 'guitar+guitar', make: (f: string) => { const c = makeTwoPlayersClip(f, 'guitar'); return { ...c, sources: c.players.map((s) => ({ audio: s.audio, click: s.click, className: s.className as SourceClass })) }; } },
    ];
    for (const { name, make } of alike) {
      opts.log(`bench real-quality: ${name}`);
      const clip = make(path.join(tmp, `${name}.mp4`));
      const refs = clip.sources.map((s) => resample(s.audio, clip.rate, 11025));
      const decoded = await readAudio(clip.file);
      const mix = mono11k(decoded.channels, decoded.sampleRate);
      const n = Math.min(mix.length, ...refs.map((r) => r.length));
      const cp = sdr(refs, refs.map(() => mix));
      const ibm = sdr(refs, idealBinaryMask(mix.subarray(0, n), refs.map((r) => r.subarray(0, n))));
      const outDir = path.join(tmp, name);
      const { manifest, app } = await separateAndScore(clip.file, clip.sources, refs, outDir, cacheRoot);
      const rows: RealSourceRow[] = clip.sources.map((s, k) => ({
        className: s.className,
        clickedOn: s.className === 'speaker' ? 'face' : 'body',
        usedClass: manifest.parameters.sources[k].class,
        enhanced: manifest.parameters.dialogue.some((d) => d.index === k + 1),
        app: app[k],
        copyPaste: cp[k],
        ibm: ibm[k],
      }));
      scenes.push({ classes: clip.sources.map((s) => s.className), durationSec: clip.durationSec, rows, warnings: manifest.warnings });
    }
    const gains = (pick: (s: RealQualityFigures['scenes'][number], r: RealSourceRow) => boolean) =>
      mean(scenes.flatMap((s) => s.rows.filter((r) => pick(s, r)).map((r) => r.app - r.copyPaste)));
    const alikeScene = (s: RealQualityFigures['scenes'][number]) => s.classes.length === 2 && s.classes[0] === s.classes[1];
    const withVoice = (s: RealQualityFigures['scenes'][number]) => s.classes.includes('speaker') && !alikeScene(s);
    return {
      scenes,
      summary: {
        speakerOverInstrument: gains((s, r) => r.className === 'speaker' && !alikeScene(s)),
        playerOverVoice: gains((s, r) => withVoice(s) && r.className !== 'speaker' && r.clickedOn === 'body'),
        playerOnFaceOverVoice: gains((s, r) => withVoice(s) && r.className !== 'speaker' && r.clickedOn === 'face'),
        playerOverInstrument: gains((s) => !withVoice(s) && !alikeScene(s)),
        speakerOverSpeaker: gains((s) => alikeScene(s) && s.classes[0] === 'speaker'),
        playerOverSameClass: gains((s) => alikeScene(s) && s.classes[0] !== 'speaker'),
      },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function formatRealQuality(r: RealQualityFigures): string {
  const asked = (x: RealSourceRow) => `click on the ${x.clickedOn}${x.className === 'speaker' ? '' : `, named ${x.className}`}`;
  return [
    '| clip | source | asked for by | separated as | app path | copy-paste | app - copy-paste | ideal binary mask |',
    '|---|---|---|---|---|---|---|---|',
    ...r.scenes.flatMap((s) =>
      s.rows.map((x) => `| ${s.classes.join(' + ')} (${s.durationSec.toFixed(1)} s) | ${x.className} | ${asked(x)} | ${x.usedClass ?? 'the picture'}${x.enhanced ? ', speech enhancer' : ''} | ${f2(x.app)} | ${f2(x.copyPaste)} | ${d2(x.app - x.copyPaste)} | ${f2(x.ibm)} |`),
    ),
    '',
    '| measure (mean of app - copy-paste) | value | target |',
    '|---|---|---|',
    `| real speaker, clicked on the face, over a real instrument | ${d2(r.summary.speakerOverInstrument)} dB | >= +6 dB |`,
    `| real player, clicked on the body and named, over a real voice | ${d2(r.summary.playerOverVoice)} dB | >= +4 dB |`,
    `| the same player clicked on the face and named | ${d2(r.summary.playerOnFaceOverVoice)} dB | >= +4 dB |`,
    `| real player, clicked on the body and named, over another real player | ${d2(r.summary.playerOverInstrument)} dB | >= +4 dB |`,
    `| two real speakers talking in turns, each clicked on the face | ${d2(r.summary.speakerOverSpeaker)} dB | >= +3 dB |`,
    `| two real guitarists taking turns, each clicked on the body and named | ${d2(r.summary.playerOverSameClass)} dB | - |`,
    ...r.scenes.flatMap((s) => s.warnings.map((w) => `\nWarning (${s.classes.join(' + ')}): ${w}`)),
  ].join('\n');
}
