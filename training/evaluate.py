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
    """bss_eval per source. An estimate silent throughout has no score (bss_eval is blind to an
    estimate's scale, so silence is no value at all): its scores are NaN, and `summary` counts it.
    The others are scored as usual: each estimate's scores depend on it and the references alone."""
    silent = ~np.any(ests, axis=1)
    filled = np.where(silent[:, None], refs.sum(0)[None], ests)  # a placeholder bss_eval accepts
    sdr, sir, sar, _ = mir_eval.separation.bss_eval_sources(refs, filled, compute_permutation=False)
    for x in (sdr, sir, sar):
        x[silent] = np.nan
    return sdr, sir, sar


def summary(sdrs):
    """Mean and median SDR over the sources that have one, the number of sources and of silent
    estimates among them."""
    v = np.asarray(sdrs, float)
    scored = v[~np.isnan(v)]
    return {'sdr_mean': float(np.mean(scored)) if len(scored) else None,
            'sdr_median': float(np.median(scored)) if len(scored) else None,
            'n_sources': len(v), 'silent': int(np.isnan(v).sum())}


def istft(spec, length):
    window = torch.hann_window(A.N_FFT, periodic=True)
    return torch.istft(spec, A.N_FFT, A.HOP, window=window, center=True, length=length)


def scorable(make, count):
    """The first `count` samples make(0), make(1), ... in which every source sounds somewhere: a source
    silent for the whole window cannot be scored by bss_eval. Yields (sample, number of sources)."""
    index, used = 0, 0
    while used < count:
        sample = make(index)
        index += 1
        n = int(sample['valid'].sum())
        if (sample['sources'][:n] ** 2).mean(1).min() < 1e-7:
            continue
        used += 1
        yield sample, n


def click_cells(boxes, grid_h, grid_w):
    """Grid cells (gy, gx) at the centres of source boxes (x0, y0, x1, y1), as a user clicks."""
    centres = np.stack([(boxes[:, 1] + boxes[:, 3]) / 2, (boxes[:, 0] + boxes[:, 2]) / 2], 1) // STRIDE
    return np.clip(centres, 0, [grid_h - 1, grid_w - 1]).astype(np.int64)


@torch.no_grad()
def separate(model, sample, n, queries='visual'):
    """Masks for the n sources clicked at their box centres (queries='visual') or asked for by their
    class name alone ('class') -> soft and binary estimates and the heatmap."""
    mix = torch.from_numpy(sample['mix'])[None]
    window = torch.hann_window(A.N_FFT, periodic=True)
    spec = torch.stft(mix, A.N_FFT, A.HOP, window=window, center=True, pad_mode='reflect', return_complex=True)
    feats, norm = model.audio_features(spec.abs())
    vis = model.visual(torch.from_numpy(sample['frame'])[None].float())
    centres = click_cells(sample['boxes'][:n], vis.shape[2], vis.shape[3])
    v = gather_pixels(vis, torch.from_numpy(centres)[None])
    if queries == 'class':
        ones = torch.ones(1, n)
        v = model.query(v, torch.from_numpy(sample['classes'][:n])[None], 0 * ones, ones)
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


def evaluate(model, scenes, variations=('test', 'heldout'), kinds=KINDS, log=print, queries='visual'):
    results = {}
    b = bank(os.environ.get('STEMSIGHT_BANK', 'training/cache/bank.npz'))
    for variation in variations:
        var = {'test': 'train_test', 'heldout': 'heldout', 'unseen': 'unseen', 'real': 'real'}[variation]
        for kind in kinds:
            rows = {'model_soft': [], 'model_binary': [], 'copy_paste': [], 'ideal_binary': []}
            sirs, sars = {k: [] for k in rows}, {k: [] for k in rows}
            loc_hits, ciou = [], []
            make = lambda i: make_sample(b, 'test', 100000 * KINDS.index(kind) + i, kind=kind, variation=var)
            for sample, n in scorable(make, scenes):
                refs = sample['sources'][:n]
                soft, binary, heat = separate(model, sample, n, queries)
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
                res[k] = {**summary(rows[k]), 'sir_mean': float(np.nanmean(sirs[k])),
                          'sar_mean': float(np.nanmean(sars[k]))}
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
                f"cIoU {res['localization']['ciou']}"
                + ''.join(f" | {k} {res[k]['silent']} silent" for k in rows if res[k]['silent']))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--weights', default='training/runs/appearance/best.pt')
    ap.add_argument('--scenes', type=int, default=40)
    ap.add_argument('--kinds', default=','.join(KINDS))
    ap.add_argument('--variations', default='test,heldout', help='test, heldout, unseen and/or real')
    ap.add_argument('--queries', default='visual', choices=['visual', 'class'],
                    help="sources by click at their box centre, or by class name alone")
    ap.add_argument('--out', default=None)
    args = ap.parse_args()
    torch.set_num_threads(1)
    ck = torch.load(args.weights, map_location='cpu')
    model = AppearanceModel.from_weights(ck['model'])
    model.eval()
    res = evaluate(model, args.scenes, args.variations.split(','), args.kinds.split(','), queries=args.queries)
    res['_meta'] = {'weights_step': ck.get('step'), 'scenes_per_row': args.scenes, 'queries': args.queries,
                    'protocol': 'bss_eval_sources (mir_eval), no permutation, 11025 Hz mono, 5.94 s windows'}
    if args.out:
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out + '.tmp', 'w') as f:
            json.dump(res, f, indent=2)
        os.replace(args.out + '.tmp', args.out)




# ---------------------------------------------------------------- motion stage

def scene_front(app, stage, s, n, window):
    """What every motion-stage score reads of one scene `s` with n clicked sources: the mixture (1, L)
    and its STFT, the audio features and their level, the clicked cells (each source's box centre
    in the middle frame), their pixel features, the appearance stage's logits, and the motion
    network's f_M1 and f_M2."""
    from .world.samples import GRID_H, GRID_W
    mix = torch.from_numpy(s['mix'])[None]
    spec = torch.stft(mix, A.N_FFT, A.HOP, window=window, center=True, pad_mode='reflect', return_complex=True)
    feats, norm = app.audio_features(spec.abs())
    cells = torch.from_numpy(click_cells(s['boxes'][s['frames'].shape[0] // 2, :n], GRID_H, GRID_W))[None]
    v = gather_pixels(app.visual(torch.from_numpy(s['frame'])[None].float()), cells)
    f1, f2, _ = stage.motion(torch.from_numpy(s['frames'])[None].float())
    return mix, spec, feats, norm, cells, v, app.synth(v, feats), f1, f2


@torch.no_grad()
def evaluate_motion(app, stage, scenes, variations=('test', 'heldout'), kinds=KINDS, log=print, ablations=None, split='test'):
    """Two-stage vs appearance-only on the same test clips, plus AME synchronisation accuracy, the
    motion network's localization (CAM) next to the appearance maps, and per-frame activity.
    `ablations` maps a row name (e.g. 'motion_only') to a DirectSeparator scored on the same clips."""
    ablations = ablations or {}
    from .motion import pool_motion, tracker_like
    from .world.samples import make_motion_sample, GRID_H, GRID_W
    b = bank(os.environ.get('STEMSIGHT_BANK', 'training/cache/bank.npz'))
    window = torch.hann_window(A.N_FFT, periodic=True)
    results = {}
    for variation in variations:
        var = {'test': 'train', 'heldout': 'heldout', 'unseen': 'unseen', 'real': 'real', 'wide': 'wide'}[variation]
        for kind in kinds:
            rows = {k: [] for k in ('appearance_soft', 'two_stage_soft', 'appearance_binary', 'two_stage_binary',
                                    'copy_paste', 'ideal_binary', *(a + '_soft' for a in ablations))}
            act_hits, app_point, mot_point = [], [], []
            make = lambda i: make_motion_sample(b, split, 200000 + 100000 * KINDS.index(kind) + i, kind=kind, variation=var)
            for s, n in scorable(make, scenes):
                refs = s['sources'][:n]
                mid = s['frames'].shape[0] // 2
                mix, spec, feats, norm, cells, v, logits, f1, f2 = scene_front(app, stage, s, n, window)
                # A refinement told the activities reads the truth's envelopes (as the app's tracker reads the picture).
                told = tracker_like(torch.from_numpy(s['env'][:n])[None]) if stage.told else None
                refined = stage.refine(logits, torch.log(norm + 1e-3), pool_motion(f1, cells), torch.ones(1, n), told)
                est = {}
                for name, net in ablations.items():
                    lg = net(torch.log(norm + 1e-3), pool_motion(f1, cells), v)
                    masks = torch.einsum('fw,bnwt->bnft', app.unwarp, torch.sigmoid(lg))[0]
                    est[name + '_soft'] = istft(spec * masks, mix.shape[-1]).numpy()
                for name, lg in (('appearance', logits), ('two_stage', refined)):
                    masks = torch.einsum('fw,bnwt->bnft', app.unwarp, torch.sigmoid(lg))[0]
                    est[name + '_soft'] = istft(spec * masks, mix.shape[-1]).numpy()
                    est[name + '_binary'] = istft(spec * (masks > 0.5), mix.shape[-1]).numpy()
                est['copy_paste'] = np.repeat(s['mix'][None], n, 0)
                sample = {'mix': s['mix'], 'sources': s['sources']}
                est['ideal_binary'] = ideal_binary(sample, n)
                for k, e in est.items():
                    rows[k] += list(bss(refs, e)[0])
                # activity over time at each clicked cell (appearance localization head)
                from .world.samples import frame_span_weights
                spans = torch.from_numpy(np.stack([frame_span_weights(t, 8.0) for t in range(s['frames'].shape[0])]))[None]
                pooled = app.loc.pool_audio(feats, norm, spans)
                frames_vis = app.visual(torch.from_numpy(s['frames']).float())
                heat = torch.sigmoid(torch.einsum('tdhw,td->thw', app.loc.vis(frames_vis), app.loc.aud(pooled[0]))
                                     / app.loc.dim ** 0.5 + app.loc.bias)            # (T, h, w)
                for i in range(n):
                    gy, gx = cells[0, i]
                    act = heat[:, gy, gx].numpy() > 0.5
                    act_hits += list(act == (s['env'][i] > 0.3))
                # pointing at the middle frame: appearance map vs motion CAM
                gt = np.zeros((GRID_H, GRID_W))
                gy, gx = np.mgrid[0:GRID_H, 0:GRID_W]
                for i in range(n):
                    if s['env'][i, mid] > 0.3:
                        x0, y0, x1, y1 = s['boxes'][mid, i]
                        gt[((gx + 0.5) * STRIDE >= x0) & ((gx + 0.5) * STRIDE < x1) &
                           ((gy + 0.5) * STRIDE >= y0) & ((gy + 0.5) * STRIDE < y1)] = 1
                if gt.sum():
                    app_point.append(float(gt.flat[int(heat[mid].argmax())] > 0))
                    mot_point.append(float(gt.flat[int(f2[0, 0, mid].argmax())] > 0))
            res = {k: summary(v) for k, v in rows.items()}
            res['activity_frame_accuracy'] = float(np.mean(act_hits))
            res['pointing_appearance'] = float(np.mean(app_point)) if app_point else None
            res['pointing_motion_cam'] = float(np.mean(mot_point)) if mot_point else None
            results[f'{variation}/{kind}'] = res
            log(f"{variation:8s} {kind:12s} app {res['appearance_soft']['sdr_mean']:6.2f} two-stage "
                f"{res['two_stage_soft']['sdr_mean']:6.2f} copy {res['copy_paste']['sdr_mean']:6.2f} IBM "
                f"{res['ideal_binary']['sdr_mean']:6.2f} | activity {res['activity_frame_accuracy']:.3f} "
                f"point app {res['pointing_appearance']} motion {res['pointing_motion_cam']}"
                + ''.join(f" | {a} {res[a + '_soft']['sdr_mean']:6.2f}" for a in ablations))
    # AME synchronisation accuracy: aligned vs shifted audio of solo test scenes
    from .motion import ame_triplet
    hits = []
    for i in range(scenes * 2):
        s = make_motion_sample(b, split, 900000 + i, kind='solo', shift_room_s=3.0)
        _, _, f3 = stage.motion(torch.from_numpy(s['frames'])[None].float())
        la, _ = app.log_input(A.stft_mag(torch.from_numpy(s['sources'][:1])))
        ls, _ = app.log_input(A.stft_mag(torch.from_numpy(s['shifted'])[None]))
        _, dp, dn = ame_triplet(f3, stage.sound(la), stage.sound(ls))
        hits.append(float(dp.item() < dn.item()))
    results['ame_sync_accuracy'] = float(np.mean(hits))
    log(f"AME synchronisation accuracy (aligned closer than shifted) {results['ame_sync_accuracy']:.3f}")
    return results


def main_motion(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--appearance', default='training/runs/appearance/best.pt')
    ap.add_argument('--motion', default='training/runs/motion/motion.pt')
    ap.add_argument('--scenes', type=int, default=20)
    ap.add_argument('--kinds', default=','.join(KINDS))
    ap.add_argument('--variations', default='test,heldout',
                    help="test, heldout, unseen, real and/or wide (every training sound set: with --split val, "
                         "for choosing between runs trained on it)")
    ap.add_argument('--out', default=None)
    ap.add_argument('--split', default='test', choices=['test', 'val'],
                    help="'val' to choose between checkpoints (never choose on the test split)")
    ap.add_argument('--motion-only', default=None, help='weights of the motion-only ablation (train_motion --variant)')
    ap.add_argument('--one-stage', default=None, help='weights of the one-stage appearance+motion ablation')
    args = ap.parse_args(argv)
    from .motion import DirectSeparator, MotionStage
    torch.set_num_threads(1)
    app = AppearanceModel.from_weights(torch.load(args.appearance, map_location='cpu')['model'])
    ck = torch.load(args.motion, map_location='cpu')
    stage = MotionStage.from_weights(ck['model'])
    ablations, meta = {}, {}
    for name, path in (('motion_only', args.motion_only), ('one_stage', args.one_stage)):
        if path:
            net = DirectSeparator(use_appearance=name == 'one_stage')
            ack = torch.load(path, map_location='cpu')
            net.load_state_dict(ack['model'])
            ablations[name] = net.eval()
            meta[name + '_steps'] = ack.get('ssr_step')
            meta[name + '_params'] = sum(p.numel() for p in net.parameters())
    res = evaluate_motion(app.eval(), stage.eval(), args.scenes, args.variations.split(','), args.kinds.split(','),
                          ablations=ablations, split=args.split)
    res['_meta'] = {'ame_steps': ck.get('ame_step'), 'ssr_steps': ck.get('ssr_step'), 'scenes_per_row': args.scenes,
                    'split': args.split,
                    **meta}
    if args.out:
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out + '.tmp', 'w') as f:
            json.dump(res, f, indent=2)
        os.replace(args.out + '.tmp', args.out)


if __name__ == '__main__':
    import sys
    if '--motion-stage' in sys.argv:
        sys.argv.remove('--motion-stage')
        main_motion()
    else:
        main()
