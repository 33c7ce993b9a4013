"""Export trained weights to the ONNX sessions the app runs, plus the model card.

    python3 -m training.export --weights training/runs/appearance/best.pt --out resources/models/default

Sessions (opset 17), all float32:
  visual.onnx        frames (F, 3, 128, 224) RGB 0..255            -> visual_features (F, K, 16, 28)
  audio.onnx         magnitude (1, 512, 256) linear STFT magnitude -> audio_features (1, K, 256, 256),
                                                                      weights (1, 1, 256, 256)
  masks.onnx         audio_features, source_features (N, K)        -> masks (N, 512, 256) in 0..1
  localization.onnx  audio_features, weights, visual_features (F, K, 16, 28),
                     spans (F, 256)                                 -> heatmaps (F, 16, 28) in 0..1
The log-frequency warp, level normalisation and mask un-warp live inside the graphs, so the app
only computes a linear STFT and applies masks. A parity file (inputs and PyTorch outputs) is written
next to the card so the app's tests (and `stemsight doctor`) can check ONNX Runtime against
PyTorch: its audio features are stored subsampled; the masks and heatmaps in full.
"""
import argparse
import datetime
import hashlib
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn

from . import audio as A
from .nets import IMG_H, IMG_W, K, AppearanceModel, LocalizationHead
from .world.classes import CLASSES
from .world.samples import GRID_H, GRID_W, STRIDE

OPSET = 17
CARD_FORMAT = 'stemsight-model-card'
CARD_VERSION = 1


class VisualSession(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, frames):
        return self.m.visual(frames)


class AudioSession(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, magnitude):
        feats, norm = self.m.audio_features(magnitude)
        return feats, norm


class MasksSession(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, audio_features, source_features):
        logits = self.m.synth(source_features.unsqueeze(0), audio_features)[0]      # (N, 256, T)
        return torch.einsum('fw,nwt->nft', self.m.unwarp, torch.sigmoid(logits))


class LocalizationSession(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, audio_features, weights, visual_features, spans):
        pooled = LocalizationHead.pool_audio(audio_features, weights, spans.unsqueeze(0))[0]  # (F, K*B)
        v = self.m.loc.vis(visual_features)
        a = self.m.loc.aud(pooled)
        logits = torch.einsum('fdhw,fd->fhw', v, a) / self.m.loc.dim ** 0.5 + self.m.loc.bias
        return torch.sigmoid(logits)


def json_axes(dyn):
    """Dynamic axes as the card stores them: {tensor: {"axis index": "name"}} (JSON keys are strings)."""
    return {k: {str(a): n for a, n in v.items()} for k, v in (dyn or {}).items()}


def sha256(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return h.hexdigest()


def write_tensors(path, tensors):
    """Simple container the TypeScript tests read: 4-byte header length, JSON header
    {name: {shape, offset}} then raw little-endian float32 data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        arr = np.ascontiguousarray(t.detach().cpu().numpy().astype('<f4'))
        header[name] = {'shape': list(arr.shape), 'offset': offset}
        blobs.append(arr.tobytes())
        offset += arr.nbytes
    h = json.dumps(header).encode()
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<I', len(h)) + h + b''.join(blobs))
    os.replace(path + '.tmp', path)


def export(model, out_dir, meta=None, parity=True):
    os.makedirs(out_dir, exist_ok=True)
    model = model.eval().cpu()
    g = torch.Generator().manual_seed(0)
    frames = torch.randint(0, 256, (2, 3, IMG_H, IMG_W), generator=g).float()
    mag = torch.rand(1, A.N_BINS, A.N_FRAMES, generator=g) ** 3 * 5
    n_src = 2
    sessions = {}
    with torch.no_grad():
        vis = VisualSession(model)(frames)
        feats, weights = AudioSession(model)(mag)
        src = vis[:, :, 5, 7].clone()[:n_src]
        masks = MasksSession(model)(feats, src)
        spans = torch.zeros(2, A.N_FRAMES)
        spans[0, 10:15] = 0.2
        spans[1, 100:106] = 1 / 6
        heat = LocalizationSession(model)(feats, weights, vis, spans)
    specs = [
        ('visual', VisualSession(model), (frames,), ['frames'], ['visual_features'],
         {'frames': {0: 'F'}, 'visual_features': {0: 'F'}}),
        ('audio', AudioSession(model), (mag,), ['magnitude'], ['audio_features', 'weights'], None),
        ('masks', MasksSession(model), (feats, src), ['audio_features', 'source_features'], ['masks'],
         {'source_features': {0: 'N'}, 'masks': {0: 'N'}}),
        ('localization', LocalizationSession(model), (feats, weights, vis, spans),
         ['audio_features', 'weights', 'visual_features', 'spans'], ['heatmaps'],
         {'visual_features': {0: 'F'}, 'spans': {0: 'F'}, 'heatmaps': {0: 'F'}}),
    ]
    for name, module, args, ins, outs, dyn in specs:
        path = os.path.join(out_dir, f'{name}.onnx')
        torch.onnx.export(module, args, path + '.tmp', opset_version=OPSET, input_names=ins,
                          output_names=outs, dynamic_axes=dyn or {}, do_constant_folding=True)
        os.replace(path + '.tmp', path)
        sessions[name] = {
            'file': f'{name}.onnx', 'sha256': sha256(path),
            'inputs': {n: list(a.shape) for n, a in zip(ins, args)},
            'outputs': {},
            'dynamic': json_axes(dyn),
        }
    sessions['visual']['outputs'] = {'visual_features': list(vis.shape)}
    sessions['audio']['outputs'] = {'audio_features': list(feats.shape), 'weights': list(weights.shape)}
    sessions['masks']['outputs'] = {'masks': list(masks.shape)}
    sessions['localization']['outputs'] = {'heatmaps': list(heat.shape)}
    if parity:
        write_tensors(os.path.join(out_dir, 'parity.bin'), {
            'frames': frames, 'visual_features': vis, 'magnitude': mag,
            # every 8th time-frequency cell of the audio features (the full tensor is 6 MB)
            'audio_features_sub8': feats[:, :, ::8, ::8], 'weights_sub8': weights[:, :, ::8, ::8], 'source_features': src, 'masks': masks, 'spans': spans, 'heatmaps': heat})
    card = {
        'format': CARD_FORMAT,
        'cardVersion': CARD_VERSION,
        'name': 'stemsight-default',
        'modelVersion': (meta or {}).get('modelVersion', '0.1.0'),
        'created': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
        'stages': ['appearance'],
        'audio': {
            'sampleRate': A.SR, 'nFft': A.N_FFT, 'hop': A.HOP, 'window': 'hann-periodic',
            'center': True, 'padMode': 'reflect', 'windowSamples': A.WIN_SAMPLES, 'frames': A.N_FRAMES,
            'bins': A.N_BINS, 'warpBins': A.N_WARP,
            'warp': 'log-frequency, inside the graphs (input is the linear magnitude)',
            'levelNormalization': 'inside the audio graph: warped magnitude divided by its mean',
            'mono': 'average of channels',
        },
        'video': {
            'fps': 8, 'width': IMG_W, 'height': IMG_H, 'fit': 'stretch', 'layout': 'NCHW', 'channels': 'RGB',
            'range': [0, 255], 'featureStride': STRIDE, 'grid': [GRID_H, GRID_W], 'features': K,
        },
        'classes': CLASSES,
        'sessions': sessions,
        'outputs': {
            'masks': 'soft mask per source (sigmoid), 0..1; threshold at 0.5 for the binary mask',
            'heatmaps': 'probability that the grid cell is a sounding source during the span',
        },
        'parity': 'parity.bin' if parity else None,
        # A source asked for by name: its source_features are the class query (plus the pixel features
        # at the click when there is one too), as nets.AppearanceModel.query composes them in training.
        **({'classQueries': {c: [round(float(x), 7) for x in q] for c, q in zip(CLASSES, model.class_queries)}}
           if model.class_queries.abs().sum() > 0 else {}),
        'parameters': int(sum(p.numel() for p in model.parameters())),
    }
    card.update({k: v for k, v in (meta or {}).items() if k not in ('modelVersion',)})
    tmp = os.path.join(out_dir, 'card.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(card, f, indent=2)
    os.replace(tmp, os.path.join(out_dir, 'card.json'))
    return card


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', default='training/runs/appearance/best.pt')
    ap.add_argument('--out', default='resources/models/default')
    ap.add_argument('--metrics', default=None, help='JSON from training.evaluate to put in the card')
    args = ap.parse_args()
    ck = torch.load(args.weights, map_location='cpu')
    model = AppearanceModel.from_weights(ck['model'])
    meta = {'training': {'steps': ck.get('step'), 'valSdr': ck.get('val_sdr'),
                         'data': 'synthetic world (shared/synthetic-world.md), train split seeds only; '
                                 'FluidR3_GM family timbres and espeak-ng voices, held-out timbres excluded',
                         'command': 'python3 -m training.pipeline'}}
    if args.metrics:
        with open(args.metrics) as f:
            meta['metrics'] = json.load(f)
    card = export(model, args.out, meta)
    print(json.dumps({k: card[k] for k in ('name', 'stages', 'parameters')}))


if __name__ == '__main__':
    main()


def parity_frames(t):
    """Deterministic test frames the TypeScript parity test can rebuild exactly."""
    tt, c, y, x = torch.meshgrid(torch.arange(t), torch.arange(3), torch.arange(IMG_H), torch.arange(IMG_W),
                                 indexing='ij')
    return ((7 * tt + 13 * c + 3 * y + 5 * x) % 256).float().unsqueeze(0)


class MotionSession(nn.Module):
    """Frames of one window (1, T, 3, 128, 224) -> f_M1 (1, C_M, T, 16, 28) and the motion
    class-activation map f_M2 (1, T, 16, 28)."""

    def __init__(self, stage):
        super().__init__()
        self.stage = stage

    def forward(self, frames):
        f1, f2, _ = self.stage.motion(frames)
        return f1, f2[:, 0]


class RefineSession(nn.Module):
    """The two-stage masks: appearance logits of the N clicked sources, refined by the SSR + AMT
    with each source's motion (Gaussian-pooled around its click) and fused by the opponent filter."""

    def __init__(self, app, stage):
        super().__init__()
        self.app, self.stage = app, stage

    def forward(self, audio_features, weights, source_features, motion_features, source_cells, activity=None):
        from .motion import pool_motion
        logits = self.app.synth(source_features.unsqueeze(0), audio_features)          # (1, N, 256, T)
        log_mix = torch.log(weights + 1e-3)
        motion = pool_motion(motion_features, source_cells.unsqueeze(0))                # (1, N, C, T)
        valid = torch.ones(1, source_features.shape[0])
        told = None if activity is None else activity.unsqueeze(0)                      # (1, N, T)
        refined = self.stage.refine(logits, log_mix, motion, valid, told)[0]
        return torch.einsum('fw,nwt->nft', self.app.unwarp, torch.sigmoid(refined))


def export_motion(app, stage, out_dir, meta=None):
    """Add the motion stage's sessions to an exported appearance model and extend its card
    (`stages` gains 'motion'; readers that only know the appearance stage ignore the rest)."""
    from .motion import C_M, MOTION_T
    app, stage = app.eval().cpu(), stage.eval().cpu()
    g = torch.Generator().manual_seed(1)
    frames = parity_frames(MOTION_T)
    mag = torch.rand(1, A.N_BINS, A.N_FRAMES, generator=g) ** 3 * 5
    with torch.no_grad():
        f1, f2 = MotionSession(stage)(frames)
        feats, weights = AudioSession(app)(mag)
        vis = VisualSession(app)(frames[:, MOTION_T // 2])
        src = vis[0, :, [4, 10], [6, 20]].T.contiguous()                           # (2, K)
        cells = torch.tensor([[4.0, 6.0], [10.0, 20.0]])
        # A told refinement reads each source's activity over the window's frames (0..1 each).
        activity = (torch.rand(2, MOTION_T, generator=g),) if stage.told else ()
        refine_args = (feats, weights, src, f1, cells) + activity
        masks = RefineSession(app, stage)(*refine_args)
    card_path = os.path.join(out_dir, 'card.json')
    with open(card_path) as f:
        card = json.load(f)
    specs = [
        ('motion', MotionSession(stage), (frames,), ['frames'], ['motion_features', 'motion_map'],
         {'frames': {1: 'T'}, 'motion_features': {2: 'T'}, 'motion_map': {1: 'T'}},
         {'motion_features': list(f1.shape), 'motion_map': list(f2.shape)}),
        ('refine', RefineSession(app, stage), refine_args,
         ['audio_features', 'weights', 'source_features', 'motion_features', 'source_cells'] + ['activity'] * stage.told,
         ['masks'], {'source_features': {0: 'N'}, 'source_cells': {0: 'N'}, 'masks': {0: 'N'},
                     **({'activity': {0: 'N'}} if stage.told else {})},
         {'masks': list(masks.shape)}),
    ]
    for name, module, args, ins, outs, dyn, out_shapes in specs:
        path = os.path.join(out_dir, f'{name}.onnx')
        torch.onnx.export(module, args, path + '.tmp', opset_version=OPSET, input_names=ins,
                          output_names=outs, dynamic_axes=dyn, do_constant_folding=True)
        os.replace(path + '.tmp', path)
        card['sessions'][name] = {'file': f'{name}.onnx', 'sha256': sha256(path),
                                  'inputs': {n: list(a.shape) for n, a in zip(ins, args)},
                                  'outputs': out_shapes, 'dynamic': json_axes(dyn)}
    # The frames are not stored: they follow parity_frames' formula, which the app's test rebuilds.
    write_tensors(os.path.join(out_dir, 'parity-motion.bin'), {
        'motion_map': f2, 'motion_features_sub4': f1[:, :, ::4, ::4, ::4], 'magnitude': mag,
        'source_features': src, 'source_cells': cells, 'masks': masks,
        **({'activity': activity[0]} if stage.told else {})})
    card['stages'] = ['appearance', 'motion']
    card['motion'] = {
        'frames': MOTION_T, 'fps': card['video']['fps'], 'features': C_M,
        'input': 'the same 224x128 RGB frames as the visual session, T consecutive frames of one window',
        'pooling': 'Gaussian over the feature grid around the clicked cell, sigma 2 cells (inside refine)',
        'receptiveFrames': 7,
    }
    if stage.told:
        card['motion']['activity'] = ('refine reads each clicked source\'s activity (N, T): how far the thing at its '
                                      'click stands from its rest in each of the T frames, as the tracker follows it, '
                                      'over its largest value in the window (0 where it was not followed)')
    card['parity'] = card.get('parity')
    card['parityMotion'] = {'file': 'parity-motion.bin',
                            'frames': 'value(t, c, y, x) = (7t + 13c + 3y + 5x) mod 256, shape (1, T, 3, 128, 224)'}
    card['parameters'] = int(card.get('parameters', 0) + sum(p.numel() for p in stage.motion.parameters())
                             + sum(p.numel() for p in stage.ssr.parameters()))
    card.setdefault('training', {})['motion'] = (meta or {}).get('motion')
    tmp = card_path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(card, f, indent=2)
    os.replace(tmp, card_path)
    return card
