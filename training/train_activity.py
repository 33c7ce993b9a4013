"""The refinement told each clicked source's activity over time (how far the thing at its click
stands from its rest, frame by frame, as the app's tracker follows it), as one more channel of its
motion features: it trains on from a refinement that was not told (its new weights at 0, so it
starts as that function), the motion network frozen, on truth envelopes made as rough as a
tracker's. The shipped refinement is this run's step 5000 (training/checkpoints/motion-activity.pt;
docs/models.md, "A refinement told each source's activity"): 2078 steps at 2e-4, then on to step
5000 at 1e-4 with a second decay:

    python3 -m training.train_activity train --run training/runs/activity --steps 2078 --decay-start 800
    python3 -m training.train_activity train --run training/runs/activity --steps 5000 --decay-start 3500 --lr 1e-4
    python3 -m training.ship --appearance training/checkpoints/appearance-best.pt \
        --motion training/runs/activity/motion.pt --out resources/models/default

The control, trained the same way on the same scenes in the same order with every activity 0 (so
the difference between the two is the activity's, not the extra training's), and the scores of
both on validation scenes (masks alone):

    python3 -m training.train_activity train --run training/runs/activity-control --control --steps 2078 --decay-start 800
    python3 -m training.train_activity score --run training/runs/activity --control-run training/runs/activity-control
"""
import argparse
import json
import os

import numpy as np
import torch
from torch.utils.data import DataLoader

from .motion import MotionStage, pool_motion, tracker_like
from .nets import AppearanceModel
from .schedule import learning_rate
from .train_motion import MotionDataset, appearance_logits, ground_truth, refinement_groups, refinement_loss


def load(motion, run=None):
    """The stage of `motion` (not told), told and resumed from `run` when given."""
    stage = MotionStage.from_weights(torch.load(motion, map_location='cpu')['model'])
    step = 0
    if run is not None:
        stage.tell_activity()
        path = os.path.join(run, 'motion.pt')
        if os.path.exists(path):
            ck = torch.load(path, map_location='cpu')
            stage.load_state_dict(ck['model'])
            step = ck['step']
    return stage, step


def train(args):
    os.makedirs(args.run, exist_ok=True)
    stage, step = load(args.motion, args.run)
    base = torch.load(args.motion, map_location='cpu')
    base_ssr_step = base.get('ssr_step')
    app = AppearanceModel.from_weights(torch.load(args.appearance, map_location='cpu')['model']).eval()
    stage.motion.train(args.tune_motion_net)
    stage.sound.eval()
    stage.ssr.train()
    groups = refinement_groups(stage.ssr.parameters(), stage, args.lr, args.tune_motion_net)
    params = [p for g in groups for p in g['params']]
    opt = torch.optim.AdamW(groups, lr=args.lr, weight_decay=1e-4)
    # The same scenes, in the same order, for both runs (and on resuming).
    data = MotionDataset(args.bank, 'train', 3 * 10 ** 7 + step * args.batch, 10 ** 9, 'separation', 0.5, 'wide')
    loader = DataLoader(data, batch_size=args.batch, num_workers=1, drop_last=True, persistent_workers=True, prefetch_factor=4)
    rng = np.random.default_rng(step)
    log = open(os.path.join(args.run, 'log.jsonl'), 'a')
    ck_path, run_loss = os.path.join(args.run, 'motion.pt'), None

    def save():
        torch.save({'model': stage.state_dict(), 'step': step, 'activity_step': step, 'ssr_step': base_ssr_step,
                    'ame_step': base.get('ame_step'), 'cam_step': base.get('cam_step'), 'control': args.control,
                    'tune_motion_net': args.tune_motion_net}, ck_path + '.tmp')
        os.replace(ck_path + '.tmp', ck_path)

    for batch in loader:
        scale = learning_rate(step, 1.0, decay_start=args.decay_start, decay_steps=args.steps - args.decay_start, floor=0.1)
        for g in opt.param_groups:
            g['lr'] = g['base_lr'] * scale
        valid = batch['valid']
        app_logits, log_mix = appearance_logits(app, batch, 'cpu')
        with torch.set_grad_enabled(args.tune_motion_net):
            f1, _, _ = stage.motion(batch['frames'].float())
        activity = tracker_like(batch['env'], rng)
        refined = stage.refine(app_logits, log_mix, pool_motion(f1, batch['pixels']), valid, activity * 0 if args.control else activity)
        loss = refinement_loss(refined, ground_truth(app, batch, 'cpu'), log_mix, valid)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 5.0)
        opt.step()
        step += 1
        run_loss = loss.item() if run_loss is None else 0.95 * run_loss + 0.05 * loss.item()
        if step % 20 == 0:
            log.write(json.dumps({'step': step, 'loss': run_loss, 'lr': args.lr * scale}) + '\n')
            log.flush()
        if step % 200 == 0 or step >= args.steps:
            save()
        if step >= args.steps:
            break


@torch.no_grad()
def score(args):
    """Masks alone (soft, bss_eval SDR) on validation scenes: the appearance stage, the base
    refinement, the refinement told the true activities (made as rough as a tracker's, without
    the training's randomness) and told none (all 1), and the control run."""
    from . import audio as A
    from .evaluate import KINDS, bss, istft, scene_front, scorable
    from .train import bank
    from .world.samples import make_motion_sample
    app = AppearanceModel.from_weights(torch.load(args.appearance, map_location='cpu')['model']).eval()
    base = load(args.motion)[0].eval()
    told, step = load(args.motion, args.run)
    told.eval()
    control = load(args.motion, args.control_run)[0].eval() if args.control_run else None
    b = bank(args.bank)
    window = torch.hann_window(A.N_FFT, periodic=True)
    kinds = KINDS + ['two_speakers']
    out = {'step': step}
    for variation in args.variations.split(','):
        var = {'test': 'train', 'heldout': 'heldout', 'unseen': 'unseen', 'real': 'real'}[variation]
        for kind in args.kinds.split(','):
            rows = {}
            make = lambda i: make_motion_sample(b, args.split, 200000 + 100000 * kinds.index(kind) + i, kind=kind, variation=var)
            for s, n in scorable(make, args.scenes):
                mix, spec, _, norm, cells, _, logits, f1, _ = scene_front(app, base, s, n, window)
                log_mix = torch.log(norm + 1e-3)
                mf = pool_motion(f1, cells)
                env = torch.from_numpy(s['env'][:n])[None]
                valid = torch.ones(1, n)
                est = {'appearance': logits, 'base': base.refine(logits, log_mix, mf, valid),
                       'told': told.refine(logits, log_mix, mf, valid, tracker_like(env)),
                       'told none': told.refine(logits, log_mix, mf, valid, torch.ones_like(env))}
                if control is not None:
                    est['control'] = control.refine(logits, log_mix, mf, valid, torch.zeros_like(env))
                for name, lg in est.items():
                    masks = torch.einsum('fw,bnwt->bnft', app.unwarp, torch.sigmoid(lg))[0]
                    rows.setdefault(name, []).extend(bss(s['sources'][:n], istft(spec * masks, mix.shape[-1]).numpy())[0])
            out[f'{variation}/{kind}'] = {k: float(np.nanmean(v)) for k, v in rows.items()}
            print(variation, kind, '  '.join(f'{k} {v:.2f}' for k, v in out[f'{variation}/{kind}'].items()), flush=True)
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(out, f, indent=1)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('mode', choices=['train', 'score'])
    ap.add_argument('--run', required=True)
    ap.add_argument('--appearance', default='training/checkpoints/appearance-best.pt')
    ap.add_argument('--motion', default='training/checkpoints/motion.pt', help='the refinement (not told) both runs start from')
    ap.add_argument('--bank', default='training/cache/bank.npz')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=4)
    ap.add_argument('--lr', type=float, default=2e-4)
    ap.add_argument('--steps', type=int, default=2078)
    ap.add_argument('--decay-start', type=int, default=800, help='a cosine decay to a tenth from this step to --steps')
    ap.add_argument('--tune-motion-net', action='store_true', help='train the motion network with the refinement (at lr / 5)')
    ap.add_argument('--control', action='store_true', help='train with every activity 0: the same training without them')
    ap.add_argument('--control-run', default=None, help='score: the control run to score beside')
    ap.add_argument('--split', default='val')
    ap.add_argument('--scenes', type=int, default=6)
    ap.add_argument('--variations', default='test,heldout,unseen,real')
    ap.add_argument('--kinds', default='same2,two_speakers,diff2')
    ap.add_argument('--out', default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    train(args) if args.mode == 'train' else score(args)


if __name__ == '__main__':
    main()
