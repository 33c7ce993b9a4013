import { describe, expect, it } from 'vitest';
import { addSpeaking, pearson, type DetectionFrame } from '../../../src/main/engine/detect/speaking';
import type { SpeechActivity } from '../../../src/main/engine/detect/speech';

/** Speech in [1, 3) and [5, 7) seconds of a 9 s clip, probabilities at 31.25 per second. */
function speech(): SpeechActivity {
  const rate = 31.25;
  const probs = new Float32Array(Math.round(9 * rate));
  for (let i = 0; i < probs.length; i++) {
    const t = i / rate;
    probs[i] = (t >= 1 && t < 3) || (t >= 5 && t < 7) ? 0.95 : 0.02;
  }
  return { rate, probs };
}

const speaking = (t: number) => (t >= 1 && t < 3) || (t >= 5 && t < 7);

/** Faces at 4 fps; track 1's mouth opens and closes while speech is heard, track 2's is still (1 px jitter). */
function frames(mouth1: (t: number, i: number) => number): DetectionFrame[] {
  const out: DetectionFrame[] = [];
  for (let i = 0; i < 36; i++) {
    const t = i / 4;
    out.push({
      time: t,
      objects: [
        { kind: 'face', track: 1, box: [0.5, 0.2, 0.7, 0.5], score: 1, mouth: mouth1(t, i) },
        { kind: 'face', track: 2, box: [0.1, 0.2, 0.3, 0.5], score: 1, mouth: 0.05 + (i % 3 === 0 ? 0.03 : 0) },
        { kind: 'hand', track: 3, box: [0.1, 0.6, 0.2, 0.7], score: 1 },
      ],
    });
  }
  return out;
}

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

function scores(f: DetectionFrame[], track: number, when: (t: number) => boolean): number[] {
  return f.filter((x) => when(x.time)).map((x) => x.objects.find((o) => o.track === track)!.speaking!);
}

describe('active speaker: mouth motion against speech activity', () => {
  it('pearson correlation, and null without variation', () => {
    expect(pearson([1, 2, 3, 4], [2, 4, 6, 8])).toBeCloseTo(1);
    expect(pearson([1, 2, 3, 4], [8, 6, 4, 2])).toBeCloseTo(-1);
    expect(pearson([1, 1, 1, 1], [1, 2, 3, 4])).toBeNull();
  });

  it('the face whose mouth moves with the speech is speaking; the still face and the silences are not', () => {
    const f = addSpeaking(frames((t, i) => (speaking(t) ? (i % 2 ? 0.35 : 0.1) : 0.06)), speech());
    const talkerInSpeech = mean(scores(f, 1, (t) => speaking(t) && speaking(t - 0.5) && speaking(t + 0.5)));
    expect(talkerInSpeech).toBeGreaterThan(0.7);
    expect(Math.max(...scores(f, 2, () => true))).toBeLessThan(0.1);
    expect(mean(scores(f, 1, (t) => !speaking(t) && !speaking(t - 0.5) && !speaking(t + 0.5)))).toBeLessThan(0.05);
    expect(f[0].objects[2].speaking).toBeUndefined();
  });

  it('a mouth that moves only in the silences does not count as the speaker', () => {
    const f = addSpeaking(frames((t, i) => (!speaking(t) ? (i % 2 ? 0.35 : 0.1) : 0.06)), speech());
    expect(Math.max(...scores(f, 1, () => true))).toBeLessThan(0.15);
  });
});
