"""The Python side of the app-path parity check: the PyTorch models the app's ONNX files were exported
from, run on the very clips `stemsight bench app` makes (test seeds), without what a user's file adds.

    python3 -m training.evaluate_clips --clip /tmp/bench/diff2-0 [--clip ...] --out parity.json

For each clip folder (written by training.world.clips: clip.mp4, source-*.wav, truth.json):

- audio: the uncompressed ground truth, i.e. the sum of the source WAVs (no AAC), averaged to mono
  and resampled to 11025 Hz (scipy's polyphase resampler); the references are the source WAVs the
  same way;
- frames: the scene re-rendered frame by frame at the clip's size, without H.264, and stretched to
  the model's 224 x 128 (PIL bicubic) as the app's ffmpeg scaler does (--frames native renders
  straight at the model size instead, as the training evaluation does);
- clicks: the bench's, i.e. each source's box centre in the frame where its envelope peaks, in the
  analysed frame (8 fps) that holds that time; the source's visual features are the cell's
  (training.evaluate's protocol; --click neighbourhood takes the app's 3x3 [1 2 1] average);
- windows: the app's, 65535 samples every 49152 with the masks cross-faded over the overlap
  (raised-cosine ramps, ModelMaskTrack) and completed (soft masks scaled where they sum above 1);
  the motion stage sees the window's 48 frames from the one at its start time;
- estimates: the masks on the 11025 Hz STFT of the mono mixture, inverse STFT; scored with
  mir_eval's bss_eval_sources (no permutation) against the references, mean SDR over the sources.

The bench reads the JSON (and the estimates, written as 11025 Hz float32 WAVs next to the clip) and
scores the app's stems and these with the same code, so the two columns differ only by the path.
Also writes pointing accuracy from the same heatmaps as the app's analysis (non-overlapping windows).
"""
import argparse
import json
import math
import os
import subprocess

import mir_eval
import numpy as np
import torch
from PIL import Image
from scipy.io import wavfile
from scipy.signal import resample_poly

from . import audio as A
from .motion import MOTION_T, MotionStage, pool_motion, tracker_like
from .nets import IMG_H, IMG_W, AppearanceModel
from .train import bank as load_bank, gather_pixels
from .world.samples import GRID_H, GRID_W, STRIDE
from .world.scene import make_scene, render_background, render_frame

FPS = 8.0                 # the card's analysis rate
WINDOW_HOP = 49152        # separate.ts DEFAULT_WINDOW_HOP
TAP = np.array([1.0, 2.0, 1.0])


def read_wav(path):
    rate, x = wavfile.read(path)
    if x.dtype == np.int16:
        x = x.astype(np.float32) / 32768
    x = x.astype(np.float32)
    return (x[:, None] if x.ndim == 1 else x).T, rate


def mono11k(channels, rate):
    g = math.gcd(rate, A.SR)
    return resample_poly(channels.mean(0).astype(np.float64), A.SR // g, rate // g).astype(np.float32)


def needs_window(w, total, size, hop):
    return w == 0 or (w * hop < total and w * hop + size - hop < total)


def crossfade_weights(frames, per_hop):
    """ModelMaskTrack's per-frame window weights."""
    overlap = frames - per_hop
    ramp = lambda j: 0.5 - 0.5 * math.cos(math.pi * (j + 0.5) / overlap)
    w = np.ones(frames)
    for j in range(frames):
        if overlap <= 0:
            continue
        if per_hop <= j < overlap:
            w[j] = ramp(j) * (1 - ramp(j - per_hop))
        elif j < overlap:
            w[j] = ramp(j)
        elif j >= per_hop:
            w[j] = 1 - ramp(j - per_hop)
    return w


def neighbourhood(vis, row, col):
    """features.ts neighbourhoodVector: the 3x3 [1 2 1] x [1 2 1] average, renormalised at edges."""
    k, rows, cols = vis.shape
    acc, ws = np.zeros(k), 0.0
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            r, c = row + dy, col + dx
            if 0 <= r < rows and 0 <= c < cols:
                w = TAP[dy + 1] * TAP[dx + 1]
                acc += w * vis[:, r, c]
                ws += w
    return acc / ws


def ffmpeg_exe():
    return os.environ.get('STEMSIGHT_FFMPEG', 'ffmpeg')


def decode_audio(path):
    """The clip's own (AAC) audio as the app decodes it for the models: every channel resampled to 11025 Hz by
    ffmpeg (soxr where it has it), then averaged. Not ffmpeg's `-ac 1`: its downmix sums stereo at 1/sqrt(2)
    each, 3 dB louder than the mean the app and the training world use, and the refinement sees the level."""
    probe = subprocess.run([os.environ.get('STEMSIGHT_FFPROBE', 'ffprobe'), '-v', 'error', '-select_streams', 'a:0',
                            '-show_entries', 'stream=channels', '-of', 'csv=p=0', path],
                           check=True, capture_output=True, text=True).stdout
    channels = int(probe.strip().split(',')[0])
    for resampler in (f'aresample={A.SR}:resampler=soxr', f'aresample={A.SR}'):
        r = subprocess.run([ffmpeg_exe(), '-nostdin', '-v', 'error', '-i', path, '-map', '0:a:0', '-vn', '-af', resampler,
                            '-f', 'f32le', '-acodec', 'pcm_f32le', 'pipe:1'], capture_output=True)
        if r.returncode == 0:
            return np.frombuffer(r.stdout, np.float32).reshape(-1, channels).mean(1).astype(np.float32)
    raise RuntimeError(f'ffmpeg could not decode the audio of {path}: {r.stderr.decode(errors="replace")[-300:]}')


def decode_frames(path):
    """The clip's own (H.264) frames as the app's analysis decodes them: 8 fps, bicubic stretch to 224 x 128."""
    vf = f'fps={FPS:g},scale={IMG_W}:{IMG_H}:flags=bicubic+full_chroma_int,setsar=1,format=rgb24'
    raw = subprocess.run([ffmpeg_exe(), '-nostdin', '-v', 'error', '-i', path, '-map', '0:v:0', '-an', '-vf', vf, '-f',
                          'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, IMG_H, IMG_W, 3)


def ffmpeg_scale(img, subsample):
    """One uncompressed frame through the app's scaler (optionally by way of 4:2:0 chroma first)."""
    h, w = img.shape[:2]
    vf = ('format=yuv420p,' if subsample else '') + f'scale={IMG_W}:{IMG_H}:flags=bicubic+full_chroma_int,setsar=1,format=rgb24'
    raw = subprocess.run([ffmpeg_exe(), '-nostdin', '-v', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', f'{w}x{h}',
                          '-i', 'pipe:0', '-vf', vf, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
                         input=np.ascontiguousarray(img).tobytes(), check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(IMG_H, IMG_W, 3)


class Clip:
    def __init__(self, folder, bank, frames_mode, audio_mode='truth'):
        self.folder = folder
        with open(os.path.join(folder, 'truth.json')) as f:
            self.truth = t = json.load(f)
        seconds = t['samples'] / t['sampleRate']
        self.scene = make_scene(bank, t['split'], t['index'], seconds=seconds, kind=t['kind'], variation='train',
                                fps=t['fps'], augment=False)
        self.bank, self.frames_mode = bank, frames_mode
        self.background = None
        srcs = [read_wav(os.path.join(folder, s['file'])) for s in t['sources']]
        self.refs = [mono11k(x, r) for x, r in srcs]
        n = min(x.shape[1] for x, _ in srcs)
        self.mix = mono11k(np.sum([x[:, :n] for x, _ in srcs], axis=0), srcs[0][1])
        if audio_mode == 'clip':
            self.mix = decode_audio(os.path.join(folder, 'clip.mp4'))
        n11 = min(len(self.mix), *(len(r) for r in self.refs))
        self.mix, self.refs = self.mix[:n11], np.stack([r[:n11] for r in self.refs])
        self.n_frames = int(math.floor(seconds * FPS + 1e-9)) or 1
        self._cache = {}
        self._decoded = decode_frames(os.path.join(folder, 'clip.mp4')) if frames_mode == 'decoded' else None

    def activity(self, frames, n):
        """The first n sources' activities over analysed `frames` (1, n, T), for a refinement told
        them: the truth's envelopes on screen then, each over its largest there, where the app has
        its tracker's reading of the picture (the one difference of this path in what it reads)."""
        env = [[s['envelope'][picture_frame(f, self.truth)] for f in frames] for s in self.truth['sources'][:n]]
        return tracker_like(torch.tensor(env, dtype=torch.float32)[None])

    def frame(self, f):
        """Analysed frame f as (3, 128, 224) float 0..255, from the clip frame the app analyses for it."""
        if f in self._cache:
            return self._cache[f]
        t = self.truth
        tf = picture_frame(f, t)
        if self._decoded is not None:
            img = self._decoded[min(f, len(self._decoded) - 1)]
        elif self.frames_mode == 'native':
            if self.background is None:
                self.background = render_background(self.scene, self.bank, IMG_W, IMG_H)
            img, _ = render_frame(self.scene, self.bank, tf, IMG_W, IMG_H, background=self.background)
        else:
            if self.background is None:
                self.background = render_background(self.scene, self.bank, t['width'], t['height'])
            img, _ = render_frame(self.scene, self.bank, tf, t['width'], t['height'], background=self.background)
            if self.frames_mode in ('scaled', 'yuv420p'):
                img = ffmpeg_scale(img, self.frames_mode == 'yuv420p')
            else:
                img = np.asarray(Image.fromarray(img).resize((IMG_W, IMG_H), Image.BICUBIC))
        out = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))).float()
        self._cache[f] = out
        return out

    def clicks(self):
        """The bench's clicks: box centre at the envelope's (first) peak -> (analysed frame, row, col)."""
        t = self.truth
        out = []
        for k, s in enumerate(t['sources']):
            env = s['envelope']
            peak = int(np.argmax(env))
            fr = t['frames'][min(peak, len(t['frames']) - 1)]
            b = fr['boxes'][k]
            x, y = (b[0] + b[2]) / 2 / t['width'], (b[1] + b[3]) / 2 / t['height']
            f = min(self.n_frames - 1, max(0, int(math.floor(fr['time'] * FPS + 1e-9))))
            col = min(GRID_W - 1, max(0, int(math.floor(x * IMG_W / STRIDE))))
            row = min(GRID_H - 1, max(0, int(math.floor(y * IMG_H / STRIDE))))
            out.append((f, row, col))
        return out


def stft(x):
    window = torch.hann_window(A.N_FFT, periodic=True)
    return torch.stft(torch.from_numpy(x)[None], A.N_FFT, A.HOP, window=window, center=True, pad_mode='reflect',
                      return_complex=True)[0]


@torch.no_grad()
def separate(app, stage, clip, click_mode='cell'):
    """Masks window by window as the app makes them -> {'appearance': est, 'two_stage': est} (N, L)."""
    clicks = clip.clicks()
    n = len(clicks)
    vis_cache = {}

    def vis(f):
        if f not in vis_cache:
            vis_cache[f] = app.visual(clip.frame(f)[None])[0]
        return vis_cache[f]

    feats = []
    for f, r, c in clicks:
        v = vis(f)
        feats.append(torch.from_numpy(neighbourhood(v.numpy(), r, c)).float() if click_mode == 'neighbourhood' else v[:, r, c])
    src_feats = torch.stack(feats)[None]                                          # (1, N, K)
    cells = torch.tensor([[r, c] for _, r, c in clicks])[None]                    # (1, N, 2)
    total = len(clip.mix)
    per_hop = WINDOW_HOP // A.HOP
    weights = crossfade_weights(A.N_FRAMES, per_hop)
    X = stft(clip.mix)                                                            # (512, frames)
    G = X.shape[1]
    # Motion features as the app's analysis pass caches them: the whole clip through the motion network
    # once (every frame with its real neighbours), then each window reads its frames, the ones past either
    # end of the clip repeating the first or last frame's features.
    motion_all, _, _ = stage.motion(torch.stack([clip.frame(f) for f in range(clip.n_frames)])[None])
    acc = {k: np.zeros((n, A.N_BINS, G + A.N_FRAMES)) for k in ('appearance', 'two_stage')}
    wsum = np.zeros(G + A.N_FRAMES)
    w = 0
    while needs_window(w, total, A.WIN_SAMPLES, WINDOW_HOP):
        start = w * WINDOW_HOP
        seg = np.zeros(A.WIN_SAMPLES, np.float32)
        part = clip.mix[start:start + A.WIN_SAMPLES]
        seg[:len(part)] = part
        mag = stft(seg).abs()[None]
        audio_feats, norm = app.audio_features(mag)
        logits = app.synth(src_feats, audio_feats)                               # (1, N, 256, T)
        first = int(round(start / A.SR * FPS))
        idx = [min(clip.n_frames - 1, max(0, first + i)) for i in range(MOTION_T)]
        f1 = motion_all[:, :, idx]
        refined = stage.refine(logits, torch.log(norm + 1e-3), pool_motion(f1, cells), torch.ones(1, n),
                               clip.activity(idx, n) if stage.told else None)
        g0 = start // A.HOP
        for name, lg in (('appearance', logits), ('two_stage', refined)):
            m = torch.einsum('fw,bnwt->bnft', app.unwarp, torch.sigmoid(lg))[0].numpy()   # (N, 512, 256)
            acc[name][:, :, g0:g0 + A.N_FRAMES] += m * weights
        wsum[g0:g0 + A.N_FRAMES] += weights
        w += 1
    out = {}
    window = torch.hann_window(A.N_FFT, periodic=True)
    assert wsum[:G].min() > 0, 'the windows cover every STFT frame'
    for name, a in acc.items():
        m = np.clip(a[:, :, :G] / wsum[:G], 0, 1)
        s = m.sum(0, keepdims=True)
        m = m / np.maximum(s, 1)
        est = torch.istft(X[None] * torch.from_numpy(m).to(X.dtype), A.N_FFT, A.HOP, window=window, center=True,
                          length=total).numpy()
        out[name] = est.astype(np.float32)
    return out


def picture_frame(f, truth):
    """The clip frame the app analyses as frame f: the one on screen at (f + 0.5) / 8 s, the middle of
    the 1/8 s whose audio the models pair it with (frames.ts; ffmpeg's fps filter)."""
    return min(len(truth['frames']) - 1, int(math.floor((f + 0.5) / FPS * truth['fps'] + 1e-9)))


def truth_frames_of(f, truth_fps, truth_frames):
    """bench/app.ts truthFramesOf: the truth frames whose instants fall in analysed frame f's 1/8 s."""
    a = math.ceil(f / FPS * truth_fps - 1e-9)
    b = math.ceil((f + 1) / FPS * truth_fps - 1e-9)
    out = [i for i in range(a, b) if i < truth_frames]
    return out or [min(truth_frames - 1, int(math.floor(f / FPS * truth_fps + 0.5)))]


def sounding_in(envelope, frames):
    """bench/app.ts soundingIn: the envelope's RMS over the frames exceeds 0.3."""
    e = np.array([envelope[i] if i < len(envelope) else 0.0 for i in frames])
    return math.sqrt(float(np.mean(e ** 2))) > 0.3


@torch.no_grad()
def pointing(app, clip):
    """The bench's localization scores from heatmaps made like the analysis pass: non-overlapping
    65535-sample windows, each frame against the STFT frames inside its 1/8 s; every analysed frame
    where a source sounds (its envelope's RMS over that 1/8 s above 0.3)."""
    from .world.samples import frame_span_weights
    t = clip.truth
    total = len(clip.mix)
    hits, ious = [], []
    gy, gx = np.mgrid[0:GRID_H, 0:GRID_W]
    for f in range(clip.n_frames):
        tfs = truth_frames_of(f, t['fps'], len(t['frames']))
        tf = picture_frame(f, t)
        sounding = [k for k, s in enumerate(t['sources']) if sounding_in(s['envelope'], tfs)]
        if not sounding:
            continue
        # The analysis window holding the frame's centre.
        w = min(int(((f + 0.5) / FPS * A.SR) // A.WIN_SAMPLES), max(0, (total - 1) // A.WIN_SAMPLES))
        start = w * A.WIN_SAMPLES
        seg = np.zeros(A.WIN_SAMPLES, np.float32)
        part = clip.mix[start:start + A.WIN_SAMPLES]
        seg[:len(part)] = part
        feats, norm = app.audio_features(stft(seg).abs()[None])
        span = frame_span_weights(f - start / A.SR * FPS, FPS)
        pooled = app.loc.pool_audio(feats, norm, torch.from_numpy(span)[None, None].float())
        heat = torch.sigmoid(app.loc(app.visual(clip.frame(f)[None]), pooled))[0, 0].numpy()
        # Cells of the original frame (stretch: the same grid), inside a sounding box.
        x = (gx + 0.5) / GRID_W * t['width']
        y = (gy + 0.5) / GRID_H * t['height']
        inside = np.zeros_like(heat, bool)
        for k in sounding:
            b = t['frames'][tf]['boxes'][k]
            inside |= (x >= b[0]) & (x <= b[2]) & (y >= b[1]) & (y <= b[3])
        hits.append(float(inside.flat[int(np.argmax(heat))]))
        pred = heat >= 0.5
        uni = (pred | inside).sum()
        ious.append(float((pred & inside).sum() / uni) if uni else 0.0)
    return (float(np.mean(hits)) if hits else None), (float(np.mean(ious)) if ious else None), len(hits)


def sdr(refs, est):
    return [float(v) for v in mir_eval.separation.bss_eval_sources(refs, est, compute_permutation=False)[0]]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--clip', action='append', required=True, help='clip folder (repeat)')
    ap.add_argument('--appearance', default='training/checkpoints/appearance-best.pt')
    ap.add_argument('--motion', default='training/checkpoints/motion-activity.pt', help='the shipped refinement')
    ap.add_argument('--bank', default=os.environ.get('STEMSIGHT_BANK', 'training/cache/bank.npz'))
    ap.add_argument('--frames', default='clip', choices=['clip', 'native', 'decoded', 'scaled', 'yuv420p'],
                    help="clip: re-rendered at the clip's size, stretched by PIL (default); native: rendered at the "
                         "model size; decoded: the clip's H.264 frames through ffmpeg as the app decodes them; "
                         "scaled: re-rendered, through the app's ffmpeg scaler; yuv420p: the same by way of 4:2:0")
    ap.add_argument('--audio', default='truth', choices=['truth', 'clip'],
                    help="truth: the sum of the source WAVs (default); clip: the clip's AAC audio as the app decodes it")
    ap.add_argument('--click', default='cell', choices=['cell', 'neighbourhood'])
    ap.add_argument('--out', default=None)
    ap.add_argument('--threads', type=int, default=0)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    app = AppearanceModel.from_weights(torch.load(args.appearance, map_location='cpu')['model'])
    app.eval()
    stage = MotionStage.from_weights(torch.load(args.motion, map_location='cpu')['model'])
    stage.eval()
    bank = load_bank(args.bank)
    results = []
    for folder in args.clip:
        clip = Clip(folder, bank, args.frames, args.audio)
        est = separate(app, stage, clip, args.click)
        row = {'clip': os.path.basename(os.path.normpath(folder)), 'kind': clip.truth['kind'],
               'sources': len(clip.refs), 'seconds': len(clip.mix) / A.SR}
        for name, e in est.items():
            path = os.path.join(folder, f'python-{name}.wav')
            wavfile.write(path + '.tmp.wav', A.SR, e.T.astype(np.float32))
            os.replace(path + '.tmp.wav', path)
            row[name] = {'file': os.path.basename(path), 'sdr': sdr(clip.refs, e)}
        row['pointing'], row['ciou'], row['localizedFrames'] = pointing(app, clip)
        results.append(row)
        print(f"{row['clip']:16s} {row['kind']:12s} appearance {np.mean(row['appearance']['sdr']):6.2f} "
              f"two-stage {np.mean(row['two_stage']['sdr']):6.2f} pointing {row['pointing']}", flush=True)
    out = {'frames': args.frames, 'audio': args.audio, 'click': args.click, 'appearance': args.appearance, 'motion': args.motion,
           'protocol': 'bss_eval_sources (mir_eval), no permutation, 11025 Hz mono, the app\'s windows',
           'clips': results}
    if args.out:
        with open(args.out + '.tmp', 'w') as f:
            json.dump(out, f, indent=1)
        os.replace(args.out + '.tmp', args.out)
    else:
        print(json.dumps(out))


if __name__ == '__main__':
    main()
