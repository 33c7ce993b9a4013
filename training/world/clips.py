"""Write world scenes as real media files with ground truth, for tests, benchmarks and the demo.

    python3 -m training.world.clips --split test --index 0 --kind diff2 --seconds 20 --out /tmp/clip

writes clip.mp4 (H.264 + AAC by default; --codec pcm writes .mov with PCM), source-1.wav ... (each
source's own audio at the clip's rate and channel count, same length as the mixture) and truth.json:
classes, per-frame boxes in pixels of the clip and the per-frame envelopes (sounding = env > 0.3).
--kind is one of scene.KINDS or 'two_speakers'; --variation picks the timbres (scene.make_scene:
'heldout', 'unseen' and 'real' use only material that training never hears).
"""
import argparse
import json
import os
import subprocess
import tempfile
import wave

import numpy as np
from scipy.signal import resample_poly

from .scene import SR, Bank, make_scene, render_background, render_frame


def write_wav16(path, data, rate):
    """data (channels, n) float -> 16-bit PCM WAV."""
    pcm = (np.clip(data.T, -1, 1) * 32767).astype('<i2')
    with wave.open(path, 'wb') as w:
        w.setnchannels(data.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def to_rate(x, rate):
    g = np.gcd(SR, rate)
    return resample_poly(x, rate // g, SR // g).astype(np.float32)


def write_clip(bank, out_dir, split='test', index=0, kind=None, seconds=10.0, height=360, width=None,
               fps=25.0, rate=44100, channels=2, codec='aac', variation='train', crf=20):
    os.makedirs(out_dir, exist_ok=True)
    scene = make_scene(bank, split, index, seconds=seconds, kind=kind, variation=variation, fps=fps,
                       augment=False)
    if width is None:
        width = int(round(height * scene.aspect / 2)) * 2
    rng = np.random.default_rng([7, index])
    pans = rng.uniform(-0.6, 0.6, size=len(scene.sources)) if channels == 2 else np.zeros(len(scene.sources))
    src_full = []
    for s, pan in zip(scene.sources, pans):
        x = to_rate(s.audio, rate)
        if channels == 2:
            theta = (pan + 1) * np.pi / 4
            x = np.stack([np.cos(theta) * x, np.sin(theta) * x]) * np.sqrt(2)
        else:
            x = x[None]
        src_full.append(x)
    n = min(x.shape[1] for x in src_full)
    src_full = [x[:, :n] for x in src_full]
    mix = np.sum(src_full, axis=0)
    peak = np.abs(mix).max()
    if peak > 0.95:
        src_full = [x * 0.95 / peak for x in src_full]
        mix = mix * 0.95 / peak
    truth = {'split': split, 'index': index, 'kind': scene.kind, 'fps': fps, 'width': width, 'height': height,
             'sampleRate': rate, 'channels': channels, 'samples': int(n), 'sources': [], 'frames': []}
    for i, (s, x) in enumerate(zip(scene.sources, src_full)):
        name = f'source-{i + 1}.wav'
        write_wav16(os.path.join(out_dir, name), x, rate)
        truth['sources'].append({'class': s.cls, 'timbre': int(s.timbre), 'file': name,
                                 'envelope': [round(float(e), 4) for e in s.env]})
    ext = 'mp4' if codec == 'aac' else 'mov'
    clip_path = os.path.join(out_dir, f'clip.{ext}')
    bg = render_background(scene, bank, width, height)
    with tempfile.TemporaryDirectory() as tmp:
        mix_wav = os.path.join(tmp, 'mix.wav')
        write_wav16(mix_wav, mix, rate)
        acodec = ['-c:a', 'aac', '-b:a', '192k'] if codec == 'aac' else ['-c:a', 'pcm_s16le']
        cmd = ['ffmpeg', '-v', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', f'{width}x{height}',
               '-r', str(fps), '-i', '-', '-i', mix_wav, '-c:v', 'libx264', '-pix_fmt', 'yuv420p',
               '-preset', 'veryfast', '-crf', str(crf), *acodec, '-shortest', clip_path + '.partial.' + ext]
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)
        for t in range(scene.n_frames):
            frame, boxes = render_frame(scene, bank, t, width, height, background=bg)
            proc.stdin.write(frame.tobytes())
            truth['frames'].append({'time': round(t / fps, 4),
                                    'boxes': [[round(float(v), 1) for v in b] for b in boxes]})
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError('ffmpeg failed to encode the clip')
        os.replace(clip_path + '.partial.' + ext, clip_path)
    with open(os.path.join(out_dir, 'truth.json'), 'w') as f:
        json.dump(truth, f)
    return clip_path, truth


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bank', default='training/cache/bank.npz')
    ap.add_argument('--out', required=True)
    ap.add_argument('--split', default='test', choices=['test', 'val', 'demo'])
    ap.add_argument('--index', type=int, default=0)
    ap.add_argument('--kind', default=None)
    ap.add_argument('--variation', default='train', choices=['train', 'canonical', 'heldout', 'unseen', 'real'])
    ap.add_argument('--seconds', type=float, default=10.0)
    ap.add_argument('--height', type=int, default=360)
    ap.add_argument('--width', type=int, default=None)
    ap.add_argument('--fps', type=float, default=25.0)
    ap.add_argument('--rate', type=int, default=44100)
    ap.add_argument('--channels', type=int, default=2)
    ap.add_argument('--codec', default='aac', choices=['aac', 'pcm'])
    args = ap.parse_args()
    path, truth = write_clip(Bank(args.bank), args.out, args.split, args.index, args.kind, args.seconds,
                             args.height, args.width, args.fps, args.rate, args.channels, args.codec,
                             args.variation)
    print(json.dumps({'clip': path, 'kind': truth['kind'], 'sources': [s['class'] for s in truth['sources']],
                      'width': truth['width'], 'height': truth['height']}))


if __name__ == '__main__':
    main()
