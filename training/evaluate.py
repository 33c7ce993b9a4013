"""Score a trained model on test seeds: separation (bss_eval, 11025 Hz mono) and localization.

    python3 -m training.evaluate --weights training/runs/appearance/best.pt --scenes 40 --out docs/eval/appearance.json

Every row stands next to the copy-paste baseline (the mixture as the estimate) and the ideal binary
mask on the very same clips. Scenes come from the test split (never seen in training); the
'heldout' rows use only the timbres and the voice that training never used. The click is the centre
of the source's sprite, as a user would click it.
"""
import argparse
import json
import os

import mir_eval
import numpy as np
import torch

from . import audio as A
from .nets import AppearanceModel
from .train import bank, gather_pixels
from .world.samples import MAX_SOURCES, STRIDE, make_sample

KINDS = ['diff2', 'same2', 'speech_inst', 'three']


def bss(refs, ests):
    sdr, sir, sar, _ = mir_eval.separation.bss_eval_sources(refs, ests, compute_permutation=False)
    return sdr, sir, sar


def istft(spec, length):
    window = torch.hann_window(A.N_FFT, periodic=True)
    return torch.istft(spec, A.N_FFT, A.HOP, window=window, center=True, length=length)


@torch.no_grad()
def separate(model, sample, n):
    """Masks for the n sources clicked at their box centres -> soft and binary estimates."""
    mix = torch.from_numpy(sample['mix'])[None]
    window = torch.hann_window(A.N_FFT, periodic=True)
    spec = torch.stft(mix, A.N_FFT, A.HOP, window=window, center=True, pad_mode='reflect', return_complex=True)
    feats, norm = model.audio_features(spec.abs())
    vis = model.visual(torch.from_numpy(sample['frame'])[None].float())
    boxes = sample['boxes'][:n]
    centres = np.stack([(boxes[:, 1] + boxes[:, 3]) / 2, (boxes[:, 0] + boxes[:, 2]) / 2], 1) // STRIDE
    centres = np.clip(centres, 0, [vis.shape[2] - 1, vis.shape[3] - 1]).astype(np.int64)
    v = gather_pixels(vis, torch.from_numpy(centres)[None])
    probs = torch.sigmoid(model.synth(v, feats))
    masks = torch.einsum('fw,bnwt->bnft', model.unwarp, probs)[0]
    soft = istft(spec * masks, mix.shape[-1]).numpy()
    binary = istft(spec * (masks > 0.5), mix.shape[-1]).numpy()
    pooled = model.loc.pool_audio(feats, norm, torch.from_numpy(sample['span'])[None, None])
    heat = torch.sigmoid(model.loc(vis, pooled))[0, 0].numpy()
    return soft, binary, heat


def ideal_binary(sample, n):
    window = torch.hann_window(A.N_FFT, periodic=True)
    mix = torch.from_numpy(sample['mix'])[None]
    spec = torch.stft(mix, A.N_FFT, A.HOP, window=window, center=True, pad_mode='reflect', return_complex=True)
    src = torch.from_numpy(sample['sources'][:n])
    mags = torch.stft(src, A.N_FFT, A.HOP, window=window, center=True, pad_mode='reflect', return_complex=True).abs()
    ibm = (mags >= mags.max(0, keepdim=True).values).float()
    return istft(spec * ibm, mix.shape[-1]).numpy()


def localization_scores(heat, gt):
    """Pointing hit, cIoU (heatmap above 0.5 vs the sounding-box cells) for one frame."""
    hit = float(gt.flat[int(np.argmax(heat))] > 0)
    pred = heat >= 0.5
    inter = np.logical_and(pred, gt > 0).sum()
    union = np.logical_or(pred, gt > 0).sum()
    return hit, inter / union if union else 0.0


def evaluate(model, scenes, variations=('test', 'heldout'), kinds=KINDS, log=print):
    results = {}
    b = bank(os.environ.get('STEMSIGHT_BANK', 'training/cache/bank.npz'))
    for variation in variations:
        var = 'train_test' if variation == 'test' else 'heldout'
        for kind in kinds:
            rows = {'model_soft': [], 'model_binary': [], 'copy_paste': [], 'ideal_binary': []}
            sirs, sars = {k: [] for k in rows}, {k: [] for k in rows}
            loc_hits, ciou = [], []
            index = 0
            used = 0
            while used < scenes:
                sample = make_sample(b, 'test', 100000 * KINDS.index(kind) + index, kind=kind, variation=var)
                index += 1
                n = int(sample['valid'].sum())
                refs = sample['sources'][:n]
                if (refs ** 2).mean(1).min() < 1e-7:
                    continue  # a source silent for the whole window cannot be scored by bss_eval
                used += 1
                soft, binary, heat = separate(model, sample, n)
                ests = {'model_soft': soft, 'model_binary': binary,
                        'copy_paste': np.repeat(sample['mix'][None], n, 0),
                        'ideal_binary': ideal_binary(sample, n)}
                for k, e in ests.items():
                    sdr, sir, sar = bss(refs, e)
                    rows[k] += list(sdr)
                    sirs[k] += list(sir)
                    sars[k] += list(sar)
                if sample['loc'].sum() > 0:
                    hit, c = localization_scores(heat, sample['loc'])
                    loc_hits.append(hit)
                    ciou.append(c)
            res = {}
            for k in rows:
                res[k] = {'sdr_mean': float(np.mean(rows[k])), 'sdr_median': float(np.median(rows[k])),
                          'sir_mean': float(np.mean(sirs[k])), 'sar_mean': float(np.mean(sars[k])),
                          'n_sources': len(rows[k])}
            taus = np.linspace(0, 1, 21)
            res['localization'] = {
                'pointing': float(np.mean(loc_hits)) if loc_hits else None,
                'ciou': float(np.mean(ciou)) if ciou else None,
                'auc': float(np.mean([np.mean(np.array(ciou) >= t) for t in taus])) if ciou else None,
                'frames': len(loc_hits)}
            results[f'{variation}/{kind}'] = res
            log(f"{variation:8s} {kind:12s} SDR soft {res['model_soft']['sdr_mean']:6.2f} "
                f"binary {res['model_binary']['sdr_mean']:6.2f} copy {res['copy_paste']['sdr_mean']:6.2f} "
                f"IBM {res['ideal_binary']['sdr_mean']:6.2f} | pointing {res['localization']['pointing']} "
                f"cIoU {res['localization']['ciou']}")
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', default='training/runs/appearance/best.pt')
    ap.add_argument('--scenes', type=int, default=40)
    ap.add_argument('--kinds', default=','.join(KINDS))
    ap.add_argument('--variations', default='test,heldout')
    ap.add_argument('--out', default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = AppearanceModel()
    ck = torch.load(args.weights, map_location='cpu')
    model.load_state_dict(ck['model'])
    model.eval()
    res = evaluate(model, args.scenes, args.variations.split(','), args.kinds.split(','))
    res['_meta'] = {'weights_step': ck.get('step'), 'scenes_per_row': args.scenes,
                    'protocol': 'bss_eval_sources (mir_eval), no permutation, 11025 Hz mono, 5.94 s windows'}
    if args.out:
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out + '.tmp', 'w') as f:
            json.dump(res, f, indent=2)
        os.replace(args.out + '.tmp', args.out)


if __name__ == '__main__':
    main()
